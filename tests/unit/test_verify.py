"""hatool verify's own logic: what it reads from the inventory, how it judges etcd, how it reports."""

from __future__ import annotations

import importlib.util
import io
import json
from pathlib import Path

import pytest

from hatool.cli import main
from hatool.cluster.model import Election
from hatool.commands.verify import DRILL_NAMES
from hatool.inventory.model import from_hostvars
from hatool.verify.checks import Check, election_flags
from hatool.verify.drills import DRILLS, Drills
from hatool.verify.probes import EtcdStatus, on_first_answering_member
from hatool.verify.remote import Result
from hatool.verify.report import Report
from hatool.verify.target import Node, _ssh_options
from tests.helpers.inventories import model, target_of

REPO = Path(__file__).resolve().parents[2]


def test_the_takeover_window_of_the_default_timings() -> None:
    low, high = Election("15s", "10s", "2s").takeover_window()
    assert (low, high) == (13, pytest.approx(23.8))


def test_the_window_follows_the_timings() -> None:
    assert Election("30s", "20s", "5s").takeover_window() == (25, pytest.approx(52))


def test_stacked_members_are_the_masters() -> None:
    target = target_of(model())
    assert [n.name for n in target.etcd_members] == ["m1", "m2", "m3"]
    assert target.etcd_endpoints().split(",")[0] == "https://127.0.9.1:2379"
    assert [n.name for n in target.loadbalancers] == ["lb"]


def test_external_members_are_the_etcd_group() -> None:
    target = target_of(model(topology="external"))
    assert [n.name for n in target.etcd_members] == ["e1", "e2", "e3"]


def test_per_component_timings_win() -> None:
    target = target_of(
        model(
            {
                "leader_elect_lease_duration": "20s",
                "kube_scheduler_leader_elect_retry_period": "1500ms",
            }
        )
    )
    assert target.election("kube-controller-manager").seconds == (20, 10, 2)
    assert target.election("kube-scheduler").seconds == (20, 10, 1.5)


def test_the_cluster_folder_is_next_to_the_inventory() -> None:
    target = target_of(model({"cluster_name": "prod"}), "inventory/prod")
    assert target.admin_kubeconfig == Path("inventory/prod/.hatool/prod/admin.conf")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            "-o UserKnownHostsFile=/tmp/kh -o StrictHostKeyChecking=yes",
            {"userknownhostsfile": "/tmp/kh", "stricthostkeychecking": "yes"},
        ),
        ("-oStrictHostKeyChecking=no", {"stricthostkeychecking": "no"}),
        ("-C -o 'ProxyCommand=ssh -W %h:%p bastion'", {"proxycommand": "ssh -W %h:%p bastion"}),
        ("", {}),
    ],
)
def test_ssh_options_are_read_like_ssh_does(args: str, expected: dict[str, str]) -> None:
    assert _ssh_options(args) == expected


def test_host_keys_are_checked_unless_the_inventory_says_otherwise() -> None:
    strict = target_of(model()).masters[0]
    assert strict.strict_host_keys
    loose = target_of(model({"ansible_ssh_common_args": "-o StrictHostKeyChecking=no"})).masters[0]
    assert not loose.strict_host_keys


def status(leaders: list[int], terms: list[int]) -> EtcdStatus:
    endpoints = [
        {"Endpoint": f"https://127.0.9.{i}:2379",
         "Status": {"header": {"member_id": i}, "leader": leader, "raftTerm": term}}
        for i, (leader, term) in enumerate(zip(leaders, terms, strict=True), 1)
    ]  # fmt: skip
    return EtcdStatus({1: "m1", 2: "m2", 3: "m3"}, endpoints)


def test_one_leader_agreed_by_all() -> None:
    seen = status([2, 2, 2], [4, 4, 4])
    assert seen.leader_name == "m2"
    assert seen.terms == {4}


def test_members_that_disagree_have_no_leader() -> None:
    seen = status([2, 3, 2], [4, 5, 4])
    assert seen.leader_name is None
    assert seen.terms == {4, 5}


class CmdlineRemote:
    """Answers the command-line probe of election_flags with a fixed argv per host."""

    def __init__(self, argv: dict[str, list[str]]) -> None:
        self.argv = argv

    def run(self, node: Node, command: str, *, sudo: bool = True) -> Result:
        assert "/proc/$pid/cmdline" in command
        assert not sudo
        lines = self.argv.get(node.name)
        if lines is None:
            return Result(node.name, command, 1, "", "")
        return Result(node.name, command, 0, "\n".join(lines) + "\n", "")


GOOD = ["/usr/local/bin/kube-scheduler", "--leader-elect=true", "--leader-elect-lease-duration=15s",
        "--leader-elect-renew-deadline=10s", "--leader-elect-retry-period=2s", "--v=2"]  # fmt: skip


def test_election_flags_of_every_running_component_hold() -> None:
    remote = CmdlineRemote({"m1": GOOD, "m2": GOOD, "m3": GOOD})
    checks = election_flags(target_of(model()), remote)  # type: ignore[arg-type]
    assert [c.ok for c in checks] == [True, True]
    assert "15s/10s/2s" in checks[1].detail


def test_a_master_with_election_off_or_other_timings_is_named() -> None:
    off = [f.replace("=true", "=false") for f in GOOD]
    slow = [f.replace("duration=15s", "duration=30s") for f in GOOD]
    remote = CmdlineRemote({"m1": GOOD, "m2": off, "m3": slow})
    scheduler = election_flags(target_of(model()), remote)[1]  # type: ignore[arg-type]
    assert not scheduler.ok
    assert scheduler.detail == ("m2: --leader-elect=false; m3: --leader-elect-lease-duration=30s")


def test_a_stopped_component_is_left_to_the_active_row() -> None:
    remote = CmdlineRemote({"m1": GOOD, "m3": GOOD})
    assert all(c.ok for c in election_flags(target_of(model()), remote))  # type: ignore[arg-type]


def test_the_report_prints_rows_and_says_what_failed(tmp_path: Path) -> None:
    out = io.StringIO()
    report = Report(out)
    report.add(
        Check("api", "readyz", True, "HTTP 200: ok"), Check("etcd", "one leader", False, "none")
    )
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["AREA", "CHECK", "SEEN"]
    assert lines[1].startswith("ok ")
    assert lines[2].startswith("FAIL")
    assert report.summary() == "1 of 2 checks hold; failed: etcd: one leader"
    report.write_json(tmp_path / "r.json", {"cluster": "c"})
    document = json.loads((tmp_path / "r.json").read_text())
    assert document["ok"] is False
    assert [c["name"] for c in document["checks"]] == ["readyz", "one leader"]


def test_verify_before_deploy_says_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory = tmp_path / "hosts.yml"
    inventory.write_text((REPO / "tests/inventories/valid/hosts.yml").read_text())
    assert main(["verify", str(inventory)]) == 2
    err = capsys.readouterr().err
    assert "admin.conf is missing" in err
    assert "hatool deploy" in err


def test_verify_refuses_an_invalid_inventory(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(REPO / "tests/inventories/etcd-member-count/hosts.yml")]) == 1
    err = capsys.readouterr().err
    assert "etcd-member-count" in err
    assert err.rstrip().endswith("hatool: refusing to verify: the inventory is invalid")


class SshRemote:
    """Records which member each command ran on; hosts in ``down`` do not answer SSH."""

    def __init__(self, down: set[str]) -> None:
        self.down = down
        self.tried: list[str] = []

    def run(self, node: Node, command: str, *, sudo: bool = True) -> Result:
        self.tried.append(node.name)
        if node.name in self.down:
            return Result(node.name, command, 255, "", "ssh: timed out")
        return Result(node.name, command, 0, "answer", "")


def test_the_first_member_that_answers_runs_the_command() -> None:
    remote = SshRemote(down={"m1"})
    result = on_first_answering_member(target_of(model()), remote, "true")  # type: ignore[arg-type]
    assert (result.host, remote.tried) == ("m2", ["m1", "m2"])


def test_members_to_try_last_are_tried_after_the_others() -> None:
    remote = SshRemote(down={"m2"})
    target = target_of(model())
    result = on_first_answering_member(target, remote, "true", try_last={"m1"})  # type: ignore[arg-type]
    assert (result.host, remote.tried) == ("m3", ["m2", "m3"])
    remote = SshRemote(down={"m2", "m3"})
    result = on_first_answering_member(target, remote, "true", try_last={"m1"})  # type: ignore[arg-type]
    assert (result.host, remote.tried) == ("m1", ["m2", "m3", "m1"])


def test_when_no_member_answers_the_last_failure_is_returned() -> None:
    remote = SshRemote(down={"m1", "m2", "m3"})
    result = on_first_answering_member(target_of(model()), remote, "true")  # type: ignore[arg-type]
    assert (result.host, result.exit_code) == ("m3", 255)


def test_clients_enter_through_the_first_load_balancer() -> None:
    groups = {"control_plane": ["m1", "m2", "m3"], "loadbalancer": ["lb1", "lb2"]}
    hostvars = {h: {"etcd_topology": "stacked"} for g in groups.values() for h in g}
    target = target_of(from_hostvars("inv.yml", {**groups, "all": list(hostvars)}, hostvars))
    drills = Drills(target, None, None, None, Report(io.StringIO()), None)  # type: ignore[arg-type]
    assert drills.client_entry() == target.loadbalancers[0]
    assert drills.client_entry().name == "lb1"


def test_the_playbook_prints_rows_in_its_own_columns() -> None:
    spec = importlib.util.spec_from_file_location(
        "hatool_verify_action", REPO / "plugins/action/hatool_verify.py"
    )
    assert spec is not None
    assert spec.loader is not None
    plugin = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plugin)
    assert plugin.row(Check("api", "/readyz direct m1", True, "HTTP 200: ok")) == (
        "ok    api       /readyz direct m1: HTTP 200: ok"
    )
    assert plugin.row(Check("election", "kube-scheduler: x", False, "m2: stopped")) == (
        "FAIL  election  kube-scheduler: x: m2: stopped"
    )


def test_the_command_line_names_every_drill_in_order() -> None:
    assert tuple(DRILLS) == DRILL_NAMES
