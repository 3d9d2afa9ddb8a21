"""hatool's inventory rules, written once.

``check(model)`` returns every finding; ``hatool validate``, ``hatool
deploy`` and the first play of every playbook (through the
``hatool_validate_inventory`` action plugin) all call it, so an operator
gets the same checks and the same words whichever way they run hatool.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from hatool.inventory.contract import FOREIGN_PREFIXES, GROUPS, HOST_VARIABLES, VARIABLES
from hatool.inventory.durations import format_seconds, parse_duration
from hatool.inventory.model import Model
from hatool.versions import (
    ARTIFACT_SOURCES,
    OFFLINE_KUBE_VERSION,
    SUPPORTED,
    minor_of,
    parse,
    release_for,
)

ERROR = "error"
WARNING = "warning"

#: client-go's leader election multiplies the retry period by this jitter factor.
JITTER_FACTOR = 1.2
COMPONENTS = {
    "kube_controller_manager": "kube-controller-manager",
    "kube_scheduler": "kube-scheduler",
}
TIMINGS = ("lease_duration", "renew_deadline", "retry_period")
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$",
    re.I,
)
_DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
TYPO_CUTOFF = 0.85


@dataclass(frozen=True)
class Finding:
    """One broken rule: what, where and how bad."""

    rule: str
    severity: str
    message: str
    file: str
    group: str | None = None
    host: str | None = None
    variable: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        where = []
        if self.group:
            where.append(f"group {self.group}")
        if self.host:
            where.append(f"host {self.host}")
        if self.variable:
            where.append(f"variable {self.variable}")
        place = ", ".join(where)
        place = f"{place} in {self.file}" if place else self.file
        return f"{self.severity} [{self.rule}] {self.message} ({place})"


class _Findings:
    def __init__(self, model: Model) -> None:
        self.model = model
        self.items: list[Finding] = []

    def add(
        self,
        rule: str,
        severity: str,
        message: str,
        *,
        group: str | None = None,
        host: str | None = None,
        variable: str | None = None,
    ) -> None:
        file = self.model.where(variable, host)
        self.items.append(Finding(rule, severity, message, file, group, host, variable))


Rule = Callable[[Model, _Findings], None]
RULES: list[Rule] = []


def rule(func: Rule) -> Rule:
    RULES.append(func)
    return func


def _topology(model: Model) -> str:
    return str(model.value("etcd_topology"))


def etcd_members(model: Model) -> list[str]:
    """The etcd members the topology asks for."""
    if _topology(model) == "external":
        return model.hosts_of("etcd")
    return model.hosts_of("control_plane")


# -- groups and sizes -----------------------------------------------------------


@rule
def required_groups(model: Model, out: _Findings) -> None:
    required = ["control_plane", "loadbalancer"]
    if _topology(model) == "external":
        required.append("etcd")
    for group in required:
        if group not in model.groups:
            out.add(
                "group-missing", ERROR,
                f"{group}: the group is missing; hatool needs {GROUPS[group]}", group=group,
            )  # fmt: skip
        elif not model.hosts_of(group):
            out.add(
                "group-empty", ERROR,
                f"{group}: the group has no hosts; hatool needs {GROUPS[group]}", group=group,
            )  # fmt: skip


@rule
def unknown_groups(model: Model, out: _Findings) -> None:
    known = set(GROUPS) | {"all"}
    for group, hosts in model.groups.items():
        if group in known or not hosts:
            continue
        for host in hosts:
            if model.group_of(host) is None:
                out.add(
                    "group-unknown", WARNING,
                    f"{host} is only in group {group}, which hatool does not know; hatool "
                    f"deploys nothing to it (known groups: {', '.join(GROUPS)})",
                    group=group, host=host,
                )  # fmt: skip


@rule
def etcd_size(model: Model, out: _Findings) -> None:
    members = etcd_members(model)
    group = "etcd" if _topology(model) == "external" else "control_plane"
    count = len(members)
    if count == 0:
        return
    if count == 2:
        out.add(
            "etcd-member-count", ERROR,
            "etcd: 2 members tolerate no failure (a quorum needs both, so 2 members are "
            "worse than 1: twice the hosts that can break it); use 3 or 5",
            group=group,
        )  # fmt: skip
    elif count % 2 == 0:
        tolerated = (count - 1) // 2
        out.add(
            "etcd-member-count", ERROR,
            f"etcd: {count} members tolerate {tolerated} failure(s), no more than "
            f"{count - 1} would; use an odd count ({count - 1} or {count + 1})",
            group=group,
        )  # fmt: skip
    elif count == 1:
        out.add(
            "etcd-member-count", WARNING,
            "etcd: 1 member tolerates no failure: the cluster's state is not highly "
            "available; use 3 or 5",
            group=group,
        )  # fmt: skip


@rule
def control_plane_size(model: Model, out: _Findings) -> None:
    count = len(model.hosts_of("control_plane"))
    if 0 < count < 3:
        out.add(
            "control-plane-size", WARNING,
            f"control_plane: {count} host(s): the control plane is not highly available "
            "(leader election needs a standby on another host, and losing one API server "
            "host must leave others); use 3 or more",
            group="control_plane",
        )  # fmt: skip


@rule
def loadbalancer_size(model: Model, out: _Findings) -> None:
    if len(model.hosts_of("loadbalancer")) == 1:
        host = model.hosts_of("loadbalancer")[0]
        out.add(
            "loadbalancer-single", WARNING,
            f"loadbalancer: {host} is the only load balancer, a single point of failure for "
            "every client that uses it; add a second one behind a virtual IP or DNS name",
            group="loadbalancer",
        )  # fmt: skip


# -- topology -------------------------------------------------------------------


@rule
def topology(model: Model, out: _Findings) -> None:
    value = model.value("etcd_topology")
    if value not in ("stacked", "external"):
        out.add(
            "topology-invalid", ERROR,
            f"etcd_topology is {value!r}; use stacked or external", variable="etcd_topology",
        )  # fmt: skip
        return
    masters = set(model.hosts_of("control_plane"))
    etcd = model.hosts_of("etcd")
    if value == "stacked" and "etcd" in model.groups and set(etcd) != masters:
        out.add(
            "topology-stacked-etcd-group", ERROR,
            f"etcd_topology is stacked, so etcd runs on the control_plane hosts, but group "
            f"etcd holds {', '.join(etcd) or 'no hosts'}; remove group etcd, make it equal to "
            "control_plane, or set etcd_topology: external",
            group="etcd", variable="etcd_topology",
        )  # fmt: skip
    if value == "external":
        for host in etcd:
            if host in masters:
                out.add(
                    "topology-external-overlap", ERROR,
                    f"etcd_topology is external, but {host} is in both etcd and control_plane; "
                    "external etcd members must be their own hosts (or use stacked)",
                    group="etcd", host=host,
                )  # fmt: skip


def recorded(cluster_dir: Path) -> dict[str, Any]:
    """What the last deploy recorded in ``cluster_dir/cluster.json`` (empty if nothing)."""
    try:
        data = json.loads((cluster_dir / "cluster.json").read_text())
    except (FileNotFoundError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def cluster_dir(model: Model, inventory_dir: str | None) -> Path | None:
    if not inventory_dir:
        return None
    return Path(inventory_dir) / ".hatool" / str(model.value("cluster_name"))


def topology_switch(model: Model, out: _Findings, deployed: dict[str, Any], record: Path) -> None:
    before = deployed.get("etcd_topology")
    now = model.value("etcd_topology")
    if before and now in ("stacked", "external") and before != now:
        out.add(
            "topology-switch", ERROR,
            f"this cluster was deployed with etcd_topology {before}; the inventory now says "
            f"{now}. Switching an existing cluster's topology is not supported: it would "
            f"start a new, empty etcd. Keep etcd_topology: {before} (record: {record})",
            variable="etcd_topology",
        )  # fmt: skip


def removed_members(model: Model, out: _Findings, deployed: dict[str, Any], record: Path) -> None:
    """An etcd member dropped from the inventory still counts in the cluster's quorum."""
    if deployed.get("etcd_topology") != _topology(model):
        return  # topology_switch reports it
    now = set(etcd_members(model))
    group = "etcd" if _topology(model) == "external" else "control_plane"
    for host in deployed.get("etcd_members") or []:
        if host in now:
            continue
        how = (
            f"remove it from the cluster first, with the inventory that still lists it: "
            f"ansible-playbook -i INVENTORY playbooks/etcd-remove-member.yml -e etcd_member={host}"
            if group == "etcd"
            else "with stacked etcd a master is an etcd member, and hatool does not remove "
            "masters: put it back"
        )
        out.add(
            "etcd-member-removed", ERROR,
            f"{host} is a member of the cluster's etcd (record: {record}) but is no longer in "
            f"group {group}: without it the remaining members may lose quorum; {how}",
            group=group, host=host,
        )  # fmt: skip


# -- cluster-wide values -------------------------------------------------------


@rule
def consistent_cluster_values(model: Model, out: _Findings) -> None:
    hosts = model.hatool_hosts()
    for name, variable in VARIABLES.items():
        if not variable.cluster_wide:
            continue
        values: dict[str, list[str]] = {}
        for host in hosts:
            rendered = json.dumps(model.value(name, host), sort_keys=True, default=str)
            values.setdefault(rendered, []).append(host)
        if len(values) > 1:
            parts = [
                f"{json.loads(v)!r} on {', '.join(h[:3])}{'...' if len(h) > 3 else ''}"
                for v, h in values.items()
            ]
            out.add(
                "cluster-value-differs", ERROR,
                f"{name} must be the same on every host, but it is {'; '.join(parts)}; "
                "set it once for group all",
                variable=name,
            )  # fmt: skip


@rule
def cluster_name(model: Model, out: _Findings) -> None:
    name = model.value("cluster_name")
    if not isinstance(name, str) or not _DNS_LABEL.match(name):
        out.add(
            "cluster-name-invalid", ERROR,
            f"cluster_name {name!r} is not a DNS label (lower-case letters, digits and '-', "
            "at most 63 characters)",
            variable="cluster_name",
        )  # fmt: skip


# -- addresses and ports ------------------------------------------------------------


def _address(value: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(str(value))
    except ValueError:
        return None


@rule
def addresses(model: Model, out: _Findings) -> None:
    seen: dict[str, str] = {}
    for host in model.hatool_hosts():
        group = model.group_of(host)
        value = model.hostvars.get(host, {}).get("ansible_host")
        if value in (None, ""):
            out.add(
                "host-address-missing", ERROR,
                f"{host} has no ansible_host; set it to the address hatool and the other "
                "hosts reach it at (an IP address or a DNS name)",
                group=group, host=host, variable="ansible_host",
            )  # fmt: skip
            continue
        text = str(value)
        parsed = _address(text)
        looks_numeric = bool(re.fullmatch(r"[\d.]+", text))
        if parsed is None and (looks_numeric or not _HOSTNAME.match(text)):
            out.add(
                "host-address-invalid", ERROR,
                f"{host}: ansible_host {text!r} is neither an IP address nor a valid host name",
                group=group, host=host, variable="ansible_host",
            )  # fmt: skip
            continue
        key = str(parsed) if parsed else text.lower()
        if key in seen:
            out.add(
                "host-address-duplicate", ERROR,
                f"{host} and {seen[key]} share the address {text}; every inventory host needs "
                "its own address (put one host in several groups instead, where the topology "
                "allows it)",
                group=group, host=host, variable="ansible_host",
            )  # fmt: skip
        else:
            seen[key] = host


def _port(model: Model, out: _Findings, name: str) -> int | None:
    value = model.value(name)
    if isinstance(value, bool) or not str(value).isdigit() or not 1 <= int(value) <= 65535:
        out.add(
            "port-invalid", ERROR, f"{name} is {value!r}; use a TCP port from 1 to 65535",
            variable=name,
        )  # fmt: skip
        return None
    return int(value)


@rule
def ports(model: Model, out: _Findings) -> None:
    api = _port(model, out, "kube_apiserver_port")
    lb = _port(model, out, "loadbalancer_port")
    if api is None or lb is None or api != lb:
        return
    masters = model.hosts_of("control_plane")
    master_addresses = {str(model.hostvars.get(h, {}).get("ansible_host")): h for h in masters}
    for host in model.hosts_of("loadbalancer"):
        address = str(model.hostvars.get(host, {}).get("ansible_host"))
        shared = host if host in masters else master_addresses.get(address)
        if shared:
            out.add(
                "loadbalancer-port-conflict", ERROR,
                f"load balancer {host} runs on control-plane host {shared}, where "
                f"kube-apiserver already listens on {api}; set loadbalancer_port to another "
                "port (for example 8443)",
                group="loadbalancer", host=host, variable="loadbalancer_port",
            )  # fmt: skip


@rule
def service_cidr(model: Model, out: _Findings) -> None:
    value = model.value("kube_service_cidr")
    try:
        network = ipaddress.ip_network(str(value), strict=True)
    except ValueError as exc:
        out.add(
            "service-cidr-invalid", ERROR,
            f"kube_service_cidr {value!r} is not a network: {exc} "
            "(for example 10.96.0.0/12)",
            variable="kube_service_cidr",
        )  # fmt: skip
        return
    if network.num_addresses < 4:
        out.add(
            "service-cidr-invalid", ERROR,
            f"kube_service_cidr {value} is too small for Services; use a /24 or larger",
            variable="kube_service_cidr",
        )  # fmt: skip
    for host in model.hatool_hosts():
        address = _address(model.hostvars.get(host, {}).get("ansible_host"))
        if address is not None and address in network:
            out.add(
                "service-cidr-contains-host", ERROR,
                f"kube_service_cidr {value} contains {host}'s address {address}; Service IPs "
                "would shadow the host; pick a range no host uses",
                host=host, variable="kube_service_cidr",
            )  # fmt: skip


# -- leader election -----------------------------------------------------------------


def election_timings(model: Model, component: str) -> dict[str, Any]:
    """The three timings of ``component`` (a per-component value beats the shared one)."""
    timings = {}
    for timing in TIMINGS:
        specific = f"{component}_leader_elect_{timing}"
        timings[timing] = (
            model.value(specific)
            if model.is_set(specific)
            else model.value(f"leader_elect_{timing}")
        )
    return timings


def _timing_variable(model: Model, component: str, timing: str) -> str:
    specific = f"{component}_leader_elect_{timing}"
    return specific if model.is_set(specific) else f"leader_elect_{timing}"


@rule
def leader_election(model: Model, out: _Findings) -> None:
    for component, binary in COMPONENTS.items():
        raw = election_timings(model, component)
        seconds: dict[str, float] = {}
        for timing, value in raw.items():
            variable = _timing_variable(model, component, timing)
            try:
                seconds[timing] = parse_duration(value)
            except ValueError as exc:
                out.add(
                    "duration-invalid", ERROR, f"{variable} for {binary}: {exc}",
                    variable=variable,
                )  # fmt: skip
                continue
            if seconds[timing] <= 0:
                out.add(
                    "duration-invalid", ERROR,
                    f"{variable} for {binary} is {value}; it must be positive",
                    variable=variable,
                )  # fmt: skip
                del seconds[timing]
        if len(seconds) < 3:
            continue
        lease, renew, retry = (seconds[t] for t in TIMINGS)
        shown = (
            f"lease duration {format_seconds(lease)}, renew deadline {format_seconds(renew)}, "
            f"retry period {format_seconds(retry)}"
        )
        if not lease > renew:
            out.add(
                "leader-election-timing", ERROR,
                f"{binary}: {shown}: lease duration {format_seconds(lease)} must be greater "
                f"than renew deadline {format_seconds(renew)} (client-go refuses to start)",
                variable=_timing_variable(model, component, "lease_duration"),
            )  # fmt: skip
        if not renew > JITTER_FACTOR * retry:
            out.add(
                "leader-election-timing", ERROR,
                f"{binary}: {shown}: renew deadline {format_seconds(renew)} must be greater "
                f"than {JITTER_FACTOR} x retry period = {format_seconds(JITTER_FACTOR * retry)} "
                "(client-go refuses to start)",
                variable=_timing_variable(model, component, "renew_deadline"),
            )  # fmt: skip


# -- versions and artifacts -------------------------------------------------------------


@rule
def versions(model: Model, out: _Findings) -> None:
    version = str(model.value("kube_version"))
    supported = ", ".join(f"{m}.x" for m in SUPPORTED)
    if parse(version) is None:
        out.add(
            "kube-version-invalid", ERROR,
            f"kube_version {version!r} is not a release such as v1.31.4 (vMAJOR.MINOR.PATCH)",
            variable="kube_version",
        )  # fmt: skip
        return
    release = release_for(version)
    if release is None:
        out.add(
            "kube-version-unsupported", ERROR,
            f"kube_version {version}: the roles support {supported}, not {minor_of(version)}",
            variable="kube_version",
        )  # fmt: skip
        return
    etcd = model.value("etcd_version")
    if etcd is not None and parse(str(etcd)) is None:
        out.add(
            "etcd-version-invalid", ERROR,
            f"etcd_version {etcd!r} is not a release such as {release.etcd_version}",
            variable="etcd_version",
        )  # fmt: skip
    source = model.value("artifact_source")
    if source not in ARTIFACT_SOURCES:
        out.add(
            "artifact-source-invalid", ERROR,
            f"artifact_source is {source!r}; use {' or '.join(ARTIFACT_SOURCES)}",
            variable="artifact_source",
        )  # fmt: skip
        return
    if source != "mirror":
        return
    url = model.value("artifact_mirror_url")
    parsed = urlparse(str(url)) if url else None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.netloc:
        out.add(
            "artifact-mirror-url", ERROR,
            f"artifact_source is mirror, so artifact_mirror_url must be an http(s) URL; it is "
            f"{url!r}",
            variable="artifact_mirror_url",
        )  # fmt: skip
    extra = model.value("artifact_mirror_versions") or []
    available = [OFFLINE_KUBE_VERSION, *(str(v) for v in extra)]
    if version not in available:
        out.add(
            "artifact-source-version", ERROR,
            f"kube_version {version} is not available from artifact_source mirror, which holds "
            f"{', '.join(available)} (the offline build, plus artifact_mirror_versions); use "
            f"kube_version {OFFLINE_KUBE_VERSION}, artifact_source official, or fill the mirror "
            f"with 'hatool artifacts --source official --kube-version {version}' and list it in "
            "artifact_mirror_versions",
            variable="kube_version",
        )  # fmt: skip


# -- variable names ------------------------------------------------------------------


def _known_names() -> list[str]:
    return [*VARIABLES, *HOST_VARIABLES]


@rule
def typos(model: Model, out: _Findings) -> None:
    known = _known_names()
    reported: set[str] = set()
    for host in model.hatool_hosts():
        for name in model.hostvars.get(host, {}):
            if name in known or name in reported or name.startswith(FOREIGN_PREFIXES):
                continue
            close = difflib.get_close_matches(name, known, n=1, cutoff=TYPO_CUTOFF)
            if close:
                reported.add(name)
                everywhere = all(name in model.hostvars.get(h, {}) for h in model.hatool_hosts())
                out.add(
                    "variable-unknown", ERROR,
                    f"{name} is not a variable hatool knows; did you mean {close[0]}?",
                    host=None if everywhere else host, variable=name,
                )  # fmt: skip


# -- entry point ----------------------------------------------------------------------


def check(model: Model, inventory_dir: str | None = None) -> list[Finding]:
    """Every finding for ``model``, errors first, in rule order."""
    out = _Findings(model)
    for each in RULES:
        each(model, out)
    deployed_dir = cluster_dir(model, inventory_dir)
    if deployed_dir is not None:
        deployed, record = recorded(deployed_dir), deployed_dir / "cluster.json"
        topology_switch(model, out, deployed, record)
        removed_members(model, out, deployed, record)
    return sorted(out.items, key=lambda f: f.severity != ERROR)


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == ERROR]


def iter_lines(findings: list[Finding]) -> Iterator[str]:
    for finding in findings:
        yield finding.line()
