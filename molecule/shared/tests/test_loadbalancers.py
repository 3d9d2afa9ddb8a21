"""Each load balancer: its engine from the OS packages, proxying to every master, no Kubernetes;
with a virtual IP, keepalived keeps it on exactly one of them."""

from __future__ import annotations

import os

import pytest
import testinfra

testinfra_hosts = ["loadbalancer"]

CONFIG = {"nginx": "/etc/nginx/nginx.conf", "haproxy": "/etc/haproxy/haproxy.cfg"}
CHECK = {"nginx": "nginx -t", "haproxy": "haproxy -c -f /etc/haproxy/haproxy.cfg"}


def engine(host) -> str:
    return str(host.ansible.get_variables().get("loadbalancer_engine", "nginx"))


def vip(host) -> str | None:
    """loadbalancer_vip as Ansible templates it (a scenario may look it up from a file)."""
    value = host.ansible.get_variables().get("loadbalancer_vip")
    if value and "{{" in str(value):
        value = host.ansible("debug", "var=loadbalancer_vip", check=False)["loadbalancer_vip"]
    return str(value) if value else None


def test_the_engine_runs_and_starts_at_boot(host):
    name = engine(host)
    assert host.package(name).is_installed
    assert host.service(name).is_running
    assert host.service(name).is_enabled


def test_it_listens_on_the_api_port(host):
    assert host.socket("tcp://0.0.0.0:6443").is_listening


def test_its_configuration_is_valid(host):
    with host.sudo():
        assert host.run(CHECK[engine(host)]).rc == 0


def test_it_proxies_to_every_master(host):
    with host.sudo():
        config = host.file(CONFIG[engine(host)]).content_string
    masters = host.ansible.get_variables()["groups"]["control_plane"]
    upstreams = [  # "server ADDRESS ..." (nginx) or "server NAME ADDRESS ..." (haproxy), no block
        line
        for line in (text.strip() for text in config.splitlines())
        if line.startswith("server ") and not line.endswith("{")
    ]
    assert len(upstreams) == len(masters)
    for master in masters:
        assert any(master in line for line in upstreams)


def test_no_kubernetes_component_on_a_load_balancer(host):
    for binary in ("kube-apiserver", "kube-controller-manager", "etcd"):
        assert not host.file(f"/usr/local/bin/{binary}").exists


def test_keepalived_runs_with_unicast_peers_and_no_preemption(host):
    address = vip(host)
    if not address:
        pytest.skip("no loadbalancer_vip in this scenario")
    assert host.service("keepalived").is_running
    assert host.service("keepalived").is_enabled
    with host.sudo():
        config = host.file("/etc/keepalived/keepalived.conf").content_string
    variables = host.ansible.get_variables()
    others = [
        h for h in variables["groups"]["loadbalancer"] if h != variables["inventory_hostname"]
    ]
    assert "state BACKUP" in config
    assert "nopreempt" in config
    assert f"{address}/32" in config
    assert "unicast_peer" in config
    assert len(others) >= 1
    assert "track_script" in config


def test_exactly_one_load_balancer_holds_the_virtual_ip(host):
    address = vip(host)
    if not address:
        pytest.skip("no loadbalancer_vip in this scenario")
    inventory = os.environ["MOLECULE_INVENTORY_FILE"]
    names = host.ansible.get_variables()["groups"]["loadbalancer"]
    holders = [
        name
        for name in names
        if f" {address}/"
        in testinfra.get_host(f"ansible://{name}?ansible_inventory={inventory}")
        .run("ip -o addr show")
        .stdout
    ]
    assert len(holders) == 1, holders
