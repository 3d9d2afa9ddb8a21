"""Each external etcd member after converge: etcd and nothing else of the control plane."""

from __future__ import annotations

import pytest

# Only scenarios with external etcd have group etcd; elsewhere these tests skip.
testinfra_hosts = ["etcd"]


@pytest.fixture(autouse=True)
def _external_only(host):
    if host.ansible.get_variables()["etcd_topology"] != "external":
        pytest.skip("stacked etcd: the members are the masters (test_masters.py)")


def address(host):
    return host.ansible.get_variables()["ansible_host"]


def test_etcd_runs_and_starts_at_boot(host):
    service = host.service("etcd")
    assert service.is_running
    assert service.is_enabled


def test_etcd_listens_for_clients_and_peers_on_the_host_address(host):
    assert host.socket(f"tcp://{address(host)}:2379").is_listening
    assert host.socket(f"tcp://{address(host)}:2380").is_listening


def test_data_directory_and_keys_are_private(host):
    assert host.file("/var/lib/etcd").mode == 0o700
    with host.sudo():
        keys = host.check_output("find /etc/etcd/pki -name '*.key'").split()
        assert "/etc/etcd/pki/server.key" in keys
        assert "/etc/etcd/pki/peer.key" in keys
        assert all(host.file(k).mode == 0o600 for k in keys)


def test_the_member_checks_client_and_peer_certificates(host):
    pid = host.check_output("systemctl show -p MainPID --value etcd")
    flags = host.file(f"/proc/{pid}/cmdline").content_string.split("\0")
    assert "--client-cert-auth=true" in flags
    assert "--peer-client-cert-auth=true" in flags


@pytest.mark.parametrize(
    "unit", ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "nginx"]
)
def test_no_control_plane_component_on_an_etcd_host(host, unit):
    assert not host.service(unit).is_running
    assert not host.file(f"/usr/local/bin/{unit}").exists


def test_etcd_runs_as_its_own_user_which_owns_its_data(host):
    pid = host.check_output("systemctl show -p MainPID --value etcd")
    assert host.check_output(f"stat -c %U /proc/{pid}") == "etcd"
    data = host.file("/var/lib/etcd")
    assert (data.user, data.group) == ("etcd", "etcd")
