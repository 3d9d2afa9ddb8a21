"""Leader election, seen from the controller through the load balancer: one holder per Lease."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import testinfra
from kubernetes import client, config
from testinfra.utils.ansible_runner import AnsibleRunner

LEASES = ("kube-controller-manager", "kube-scheduler")
INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]


@pytest.fixture(scope="module")
def leases():
    inventory = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "inventory"
    kubeconfig = next(inventory.glob(".hatool/*/admin.conf"))
    api = client.CoordinationV1Api(config.new_client_from_config(config_file=str(kubeconfig)))
    return {name: api.read_namespaced_lease(name, "kube-system").spec for name in LEASES}


@pytest.fixture(scope="module")
def master_hostnames():
    masters = AnsibleRunner(INVENTORY).get_hosts("control_plane")
    assert len(masters) >= 3
    return {
        testinfra.get_host(f"ansible://{m}?ansible_inventory={INVENTORY}").check_output("hostname")
        for m in masters
    }


@pytest.mark.parametrize("lease", LEASES)
def test_each_lease_has_one_holder_and_it_is_a_master(leases, master_hostnames, lease):
    holder = leases[lease].holder_identity
    assert holder, f"{lease} has no holder"
    assert holder.rsplit("_", 1)[0] in master_hostnames


@pytest.mark.parametrize("lease", LEASES)
def test_the_lease_lasts_as_configured(leases, lease):
    assert leases[lease].lease_duration_seconds == 15
