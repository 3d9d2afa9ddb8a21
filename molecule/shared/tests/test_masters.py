"""Each master after converge: services, ports, file modes, and nothing that is not its job."""

from __future__ import annotations

import os

import pytest
from testinfra.utils.ansible_runner import AnsibleRunner

testinfra_hosts = ["control_plane"]

CONTROL_PLANE = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")


def address(host):
    return host.ansible.get_variables()["ansible_host"]


def stacked(host):
    """Whether this scenario's inventory puts the etcd members on the masters."""
    return host.ansible.get_variables()["etcd_topology"] == "stacked"


@pytest.mark.parametrize("unit", CONTROL_PLANE)
def test_control_plane_services_run_and_start_at_boot(host, unit):
    service = host.service(unit)
    assert service.is_running
    assert service.is_enabled


def test_etcd_only_where_the_topology_puts_it(host):
    on_masters = stacked(host)
    assert host.service("etcd").is_running is on_masters
    assert host.file("/var/lib/etcd").exists is on_masters
    assert host.file("/usr/local/bin/etcd").exists is on_masters


def etcd_member_addresses(host):
    groups = host.ansible.get_variables()["groups"]
    members = groups["control_plane"] if stacked(host) else groups["etcd"]
    runner = AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"])
    return {runner.get_variables(m)["ansible_host"] for m in members}


def test_api_server_uses_and_reaches_its_etcd_members(host):
    """Stacked: only the member beside it, over loopback; external: every member."""
    expected = {"127.0.0.1"} if stacked(host) else etcd_member_addresses(host)
    assert stacked(host) or len(expected) >= 3
    pid = host.check_output("systemctl show -p MainPID --value kube-apiserver")
    flags = host.file(f"/proc/{pid}/cmdline").content_string.split("\0")
    (servers,) = [f.split("=", 1)[1] for f in flags if f.startswith("--etcd-servers=")]
    assert {
        url.removeprefix("https://").rsplit(":", 1)[0] for url in servers.split(",")
    } == expected
    with host.sudo():
        sockets = host.check_output("ss -Htnp state established '( dport = :2379 )'")
    peers = {
        line.split()[3].rsplit(":", 1)[0]
        for line in sockets.splitlines()
        if "kube-apiserver" in line
    }
    assert expected <= peers


def test_stacked_api_server_stops_and_starts_with_its_etcd_member(host):
    api = host.check_output("systemctl show -p BindsTo -p After kube-apiserver")
    wants = host.check_output("systemctl show -p Wants --value etcd") if stacked(host) else ""
    if stacked(host):
        assert "BindsTo=etcd.service" in api
        assert "etcd.service" in api.split("After=", 1)[1]
        assert "kube-apiserver.service" in wants.split()
    else:
        assert "etcd.service" not in api


def test_api_server_listens_on_the_host_address(host):
    assert host.socket(f"tcp://{address(host)}:6443").is_listening


@pytest.mark.parametrize(
    ("component", "port"), [("controller-manager", 10257), ("scheduler", 10259)]
)
def test_leader_elected_components_listen_on_loopback_only(host, component, port):
    assert host.socket(f"tcp://127.0.0.1:{port}").is_listening, component
    assert not host.socket(f"tcp://{address(host)}:{port}").is_listening, component


def test_etcd_listens_for_clients_and_peers_and_keeps_its_data_private(host):
    if not stacked(host):
        pytest.skip("external etcd: no member on the masters")
    assert host.socket(f"tcp://{address(host)}:2379").is_listening
    assert host.socket(f"tcp://{address(host)}:2380").is_listening
    data = host.file("/var/lib/etcd")
    assert data.is_directory
    assert data.mode == 0o700
    assert (data.user, data.group) == ("etcd", "etcd")


def test_private_keys_are_readable_by_their_owner_only(host):
    with host.sudo():
        paths = host.check_output(
            "find /etc/kubernetes /etc/etcd -name '*.key' 2>/dev/null; true"
        ).split()
        assert "/etc/kubernetes/pki/apiserver.key" in paths
        for path in paths:
            info = host.file(path)
            assert info.mode == 0o600, path
            assert info.user in ("root", "etcd"), path


def test_kubeconfigs_are_private(host):
    with host.sudo():
        for name in ("controller-manager.conf", "scheduler.conf"):
            assert host.file(f"/etc/kubernetes/{name}").mode == 0o600, name


def test_no_load_balancer_on_a_master(host):
    assert not host.package("nginx").is_installed


def test_certificates_are_private_too(host):
    with host.sudo():
        paths = host.check_output("find /etc/kubernetes/pki -name '*.crt'").split()
        assert "/etc/kubernetes/pki/ca.crt" in paths
        for path in paths:
            assert host.file(path).mode == 0o600, path
        assert not host.file("/etc/kubernetes/pki/ca.key").exists  # the CSR signer is off


def test_the_api_server_encrypts_secrets_and_refuses_anonymous_requests(host):
    pid = host.check_output("systemctl show -p MainPID --value kube-apiserver")
    flags = host.file(f"/proc/{pid}/cmdline").content_string.split("\0")
    assert "--encryption-provider-config=/etc/kubernetes/encryption-config.yaml" in flags
    assert "--anonymous-auth=false" in flags
    with host.sudo():
        config = host.file("/etc/kubernetes/encryption-config.yaml")
        assert config.mode == 0o600
        assert config.user == "root"
