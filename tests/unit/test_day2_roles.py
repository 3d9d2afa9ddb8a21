"""The cluster model, filters and role files behind the day-2 playbooks."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import yaml

from hatool.cluster.leader import leader_of
from hatool.cluster.model import Cluster
from hatool.inventory.contract import variables
from hatool.inventory.findings import errors
from hatool.inventory.rules import check
from hatool.paths import PROJECT_ROOT
from tests.helpers.inventories import cluster_of, model
from tests.helpers.render import render, render_text, role_variables

FILTERS = PROJECT_ROOT / "plugins" / "filter"


def load_filter(name: str) -> object:
    spec = importlib.util.spec_from_file_location(name, FILTERS / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.FilterModule().filters()[name]  # type: ignore[attr-defined]


# -- a cluster without one master (playbooks/remove-master.yml) ---------------------------


def test_without_a_stacked_master_its_member_and_upstream_go() -> None:
    cluster = cluster_of(model())
    smaller = cluster.without_master("m3")
    assert [h.name for h in smaller.masters] == ["m1", "m2"]
    assert [m.name for m in smaller.etcd.members] == ["m1", "m2"]
    assert smaller.apiserver.etcd_servers == {
        "m1": "https://127.0.9.1:2379,https://127.0.9.2:2379",
        "m2": "https://127.0.9.1:2379,https://127.0.9.2:2379",
    }
    nginx = render("loadbalancer", "nginx.conf.j2", smaller, "lb")
    assert "# m1" in nginx
    assert "# m2" in nginx
    assert "127.0.9.3" not in nginx


def test_without_an_external_master_etcd_stays() -> None:
    cluster = cluster_of(model(topology="external"))
    smaller = cluster.without_master("m2")
    assert [m.name for m in smaller.etcd.members] == ["e1", "e2", "e3"]
    assert smaller.apiserver.etcd_servers["m1"] == cluster.apiserver.etcd_servers["m1"]


def test_a_master_that_is_not_one_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        cluster_of(model()).without_master("e1")


def test_the_filter_hands_the_playbook_the_smaller_fact() -> None:
    without = load_filter("hatool_without_master")
    fact = cluster_of(model()).to_fact()
    smaller = without(fact, "m1")  # type: ignore[operator]
    assert smaller["masters_names"] == ["m2", "m3"]
    assert Cluster.from_fact(smaller) == cluster_of(model()).without_master("m1")


# -- the fact carries what the day-2 tasks need ---------------------------------------------


@pytest.mark.parametrize(
    ("etcd", "binaries"),
    [("v3.4.23", ["etcd", "etcdctl"]), ("v3.5.16", ["etcd", "etcdctl", "etcdutl"])],
)
def test_the_fact_names_the_binaries_to_link(etcd: str, binaries: list[str]) -> None:
    fact = cluster_of(model({"kube_version": "v1.20.2", "etcd_version": etcd})).to_fact()
    assert fact["etcd"]["binaries"] == binaries


def test_the_fact_has_the_backups_folder_kubeconfigs_and_renewal_threshold() -> None:
    cluster = cluster_of(
        model({"cluster_name": "prod", "certificates_renew_before_days": 45}), "inv"
    )
    assert cluster.paths.backups == "inv/.hatool/prod/backups"
    assert [c.kubeconfig for c in cluster.components] == [
        "/etc/kubernetes/controller-manager.conf",
        "/etc/kubernetes/scheduler.conf",
    ]
    assert cluster.certificates.renew_before_days == 45
    assert Cluster.from_fact(cluster.to_fact()) == cluster


# -- the etcd leader, and the upgrade path, as the playbooks ask ------------------------------


STATUS = [
    {"Endpoint": "https://127.0.9.1:2379", "Status": {"header": {"member_id": 11}, "leader": 12}},
    {"Endpoint": "https://127.0.9.2:2379", "Status": {"header": {"member_id": 12}, "leader": 12}},
    {"Endpoint": "https://127.0.9.3:2379", "Status": {"header": {"member_id": 255}, "leader": 12}},
]


def test_the_leader_is_named_and_ids_are_hex() -> None:
    urls = cluster_of(model()).to_fact()["etcd"]["client_url_of"]
    found = leader_of(json.dumps(STATUS), urls)
    assert found == {"name": "m2", "ids": {"m1": "b", "m2": "c", "m3": "ff"}}
    leader = load_filter("hatool_etcd_leader")
    assert leader(json.dumps(STATUS), urls) == found  # type: ignore[operator]


SPLIT = [
    *STATUS[:1],
    {"Endpoint": "https://127.0.9.2:2379", "Status": {"header": {"member_id": 12}, "leader": 11}},
]


@pytest.mark.parametrize("status", ["", "not json", "{}", json.dumps(SPLIT)])
def test_no_answer_or_no_single_leader_names_nobody(status: str) -> None:
    urls = cluster_of(model()).to_fact()["etcd"]["client_url_of"]
    assert leader_of(status, urls)["name"] == ""


def test_the_upgrade_filter_says_why_or_nothing() -> None:
    problem = load_filter("hatool_etcd_upgrade_problem")
    assert problem("3.4.23", "v3.5.16") == ""  # type: ignore[operator]
    assert "skips a minor version" in problem("3.4.23", "v3.6.5")  # type: ignore[operator]


# -- role files ---------------------------------------------------------------------------


def test_the_restored_member_records_the_new_token() -> None:
    cluster = cluster_of(model())
    env = render("etcd", "etcd.env.j2", cluster, "m1", __etcd_env_state="new",
                 __etcd_env_cluster="m1=https://127.0.9.1:2380", __etcd_env_token="hatool-etcd-restore-x")  # fmt: skip  # noqa: S106 - a cluster token
    assert "ETCD_INITIAL_CLUSTER_TOKEN=hatool-etcd-restore-x" in env


def test_the_backup_timer_saves_and_keeps_the_newest() -> None:
    cluster = cluster_of(model({"cluster_name": "prod"}))
    overrides = {
        "etcd_backup_retention": 4,
        "etcd_backup_dir": "/srv/snap",
        "etcd_backup_schedule": "daily",
    }
    script = render("etcd", "etcd-backup.sh.j2", cluster, "m2", overrides)
    assert "dir=/srv/snap" in script
    assert 'prefix="etcd-prod-m2-"' in script
    assert "snapshot save" in script
    assert "--endpoints=https://127.0.0.1:2379" in script
    assert "head -n -4" in script
    timer = render("etcd", "etcd-backup.timer.j2", cluster, "m2", overrides)
    assert "OnCalendar=daily" in timer
    service = render("etcd", "etcd-backup.service.j2", cluster, "m2", overrides)
    assert "ExecStart=/bin/sh /usr/local/sbin/hatool-etcd-backup" in service


def test_the_backup_settings_are_etcd_role_variables_with_a_timer_off() -> None:
    known = variables()
    assert known["etcd_backup_timer"].default is False
    assert known["etcd_backup_retention"].default == 7
    assert known["certificates_force_renewal"].default is False


@pytest.mark.parametrize("value", ["true", "True", "yes", "false", "0"])
def test_a_boolean_from_the_command_line_is_a_boolean(value: str) -> None:
    """``-e etcd_allow_unsafe_member_count=true`` reaches validation as a string."""
    assert errors(check(model({"etcd_allow_unsafe_member_count": value}))) == []


def test_a_word_that_is_no_boolean_is_refused() -> None:
    (finding,) = errors(check(model({"etcd_allow_unsafe_member_count": "sure"})))
    assert finding.rule == "variable-type"


def test_the_backup_members_are_chosen_in_inventory_order_among_the_healthy() -> None:
    """The expression backup.yml uses to pick the member, evaluated as Ansible does."""
    tasks = yaml.safe_load((PROJECT_ROOT / "roles/etcd/tasks/backup.yml").read_text())
    (choose,) = [t for t in tasks if t["name"] == "Choose the member to take the snapshot from"]
    expression = choose["vars"]["__etcd_backup_healthy"]
    cluster = cluster_of(model())
    hostvars = {
        "m1": {"inventory_hostname": "m1", "__etcd_backup_health": {"rc": 1}},
        "m2": {"inventory_hostname": "m2", "__etcd_backup_health": {"unreachable": True}},
        "m3": {"inventory_hostname": "m3", "__etcd_backup_health": {"rc": 0}},
    }
    variables_ = {**role_variables("etcd", cluster, "m1"), "hostvars": hostvars,
                  "ansible_play_hosts": ["m1", "m2", "m3"]}  # fmt: skip
    assert render_text(expression, variables_).strip() == "['m3']"


def test_every_day2_playbook_starts_with_validation() -> None:
    for name in ("etcd-backup.yml", "etcd-restore.yml", "etcd-upgrade.yml",
                 "renew-certificates.yml", "remove-master.yml"):  # fmt: skip
        plays = yaml.safe_load((PROJECT_ROOT / "playbooks" / name).read_text())
        assert plays[0] == {
            "name": "Validate the inventory", "ansible.builtin.import_playbook": "validate.yml",
        }, name  # fmt: skip


def test_the_load_balancers_come_last_in_site_yml() -> None:
    plays = yaml.safe_load((PROJECT_ROOT / "playbooks" / "site.yml").read_text())
    names = [p["name"] for p in plays]
    assert names.index("Run the load balancers") == len(names) - 2
    assert names[-1] == "Record what was deployed"


def test_the_restore_checks_the_snapshot_before_any_host_task() -> None:
    plays = yaml.safe_load((PROJECT_ROOT / "playbooks" / "etcd-restore.yml").read_text())
    first = plays[1]["tasks"]
    assert [t.get("hatool_etcd_snapshot_check") is not None for t in first] == [False, True, False]
    assert first[1]["delegate_to"] == "localhost"
    restore = yaml.safe_load(Path(PROJECT_ROOT / "roles/etcd/tasks/restore.yml").read_text())
    names = [t["name"] for t in restore]
    assert names.index("Copy the snapshot to every member") < names.index(
        "Stop the API servers, controller managers and schedulers"
    )
