"""The lab's plan (names, groups, addresses), subnet choice, inventory and image recipe."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import pytest

from hatool.errors import HatoolError
from hatool.lab import image
from hatool.lab.plan import Lab, Shape, check_name, choose_subnet


def test_stacked_plan_has_masters_then_load_balancers_from_dot_11() -> None:
    lab = Lab.plan("demo", "stacked", masters=3, etcd=0, lbs=1, subnet="10.213.4.0/24")
    assert [(h.name, h.groups, h.address) for h in lab.hosts] == [
        ("master-1", ["control_plane"], "10.213.4.11"),
        ("master-2", ["control_plane"], "10.213.4.12"),
        ("master-3", ["control_plane"], "10.213.4.13"),
        ("lb-1", ["loadbalancer"], "10.213.4.14"),
    ]
    assert lab.gateway == "10.213.4.1"
    assert lab.hosts[0].container == "hatool-demo-master-1"


def test_external_plan_puts_etcd_hosts_between_masters_and_load_balancers() -> None:
    lab = Lab.plan("x", "external", masters=3, etcd=3, lbs=2, subnet="10.213.0.0/24")
    assert [h.name for h in lab.group("etcd")] == ["etcd-1", "etcd-2", "etcd-3"]
    assert [h.address for h in lab.group("etcd")] == ["10.213.0.14", "10.213.0.15", "10.213.0.16"]
    assert [h.name for h in lab.group("loadbalancer")] == ["lb-1", "lb-2"]
    assert lab.shape() == Shape("external", 3, 3, 2)


def test_shape_describes_a_lab_in_the_words_of_the_refusal_message() -> None:
    lab = Lab.plan("x", "external", masters=3, etcd=5, lbs=1, subnet="10.213.0.0/24")
    assert lab.shape().describe() == "external with 3 masters, 5 etcd hosts and 1 load balancers"
    moved = Lab.plan("x", "external", masters=3, etcd=5, lbs=1, subnet="10.213.7.0/24")
    stacked = Lab.plan("x", "stacked", masters=3, etcd=0, lbs=1, subnet="10.213.0.0/24")
    assert moved.shape() == lab.shape() != stacked.shape()


def test_state_json_keeps_the_plan_and_loads_it_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HATOOL_STATE", str(tmp_path))
    lab = Lab.plan("keep", "stacked", masters=1, etcd=0, lbs=1, subnet="10.213.5.0/24")
    lab.image = "hatool-host:abc"
    lab.save()
    saved = json.loads((tmp_path / "labs" / "keep" / "state.json").read_text())
    assert saved == {
        "name": "keep",
        "topology": "stacked",
        "subnet": "10.213.5.0/24",
        "gateway": "10.213.5.1",
        "image": "hatool-host:abc",
        "hosts": [
            {
                "lab": "keep",
                "name": "master-1",
                "groups": ["control_plane"],
                "address": "10.213.5.11",
            },
            {"lab": "keep", "name": "lb-1", "groups": ["loadbalancer"], "address": "10.213.5.12"},
        ],
        "retired": [],
    }
    assert Lab.load("keep") == lab
    with pytest.raises(HatoolError, match="hatool lab up --name gone"):
        Lab.load("gone")


def test_host_controls_name_the_container_network_and_address() -> None:
    lab = Lab.plan("ctl", "stacked", masters=2, etcd=0, lbs=1, subnet="10.213.6.0/24")
    host = lab.host("master-2")
    assert (host.name, host.address, host.container, host.network) == (
        "master-2", "10.213.6.12", "hatool-ctl-master-2", "hatool-ctl",
    )  # fmt: skip
    assert [c.name for c in lab.controls()] == ["master-1", "master-2", "lb-1"]
    with pytest.raises(HatoolError, match="has no host 'etcd-1'; it has master-1, master-2, lb-1"):
        lab.host("etcd-1")


def test_inventory_has_groups_connection_and_cluster_variables() -> None:
    lab = Lab.plan("inv", "external", masters=3, etcd=3, lbs=1, subnet="10.213.9.0/24")
    inventory = lab.inventory()["all"]
    assert set(inventory["children"]) == {"control_plane", "etcd", "loadbalancer"}
    assert inventory["children"]["etcd"]["hosts"]["etcd-2"] == {"ansible_host": "10.213.9.15"}
    variables = inventory["vars"]
    assert variables["ansible_user"] == "ops"
    assert variables["ansible_ssh_private_key_file"].endswith("/labs/inv/id_ed25519")
    assert "StrictHostKeyChecking=yes" in variables["ansible_ssh_common_args"]
    assert variables["etcd_topology"] == "external"
    assert variables["kube_version"] == "v1.20.2"
    assert variables["artifact_mirror_url"] == "http://10.213.9.1:8780"


def test_stacked_inventory_has_no_etcd_group() -> None:
    lab = Lab.plan("inv", "stacked", masters=3, etcd=0, lbs=1, subnet="10.213.9.0/24")
    assert "etcd" not in lab.inventory()["all"]["children"]


@pytest.mark.parametrize(
    ("topology", "masters", "etcd", "lbs", "message"),
    [
        ("stacked", 3, 3, 1, "--etcd is for --topology external"),
        ("mesh", 3, 0, 1, "--topology 'mesh'"),
        ("stacked", 0, 0, 1, "at least 1 master"),
        ("external", 3, 0, 1, "at least 1 master"),
    ],
)
def test_bad_shapes_are_refused(
    topology: str, masters: int, etcd: int, lbs: int, message: str
) -> None:
    with pytest.raises(HatoolError, match=message):
        Lab.plan("bad", topology, masters=masters, etcd=etcd, lbs=lbs, subnet="10.213.0.0/24")


def test_subnet_choice_skips_every_overlapping_network() -> None:
    used = {"172.17.0.0/16", "10.213.0.0/24", "10.213.1.0/24", "10.213.2.128/25"}
    assert choose_subnet(used) == "10.213.3.0/24"
    assert choose_subnet(set()) == "10.213.0.0/24"


def test_subnet_choice_fails_when_the_pool_is_full() -> None:
    with pytest.raises(HatoolError, match="every /24"):
        choose_subnet({"10.213.0.0/16"}, ipaddress.IPv4Network("10.213.0.0/16"))


@pytest.mark.parametrize("name", ["", "Upper", "-lead", "a_b", "x" * 41])
def test_lab_names_must_fit_container_names(name: str) -> None:
    with pytest.raises(HatoolError, match="lab name"):
        check_name(name)


def test_recipe_hash_changes_with_any_recipe_file(tmp_path: Path) -> None:
    (tmp_path / "build.sh").write_text("echo one\n")
    (tmp_path / "masked-units").write_text("a.service\n")
    first = image.recipe_hash(tmp_path)
    assert image.recipe_hash(tmp_path) == first
    (tmp_path / "masked-units").write_text("a.service\nb.service\n")
    assert image.recipe_hash(tmp_path) != first


def test_recipe_installs_none_of_the_components_hatool_deploys() -> None:
    recipe = (image.RECIPE_DIR / "build.sh").read_text()
    for component in ("etcd", "nginx", "kube", "containerd"):
        assert component not in recipe


def test_an_added_host_gets_the_next_name_and_a_new_address() -> None:
    lab = Lab.plan("grow", "stacked", masters=3, etcd=0, lbs=1, subnet="10.213.5.0/24")
    added = lab.added_host("control_plane")
    assert (added.name, added.groups, added.address) == (
        "master-4",
        ["control_plane"],
        "10.213.5.15",
    )
    assert added.container == "hatool-grow-master-4"


def test_a_removed_host_s_name_and_address_are_never_given_again() -> None:
    lab = Lab.plan("grow", "stacked", masters=3, etcd=0, lbs=1, subnet="10.213.5.0/24")
    gone = lab.find("master-3")
    lab.hosts.remove(gone)
    lab.retired.append(gone)
    assert lab.added_host("control_plane").name == "master-4"
    lab.hosts.remove(lab.find("lb-1"))
    lab.retired.append(
        Lab.plan("grow", "stacked", masters=3, etcd=0, lbs=1, subnet="10.213.5.0/24").find("lb-1")
    )
    # .14 (lb-1) and .13 (master-3) are retired: the next address is after both
    assert (lab.added_host("loadbalancer").name, lab.added_host("loadbalancer").address) == (
        "lb-2",
        "10.213.5.15",
    )


def test_a_retired_host_survives_save_and_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HATOOL_STATE", str(tmp_path))
    lab = Lab.plan("keep", "stacked", masters=3, etcd=0, lbs=1, subnet="10.213.5.0/24")
    gone = lab.find("master-2")
    lab.hosts.remove(gone)
    lab.retired.append(gone)
    lab.save()
    again = Lab.load("keep")
    assert again.retired == [gone]
    assert [h.name for h in again.hosts] == ["master-1", "master-3", "lb-1"]
    assert "master-2" not in again.inventory()["all"]["children"]["control_plane"]["hosts"]


@pytest.mark.parametrize(
    ("topology", "group", "message"),
    [
        ("stacked", "etcd", "its etcd members are its masters"),
        ("stacked", "monitoring", "use one of control_plane, etcd, loadbalancer"),
    ],
)
def test_adding_a_host_the_lab_cannot_have_is_refused(
    topology: str, group: str, message: str
) -> None:
    lab = Lab.plan("grow", topology, masters=3, etcd=0, lbs=1, subnet="10.213.5.0/24")
    with pytest.raises(HatoolError, match=message):
        lab.added_host(group)
