"""The resolved cluster: what it works out from an inventory, and its round trip through the fact."""

from __future__ import annotations

import pytest

from hatool.ansible import PlaybookOptions
from hatool.cluster.model import Cluster
from hatool.cluster.resolve import VIP_NAME, vrrp_router_id
from hatool.lab.plan import Lab
from tests.helpers.inventories import cluster_of, model


def test_the_fact_gives_back_the_same_cluster() -> None:
    for inventory in (
        model(),
        model(topology="external"),
        model({"loadbalancer_vip": "127.0.9.250"}, lbs=2),
    ):
        cluster = cluster_of(inventory)
        assert Cluster.from_fact(cluster.to_fact()) == cluster


def test_without_a_virtual_ip_clients_use_the_first_load_balancer() -> None:
    lbs = cluster_of(model(lbs=2)).loadbalancers
    assert (lbs.vip, lbs.vrrp, lbs.entry.name) == (None, None, "lb")
    assert lbs.url == "https://127.0.9.4:6443"
    assert lbs.units == ("nginx",)


def test_with_a_virtual_ip_clients_use_it_and_keepalived_runs() -> None:
    lbs = cluster_of(model({"loadbalancer_vip": "127.0.9.250"}, lbs=2)).loadbalancers
    assert (lbs.entry.name, lbs.entry.address) == (VIP_NAME, "127.0.9.250")
    assert lbs.url == "https://127.0.9.250:6443"
    assert lbs.units == ("nginx", "keepalived")
    assert lbs.vrrp is not None
    assert lbs.vrrp.failover_bound() == 3 * 1 + 1 * 2


def test_the_router_id_comes_from_the_cluster_name_unless_set() -> None:
    ids = {vrrp_router_id(f"cluster-{i}") for i in range(200)}
    assert all(1 <= i <= 255 for i in ids)
    assert len(ids) > 100  # spread, so two clusters on one segment rarely share one
    assert vrrp_router_id("prod") == vrrp_router_id("prod")
    vip = {"loadbalancer_vip": "127.0.9.250"}
    derived = cluster_of(model(vip, lbs=2)).loadbalancers.vrrp
    chosen = cluster_of(model({**vip, "loadbalancer_vrrp_router_id": 42}, lbs=2)).loadbalancers.vrrp
    assert derived is not None
    assert chosen is not None
    assert derived.router_id == vrrp_router_id("hatool")
    assert chosen.router_id == 42
    other = cluster_of(model({**vip, "cluster_name": "other"}, lbs=2)).loadbalancers.vrrp
    assert other is not None
    assert other.auth != derived.auth


@pytest.mark.parametrize(
    ("delay", "grace", "seconds"), [("5s", "10s", 75), ("30s", "1m", 150), ("500ms", "0s", 61)]
)
def test_systemd_waits_for_a_graceful_api_server_stop(delay: str, grace: str, seconds: int) -> None:
    cluster = cluster_of(
        model(
            {"kube_apiserver_shutdown_delay": delay, "kube_apiserver_shutdown_watch_grace": grace}
        )
    )
    assert cluster.apiserver.stop_timeout == seconds


def test_the_components_carry_their_health_port_and_lease_duration() -> None:
    fact = cluster_of(model({"kube_scheduler_leader_elect_lease_duration": "20s"})).to_fact()
    assert fact["components"]["kube-controller-manager"]["healthz_port"] == 10257
    assert fact["components"]["kube-scheduler"]["healthz_port"] == 10259
    assert fact["components"]["kube-scheduler"]["lease_seconds"] == 20
    assert fact["components"]["kube-controller-manager"]["lease_seconds"] == 15


def test_a_lab_with_two_load_balancers_gets_a_virtual_ip_from_its_subnet() -> None:
    one = Lab.plan("v", "stacked", masters=3, etcd=0, lbs=1, subnet="10.213.9.0/24")
    two = Lab.plan("v", "stacked", masters=3, etcd=0, lbs=2, subnet="10.213.9.0/24")
    assert one.vip is None
    assert "loadbalancer_vip" not in one.inventory()["all"]["vars"]
    assert two.vip == "10.213.9.250"
    assert two.inventory()["all"]["vars"]["loadbalancer_vip"] == "10.213.9.250"
    assert two.vip not in {h.address for h in two.hosts}


def test_playbook_options_become_ansible_playbook_flags() -> None:
    options = PlaybookOptions(
        check=True, limit="master-1", extra_vars=['{"restart_components": ["etcd"]}'], verbosity=2
    )
    assert options.flags() == [
        "--check", "--limit", "master-1", "-e", '{"restart_components": ["etcd"]}', "-vv",
    ]  # fmt: skip
    assert PlaybookOptions().flags() == []
