"""What ``hatool verify`` looks at, read once from the inventory.

The same inventory that deployed the cluster says where every host is, how
to reach it over SSH, which ports the API servers and load balancers listen
on, and which leader-election timings the components were given.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path

from hatool.errors import HatoolError
from hatool.inventory.durations import parse_duration
from hatool.inventory.model import Model
from hatool.inventory.report import inventory_dir
from hatool.inventory.rules import COMPONENTS, JITTER_FACTOR, TIMINGS, election_timings

#: Lease name in kube-system -> systemd unit on every master.
LEASES = {
    "kube-controller-manager": "kube-controller-manager",
    "kube-scheduler": "kube-scheduler",
}
ETCD_PKI = "/etc/etcd/pki"


@dataclass(frozen=True)
class Node:
    """One inventory host as verify reaches it."""

    name: str
    address: str
    user: str | None = None
    port: int = 22
    key_file: str | None = None
    known_hosts: str | None = None
    strict_host_keys: bool = True


@dataclass(frozen=True)
class Timings:
    lease_duration: float
    renew_deadline: float
    retry_period: float

    def takeover_window(self) -> tuple[float, float]:
        """Earliest and latest time a standby takes a dead leader's Lease.

        A standby judges expiry on its own clock from when it last saw the
        Lease change, so a new holder appears no sooner than LD - RP after the
        leader's last renewal; it retries every RP scaled by a jitter of up to
        1.2, and may need two such retries, hence LD + 2 * (1 + 1.2) * RP.
        """
        lease, retry = self.lease_duration, self.retry_period
        return lease - retry, lease + 2 * (1 + JITTER_FACTOR) * retry


@dataclass
class Target:
    """A deployed cluster: its hosts, ports, timings and local files."""

    inventory: str
    cluster_name: str
    topology: str
    masters: list[Node]
    loadbalancers: list[Node]
    etcd_members: list[Node]
    apiserver_port: int
    loadbalancer_port: int
    etcd_client_port: int = 2379
    timings: dict[str, Timings] = field(default_factory=dict)

    @property
    def cluster_dir(self) -> Path:
        return Path(inventory_dir(self.inventory)) / ".hatool" / self.cluster_name

    @property
    def pki(self) -> Path:
        return self.cluster_dir / "pki"

    @property
    def admin_kubeconfig(self) -> Path:
        return self.cluster_dir / "admin.conf"

    def node(self, name: str) -> Node:
        for node in (*self.masters, *self.loadbalancers, *self.etcd_members):
            if node.name == name:
                return node
        raise KeyError(name)

    def etcd_endpoints(self, members: list[Node] | None = None) -> str:
        chosen = self.etcd_members if members is None else members
        return ",".join(f"https://{n.address}:{self.etcd_client_port}" for n in chosen)

    def check_files(self) -> None:
        """The controller-side files that deploy wrote; a clear error if they are absent."""
        for path in (self.admin_kubeconfig, self.pki / "ca.crt", self.pki / "admin.key"):
            if not path.is_file():
                raise HatoolError(
                    f"{path} is missing: deploy this inventory first (hatool deploy "
                    f"{self.inventory}), on this machine, since the cluster's certificates "
                    "are kept next to the inventory"
                )


def _ssh_options(common_args: str) -> dict[str, str]:
    """``-o Key=Value`` pairs from ansible_ssh_common_args / ansible_ssh_extra_args."""
    options: dict[str, str] = {}
    words = shlex.split(common_args)
    for index, word in enumerate(words):
        pair = None
        if word == "-o" and index + 1 < len(words):
            pair = words[index + 1]
        elif word.startswith("-o") and len(word) > 2:
            pair = word[2:]
        if pair and "=" in pair:
            key, value = pair.split("=", 1)
            options[key.strip().lower()] = value.strip()
    return options


def _node(model: Model, name: str) -> Node:
    hostvars = model.hostvars.get(name, {})
    args = " ".join(
        str(hostvars.get(v, "")) for v in ("ansible_ssh_common_args", "ansible_ssh_extra_args")
    )
    options = _ssh_options(args)
    key = hostvars.get("ansible_ssh_private_key_file") or hostvars.get("ansible_private_key_file")
    return Node(
        name=name,
        address=str(hostvars.get("ansible_host") or name),
        user=str(hostvars["ansible_user"]) if hostvars.get("ansible_user") else None,
        port=int(hostvars.get("ansible_port") or 22),
        key_file=str(Path(str(key)).expanduser()) if key else None,
        known_hosts=options.get("userknownhostsfile"),
        strict_host_keys=options.get("stricthostkeychecking", "yes") not in ("no", "off"),
    )


def from_model(model: Model) -> Target:
    """A :class:`Target` from a validated inventory model."""
    topology = str(model.value("etcd_topology"))
    members = model.hosts_of("etcd") if topology == "external" else model.hosts_of("control_plane")
    timings = {}
    for component, binary in COMPONENTS.items():
        raw = election_timings(model, component)
        timings[binary] = Timings(*(parse_duration(raw[t]) for t in TIMINGS))
    return Target(
        inventory=model.source,
        cluster_name=str(model.value("cluster_name")),
        topology=topology,
        masters=[_node(model, h) for h in model.hosts_of("control_plane")],
        loadbalancers=[_node(model, h) for h in model.hosts_of("loadbalancer")],
        etcd_members=[_node(model, h) for h in members],
        apiserver_port=int(model.value("kube_apiserver_port")),
        loadbalancer_port=int(model.value("loadbalancer_port")),
        timings=timings,
    )
