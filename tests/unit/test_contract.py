"""Every variable an operator may set is honoured end to end; nothing else may be set.

Each public variable is set to a value other than its default, the inventory
is validated and resolved, every template of every role is rendered for one
host of each kind, and the verify target is built: the value must show up
where it belongs. This is what catches a role or verify that hard-codes a port
or a path instead of reading the cluster model.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml

from hatool.cluster.model import Cluster
from hatool.inventory.contract import ROLES, variables
from hatool.inventory.findings import errors
from hatool.inventory.rules import check
from hatool.pki import spec_for
from tests.helpers.inventories import cluster_of, model, target_of
from tests.helpers.render import ROLES as ROLES_DIR
from tests.helpers.render import render, templates

#: Values that must be valid, not just different.
SPECIAL: dict[str, Any] = {
    "etcd_topology": "external",
    "cluster_name": "prod-eu",
    "kube_version": "v1.30.7",
    "etcd_version": "v3.5.13",
    # valid beside the other defaults (15s/10s/2s, restart after 5s)
    "leader_elect_lease_duration": "31s",
    "leader_elect_renew_deadline": "12s",
    "leader_elect_retry_period": "1800ms",
    "kube_controller_manager_leader_elect_lease_duration": "33s",
    "kube_controller_manager_leader_elect_renew_deadline": "13s",
    "kube_controller_manager_leader_elect_retry_period": "1900ms",
    "kube_scheduler_leader_elect_lease_duration": "34s",
    "kube_scheduler_leader_elect_renew_deadline": "11s",
    "kube_scheduler_leader_elect_retry_period": "1700ms",
    "kube_controller_manager_restart_delay": "11s",
    "kube_scheduler_restart_delay": "13s",
    "kube_apiserver_shutdown_delay": "7s",
    "kube_service_cidr": "10.112.0.0/16",
    "kube_apiserver_extra_sans": ["api.prod.example.test"],
    "artifact_source": "mirror",
    "artifact_mirror_url": "http://127.0.0.1:9999/mirror",
    "artifact_mirror_versions": ["v1.30.7"],
    "kube_apiserver_authorization_mode": "Node,RBAC,ABAC",
    "kube_apiserver_service_account_issuer": "https://issuer.prod.example.test",
    "loadbalancer_fail_timeout": "17s",
    "loadbalancer_connect_timeout": "3s",
    "loadbalancer_next_upstream_timeout": "19s",
    "loadbalancer_proxy_timeout": "23m",
    "kube_controller_manager_controllers": ["*", "-ttl"],
    "loadbalancer_packages": ["nginx-extras"],
    "etcd_initial_cluster_token": "prod-eu-etcd-7",
    "loadbalancer_vip": "127.0.9.250",
    "loadbalancer_engine": "haproxy",
    "loadbalancer_check_interval": "3s",
    "loadbalancer_vrrp_router_id": 42,
    "loadbalancer_vip_interface": "bond0",
    "kube_apiserver_shutdown_watch_grace": "13s",
}

#: Variables that take effect only with a virtual IP, or only with the haproxy engine.
NEEDS = {
    "loadbalancer_vip": {"loadbalancer_vip": "127.0.9.250"},
    "loadbalancer_vrrp": {"loadbalancer_vip": "127.0.9.250"},
    "loadbalancer_keepalived": {"loadbalancer_vip": "127.0.9.250"},
    "loadbalancer_check": {"loadbalancer_engine": "haproxy"},
    "loadbalancer_haproxy": {"loadbalancer_engine": "haproxy"},
    "kube_apiserver_shutdown_": {"kube_version": "v1.30.7", "artifact_source": "official"},
}

#: Variables that steer tasks rather than a rendered file: their role's tasks must use them.
TASK_SETTINGS = {
    "etcd_allow_unsafe_member_count",
    "etcd_health_retries",
    "etcd_health_delay",
    "kube_apiserver_ready_retries",
    "kube_apiserver_ready_delay",
    "kube_apiserver_ready_consecutive",
    "certificates_renew_before_days",
    "loadbalancer_packages",
    "loadbalancer_haproxy_packages",
    "loadbalancer_keepalived_packages",
    "certificates_force_renewal",
    "etcd_backup_timer",
}


#: Variables the roles' tasks take from the cluster fact: the fact carries the value, and a
#: task reads that part of it.
TASK_FACTS = {
    "artifact_source": "hatool.artifacts.",
    "artifact_mirror_url": "hatool.artifacts.",
    "deploy_skip_unchanged": "hatool.skip_unchanged",
    "etcd_install_dir": "hatool.etcd.install_dir",
    "loadbalancer_engine": "hatool.loadbalancers.engine",
}


def other_value(name: str) -> Any:
    """A valid value for ``name`` that is not its default."""
    if name in SPECIAL:
        return SPECIAL[name]
    variable = variables()[name]
    default = variable.default
    if variable.type == "int":
        return int(default) + 17
    if variable.type == "bool":
        return not default
    if variable.type == "path":
        return f"/srv/hatool-test/{name}"
    if variable.type == "list":
        return [f"hatool-test-{name}"]
    return f"hatool-test-{name}"


def test_every_variable_has_a_test_value_different_from_its_default() -> None:
    for name, variable in variables().items():
        assert other_value(name) != variable.default, name


def rendered(cluster: Cluster, overrides: dict[str, Any]) -> str:
    """Every template of every role, for one master, one etcd member and one load balancer."""
    hosts = {
        "etcd": cluster.etcd.members[0].name,
        "loadbalancer": cluster.loadbalancers.hosts[0].name,
    }
    pieces: list[str] = []
    for role in ROLES:
        host = hosts.get(role, cluster.masters[0].name)
        for template in templates(role):
            if template.name.startswith(("keepalived", "check-loadbalancer")) and not (
                cluster.loadbalancers.vip
            ):
                continue  # only with a virtual IP
            pieces.append(
                render(
                    role,
                    template.name,
                    cluster,
                    host,
                    overrides,
                    __etcd_env_state="new",
                    __etcd_env_cluster="",
                )
            )
    return "\n".join(pieces)


def shown(value: Any) -> list[str]:
    """The forms ``value`` may take in a rendered file."""
    if isinstance(value, list):
        return [",".join(str(v) for v in value), *(str(v) for v in value)]
    if isinstance(value, bool):
        return [str(value).lower(), str(value)]
    return [str(value)]


def role_tasks(role: str) -> str:
    """A role's tasks and its vars/main.yml (where tasks' shorthands live)."""
    folder = ROLES_DIR / role
    files = [*sorted(folder.glob("tasks/*.yml")), *sorted(folder.glob("vars/*.yml"))]
    return "\n".join(p.read_text() for p in files)


@pytest.mark.parametrize("name", sorted(variables()))
def test_a_public_variable_set_in_the_inventory_is_honoured(name: str) -> None:
    value = other_value(name)
    extra: dict[str, Any] = {"kube_version": "v1.20.2"}
    if name.startswith("artifact_"):
        extra.update(artifact_source="mirror", artifact_mirror_url=SPECIAL["artifact_mirror_url"])
    for prefix, needed in NEEDS.items():
        if name.startswith(prefix):
            extra.update(needed)
    extra[name] = value
    lbs = 2 if "loadbalancer_vip" in extra else 1
    inventory = model(extra, topology="external" if value == "external" else "stacked", lbs=lbs)
    found = [f.line() for f in errors(check(inventory))]
    assert found == [], f"{name}={value!r} should be valid"
    if name == "artifact_mirror_versions":  # it only widens what validation accepts
        wanted = {**extra, "kube_version": value[0]}
        assert not errors(check(model(wanted)))
        assert errors(check(model({**wanted, name: []})))
        return
    variable = variables()[name]
    cluster = cluster_of(inventory)
    if name in TASK_SETTINGS:
        assert re.search(rf"\b{name}\b", role_tasks(variable.role)), (
            f"roles/{variable.role} ignores {name}"
        )
        return
    if name in TASK_FACTS:
        assert any(form in json.dumps(cluster.to_fact()) for form in shown(value))
        assert any(TASK_FACTS[name] in role_tasks(role) for role in ("common", *ROLES))
        return
    if name == "etcd_topology":  # the API servers use the etcd hosts, not the masters
        unit = render("kube_apiserver", "kube-apiserver.service.j2", cluster, "m1")
        members = ",".join(f"https://{m.address}:2379" for m in cluster.etcd.members)
        assert [m.name for m in cluster.etcd.members] == ["e1", "e2", "e3"]
        assert f"--etcd-servers={members}" in unit
        return
    if name == "kube_apiserver_extra_sans":  # the API server certificate's names
        (apiserver,) = [c for c in spec_for(cluster).certs if c.stem == "apiserver"]
        assert value[0] in apiserver.sans
        return
    text = rendered(cluster, {name: value})
    assert any(form in text for form in shown(value)), f"{name}={value!r} shows up nowhere"
    without = {k: v for k, v in extra.items() if k != name}
    baseline = model(without, topology="external" if value == "external" else "stacked", lbs=lbs)
    assert text != rendered(cluster_of(baseline), {}), f"{name}={value!r} changes nothing"


def test_the_etcd_port_and_certificates_reach_the_api_servers_and_verify() -> None:
    inventory = model({"etcd_client_port": 2479, "etcd_pki_dir": "/srv/etcd/tls"})
    cluster = cluster_of(inventory)
    unit = render("kube_apiserver", "kube-apiserver.service.j2", cluster, "m1")
    assert "--etcd-servers=https://127.0.0.1:2479 " in unit  # stacked: its own member
    external = cluster_of(model({"etcd_client_port": 2479}, topology="external"))
    unit = render("kube_apiserver", "kube-apiserver.service.j2", external, "m1")
    members = "https://127.0.9.5:2479,https://127.0.9.6:2479,https://127.0.9.7:2479"
    assert f"--etcd-servers={members} " in unit
    etcd = render("etcd", "etcd.service.j2", cluster, "m1")
    assert "--listen-client-urls=https://127.0.9.1:2479,https://127.0.0.1:2479" in etcd
    assert "--cert-file=/srv/etcd/tls/server.crt" in etcd
    line = target_of(inventory).etcdctl("endpoint", "health")
    assert (
        "--endpoints=https://127.0.9.1:2479,https://127.0.9.2:2479,https://127.0.9.3:2479" in line
    )
    assert "--cacert=/srv/etcd/tls/ca.crt" in line
    assert "--cert=/srv/etcd/tls/healthcheck-client.crt" in line


def test_the_ports_reach_the_load_balancer_and_verify() -> None:
    inventory = model({"kube_apiserver_port": 7443, "loadbalancer_port": 8443})
    cluster = cluster_of(inventory)
    nginx = render("loadbalancer", "nginx.conf.j2", cluster, "lb")
    assert "server 127.0.9.1:7443" in nginx
    assert "listen 8443;" in nginx
    target = target_of(inventory)
    assert (target.apiserver_port, target.loadbalancer_port) == (7443, 8443)


def test_role_defaults_are_plain_values() -> None:
    """A default is data: anything worked out from other values belongs to the cluster model."""
    for role in ROLES:
        text = (ROLES_DIR / role / "defaults" / "main.yml").read_text()
        assert "{{" not in text, f"roles/{role}/defaults/main.yml derives a value in Jinja"


@pytest.mark.parametrize("role", ROLES)
def test_a_role_documents_exactly_the_variables_it_defaults(role: str) -> None:
    defaults = yaml.safe_load((ROLES_DIR / role / "defaults" / "main.yml").read_text()) or {}
    specs = yaml.safe_load((ROLES_DIR / role / "meta" / "argument_specs.yml").read_text())
    options = dict(specs["argument_specs"]["main"]["options"])
    assert options.pop("hatool")["required"] is True
    assert sorted(options) == sorted(defaults)
    for name, option in options.items():
        assert name.startswith(f"{role}_"), f"{name}: a role's variables carry its name"
        if "default" in option:
            assert option["default"] == defaults[name], name


@pytest.mark.parametrize("role", ["common", *ROLES])
def test_internal_variables_carry_the_double_underscore(role: str) -> None:
    path = ROLES_DIR / role / "vars" / "main.yml"
    names = list(yaml.safe_load(path.read_text()) or {}) if path.is_file() else []
    assert all(n.startswith(f"__{role}") for n in names), names
