"""Every flag the unit templates render, for every supported release, exists in that release.

The templates are rendered in-process with Ansible's own templating and the
roles' defaults; the flag lists in tests/data/flags/ are the components'
``--help`` (v1.20, from the binaries) and the reference pages of later
releases. kube-scheduler has no v1.35 page: v1.36's stands in. The v1.35
kube-controller-manager list is partial (some --concurrent-* rows are
missing); hatool renders none of those.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from hatool.inventory.contract import VARIABLES
from hatool.paths import PROJECT_ROOT
from hatool.versions import DEFAULT_KUBE_VERSION, SUPPORTED

ROLES = PROJECT_ROOT / "roles"
FLAGS = PROJECT_ROOT / "tests" / "data" / "flags"
LIST_FOR = {"kube-scheduler": {"v1.35": "v1.36"}}
#: Deprecated flags rendered on purpose, and why.
DELIBERATELY_DEPRECATED = {
    # Before v1.24 this is the only way to switch off the plain-HTTP port.
    ("kube-controller-manager", "--port"),
    ("kube-scheduler", "--port"),
    # Deprecated in favour of a KubeSchedulerConfiguration file (--config) but
    # honoured by every supported release; the leader-election flags beside
    # them are not deprecated. Moving to --config is a planned change.
    ("kube-scheduler", "--kubeconfig"),
    ("kube-scheduler", "--profiling"),
}

UNITS = {
    "kube-apiserver": ("kube_apiserver", "kube-apiserver.service.j2"),
    "kube-controller-manager": ("kube_controller_manager", "kube-controller-manager.service.j2"),
    "kube-scheduler": ("kube_scheduler", "kube-scheduler.service.j2"),
    "etcd": ("etcd", "etcd.service.j2"),
}


def _trusted(value: Any) -> Any:
    """Mark every string as a template, as Ansible does for a role's own files."""
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, dict):
        return {k: _trusted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_trusted(v) for v in value]
    return value


def _yaml(path: Path) -> dict[str, Any]:
    """A role's defaults or vars, as a real run sees them."""
    if not path.is_file():
        return {}
    return dict(_trusted(yaml.safe_load(path.read_text()) or {}))


def role_variables(role: str, kube_version: str) -> dict[str, Any]:
    variables: dict[str, Any] = {}
    for name in ("cluster", role):
        variables.update(_yaml(ROLES / name / "defaults" / "main.yml"))
        variables.update(_yaml(ROLES / name / "vars" / "main.yml"))
    masters = {f"master-{i}": {"ansible_host": f"127.0.5.{i}"} for i in (1, 2, 3)}
    variables.update(
        kube_version=kube_version,
        inventory_hostname="master-1",
        inventory_dir="/tmp/inventory",
        groups={
            "control_plane": list(masters),
            "loadbalancer": ["lb-1"],
            "all": [*masters, "lb-1"],
        },
        hostvars={**masters, "lb-1": {"ansible_host": "127.0.5.10"}},
        ansible_managed="Ansible managed",
        ansible_facts={"architecture": "x86_64"},
        artifact_mirror_url="http://127.0.0.1:8780",
    )
    return variables


def render(role: str, template: str, kube_version: str, **extra: object) -> str:
    text = trust_as_template((ROLES / role / "templates" / template).read_text())
    variables = {**role_variables(role, kube_version), **extra}
    templar = Templar(loader=DataLoader(), variables=variables)
    return str(templar.template(text))


def exec_flags(unit: str) -> list[str]:
    joined = unit.replace("\\\n", " ")
    exec_line = next(line for line in joined.splitlines() if line.startswith("ExecStart="))
    return [word.split("=", 1)[0] for word in exec_line.split() if word.startswith("--")]


def reference(component: str, version: str) -> dict[str, bool]:
    """Flag -> deprecated, from the list for ``component`` at ``version``."""
    name = f"etcd-{version}" if component == "etcd" else f"{component}-{version}"
    flags = {}
    for line in (FLAGS / f"{name}.txt").read_text().splitlines():
        if line.startswith("--"):
            flag, _, note = line.partition(" ")
            flags[flag] = "deprecated" in note
    return flags


CASES = [
    (component, kube_version)
    for component in UNITS
    for kube_version in (f"{minor}.0" for minor in SUPPORTED)
]


@pytest.mark.parametrize(("component", "kube_version"), CASES)
def test_rendered_flags_exist_and_are_not_deprecated(component: str, kube_version: str) -> None:
    role, template = UNITS[component]
    unit = render(role, template, kube_version)
    flags = exec_flags(unit)
    assert len(flags) >= 6, unit
    minor = kube_version.rsplit(".", 1)[0]
    if component == "etcd":
        version = SUPPORTED[minor].etcd_minor
    else:
        version = LIST_FOR.get(component, {}).get(minor, minor)
    known = reference(component, version)
    unknown = [f for f in flags if f not in known]
    assert unknown == [], f"{component} {kube_version}: not in the {version} list: {unknown}"
    deprecated = [f for f in flags if known[f] and (component, f) not in DELIBERATELY_DEPRECATED]
    assert deprecated == [], f"{component} {kube_version}: deprecated in {version}: {deprecated}"
    assert len(set(flags)) == len(flags), f"a flag is rendered twice: {flags}"


@pytest.mark.parametrize("component", ["kube-controller-manager", "kube-scheduler"])
def test_leader_election_flags_follow_the_inventory(component: str) -> None:
    role, template = UNITS[component]
    variables = role_variables(role, "v1.20.2")
    variables.update(leader_elect_lease_duration="20s", leader_elect_retry_period="3s")
    variables[f"{role}_leader_elect_renew_deadline"] = "12s"
    text = trust_as_template((ROLES / role / "templates" / template).read_text())
    unit = str(Templar(loader=DataLoader(), variables=variables).template(text))
    assert "--leader-elect=true" in unit
    assert "--leader-elect-lease-duration=20s" in unit
    assert "--leader-elect-renew-deadline=12s" in unit
    assert "--leader-elect-retry-period=3s" in unit
    assert "--bind-address=127.0.0.1" in unit
    assert "--profiling=false" in unit


@pytest.mark.parametrize(("kube_version", "has_port_flag"), [("v1.20.2", True), ("v1.31.4", False)])
def test_insecure_port_is_switched_off_only_where_the_flag_exists(
    kube_version: str, has_port_flag: bool
) -> None:
    for component in ("kube-controller-manager", "kube-scheduler"):
        role, template = UNITS[component]
        assert ("--port=0" in render(role, template, kube_version)) is has_port_flag


def test_apiserver_uses_every_etcd_member_and_the_security_flags() -> None:
    unit = render("kube_apiserver", "kube-apiserver.service.j2", "v1.20.2")
    assert (
        "--etcd-servers=https://127.0.5.1:2379,https://127.0.5.2:2379,https://127.0.5.3:2379"
        in unit
    )
    for flag in ("--authorization-mode=Node,RBAC", "--profiling=false", "--audit-log-path="):
        assert flag in unit


def test_etcd_requires_client_certificates_on_both_sides() -> None:
    unit = render("etcd", "etcd.service.j2", "v1.20.2")
    assert "--client-cert-auth=true" in unit
    assert "--peer-client-cert-auth=true" in unit
    assert "EnvironmentFile=-/etc/etcd/etcd.env" in unit
    assert "--initial-cluster" not in unit  # in the environment file, written once


@pytest.mark.parametrize("minor", sorted(SUPPORTED))
def test_a_new_cluster_bootstraps_from_every_member(minor: str) -> None:
    env = render(
        "etcd", "etcd.env.j2", f"{minor}.0",
        __etcd_env_state="new", __etcd_env_cluster=trust_as_template("{{ __etcd_initial_cluster }}"),
    )  # fmt: skip
    settings = dict(line.split("=", 1) for line in env.splitlines() if line.startswith("ETCD_"))
    assert settings == {
        "ETCD_INITIAL_CLUSTER_STATE": "new",
        "ETCD_INITIAL_CLUSTER_TOKEN": "hatool-etcd",
        "ETCD_INITIAL_CLUSTER": "master-1=https://127.0.5.1:2380,master-2=https://127.0.5.2:2380,"
        "master-3=https://127.0.5.3:2380",
    }
    # Each variable is the environment form of a flag the etcd release has.
    flags = reference("etcd", SUPPORTED[minor].etcd_minor)
    for name in settings:
        flag = "--" + name.removeprefix("ETCD_").lower().replace("_", "-")
        assert flag in flags
        assert not flags[flag]


def test_every_template_starts_with_the_managed_header() -> None:
    templates = sorted(ROLES.glob("*/templates/*.j2"))
    assert templates
    for template in templates:
        first = template.read_text().splitlines()[0]
        assert first == "{{ ansible_managed | comment }}", template


def test_cluster_role_defaults_match_the_inventory_contract() -> None:
    defaults = (ROLES / "cluster" / "defaults" / "main.yml").read_text()
    for name in (
        "etcd_topology", "kube_version", "leader_elect_lease_duration", "leader_elect_renew_deadline",
        "leader_elect_retry_period", "kube_apiserver_port", "loadbalancer_port", "kube_service_cidr",
        "artifact_source",
    ):  # fmt: skip
        default = VARIABLES[name].default
        pattern = rf"{name} \| default\('?{re.escape(str(default))}'?\)"
        assert re.search(pattern, defaults), (
            f"{name}: the cluster role's default is not {default!r}"
        )
    assert f"default('{DEFAULT_KUBE_VERSION}')" in defaults
    versions = _yaml(ROLES / "cluster" / "defaults" / "main.yml")["cluster_etcd_versions"]
    assert versions == {m.removeprefix("v"): r.etcd_version for m, r in SUPPORTED.items()}
