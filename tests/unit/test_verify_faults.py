"""How the drills lose a master: the lab's network for a lab's inventory, the services elsewhere.

No Docker and no SSH: the lab is a ``state.json`` in a temporary HATOOL_STATE,
and the remote host is a fake that records commands.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from hatool.commands.verify import choose_faults
from hatool.lab.faults import LabFaults, for_inventory
from hatool.lab.hosts import LabHostControl
from hatool.lab.plan import Lab, LabHost, labs_dir
from hatool.progress import Progress
from hatool.verify.faults import SystemdFaults
from hatool.verify.remote import Remote, Result
from hatool.verify.target import Node

REPO = Path(__file__).resolve().parents[2]
M1 = Node("master-1", "10.213.7.11")
UNITS = ["kube-controller-manager", "kube-scheduler", "kube-apiserver", "etcd"]


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HATOOL_STATE in this test's folder, so labs_dir() is there too."""
    monkeypatch.setenv("HATOOL_STATE", str(tmp_path / "state"))
    return tmp_path / "state"


def saved_lab(name: str = "t-faults") -> Lab:
    hosts = [
        LabHost(name, "master-1", ["control_plane"], "10.213.7.11"),
        LabHost(name, "lb-1", ["loadbalancer"], "10.213.7.12"),
    ]
    lab = Lab(name, "stacked", "10.213.7.0/24", "10.213.7.1", hosts=hosts)
    lab.save()
    lab.inventory_path.write_text("all: {}\n")
    return lab


class FakeRemote:
    """Records each command; fails those that contain ``fail``."""

    def __init__(self, fail: str = "\0") -> None:
        self.commands: list[tuple[str, str]] = []
        self.fail = fail

    def run(self, node: Node, command: str, *, sudo: bool = True) -> Result:
        self.commands.append((node.name, command))
        if self.fail in command:
            return Result(node.name, command, 5, "", "Unit etcd.service not loaded.")
        return Result(node.name, command, 0, "", "")


def systemd(remote: FakeRemote, out: io.StringIO | None = None) -> SystemdFaults:
    progress = Progress(out if out is not None else io.StringIO())
    return SystemdFaults(remote, progress)  # type: ignore[arg-type]


# -- which faults -------------------------------------------------------------------------


def test_a_labs_inventory_gets_the_labs_faults(state: Path) -> None:
    lab = saved_lab()
    assert lab.inventory_path.parent.parent == labs_dir() == state / "labs"
    faults = for_inventory(lab.inventory_path)
    assert isinstance(faults, LabFaults)
    assert faults.lab.name == "t-faults"
    assert faults.how == "cut off the network"


def test_a_lab_inventory_is_recognised_by_a_relative_path(
    state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lab = saved_lab()
    monkeypatch.chdir(lab.dir)
    assert isinstance(for_inventory("hosts.yml"), LabFaults)


def test_an_ordinary_inventory_is_no_lab(state: Path) -> None:
    saved_lab()
    assert for_inventory(REPO / "tests/inventories/valid/hosts.yml") is None


def test_a_lab_folder_without_state_is_no_lab(state: Path) -> None:
    lab = saved_lab()
    (lab.dir / "state.json").unlink()
    assert for_inventory(lab.inventory_path) is None


def test_an_inventory_deeper_in_a_lab_folder_is_no_lab(state: Path) -> None:
    lab = saved_lab()
    deeper = lab.dir / "copy" / "hosts.yml"
    deeper.parent.mkdir()
    deeper.write_text("all: {}\n")
    (deeper.parent / "state.json").write_text((lab.dir / "state.json").read_text())
    assert for_inventory(deeper) is None


def test_verify_chooses_the_lab_or_systemd(state: Path) -> None:
    lab = saved_lab()
    remote, progress = Remote(), Progress(io.StringIO())
    assert isinstance(choose_faults(str(lab.inventory_path), remote, progress), LabFaults)
    chosen = choose_faults(str(REPO / "tests/inventories/valid/hosts.yml"), remote, progress)
    assert isinstance(chosen, SystemdFaults)
    assert chosen.remote is remote
    assert chosen.how == "stop every service"


# -- what they do -------------------------------------------------------------------------


def test_systemd_stops_the_units_then_starts_them_in_reverse() -> None:
    remote = FakeRemote()
    faults = systemd(remote)
    faults.isolate(M1, UNITS)
    faults.restore(M1, UNITS)
    assert remote.commands == [
        ("master-1", "systemctl stop kube-controller-manager kube-scheduler kube-apiserver etcd"),
        ("master-1", "systemctl start etcd kube-apiserver kube-scheduler kube-controller-manager"),
    ]


def test_a_failed_systemctl_is_said_with_the_host() -> None:
    out = io.StringIO()
    systemd(FakeRemote(fail="start"), out).restore(M1, ["etcd"])
    assert "master-1: systemctl start etcd: Unit etcd.service not loaded." in out.getvalue()


def test_the_lab_cuts_and_restores_the_hosts_network(
    state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    faults = LabFaults(saved_lab())
    calls: list[str] = []

    def recorder(action: str) -> Callable[[LabHostControl], None]:
        return lambda control: calls.append(f"{action} {control.container}")

    monkeypatch.setattr(LabHostControl, "disconnect", recorder("disconnect"))
    monkeypatch.setattr(LabHostControl, "connect", recorder("connect"))
    faults.isolate(M1, UNITS)
    faults.restore(M1, UNITS)
    container = faults.lab.host("master-1").container
    assert calls == [f"disconnect {container}", f"connect {container}"]


def test_verify_itself_knows_nothing_of_the_lab() -> None:
    sources = sorted((REPO / "hatool/verify").rglob("*.py"))
    assert len(sources) > 10
    assert [str(p.relative_to(REPO)) for p in sources if "hatool.lab" in p.read_text()] == []
