"""Day 2 on one real lab: certificates, backup and restore, renewal, etcd upgrade, a lost master.

One stacked lab (3 masters, 1 load balancer, Kubernetes v1.20.2, etcd 3.4.23)
carries every drill of issue 12, in this order, each leaving the cluster
healthy for the next: list the certificates; back up; refuse a snapshot with
one byte changed before any service stops; lose every member's etcd data and
restore it; renew every leaf certificate under a request stream; upgrade etcd
to 3.5.16 under a write stream; destroy master-3, remove it while it is
unreachable, add a fresh master-4 and re-deploy under a request stream;
finally ``hatool verify --drills``. Figures are printed to the terminal
(``day2 figure: ...``) as they are measured; the timings of a 2-core machine
shared with other labs are noisy.
"""

from __future__ import annotations

import calendar
import json
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hatool.lab.plan import Lab
from hatool.verify.api import tls_context
from hatool.verify.streams import RequestStream
from tests.helpers import lab_down, lab_up
from tests.helpers.day2 import Day2Lab, DetailedWriteStream, lab_name

pytestmark = [pytest.mark.e2e, pytest.mark.lab, pytest.mark.artifacts]

BEFORE, AFTER = 20, 10  # objects written before the backup, and after it
MASTERS = ["master-1", "master-2", "master-3"]


def say(request: pytest.FixtureRequest, line: str) -> None:
    """A line in the test log through the terminal reporter, past output capture (CI's log)."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:  # pragma: no cover - -p no:terminal, -p no:capture
        print(line)
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line(line)


@pytest.fixture(scope="module")
def day2(request: pytest.FixtureRequest, lab_state: Path) -> Iterator[Day2Lab]:
    began = time.monotonic()
    name = lab_name("day2")
    lab = lab_up(name)
    try:
        d = Day2Lab(lab, lab.dir / "hosts-day2.yml")
        d.write_inventory()
        deploying = time.monotonic()
        d.hatool("deploy", str(d.inventory), check=True)
        say(request, d.figure("first deploy", f"{time.monotonic() - deploying:.0f}s"))
        yield d
    finally:
        lab_down(name)
        say(request, f"day2 figure: the whole module, lab up to lab down: "
                     f"{time.monotonic() - began:.0f}s")  # fmt: skip


def certs(d: Day2Lab, *extra: str) -> tuple[int, dict]:
    done = d.hatool("certs", str(d.inventory), "--json", *extra)
    return done.returncode, json.loads(done.stdout)


def leaves(listing: dict) -> dict[tuple[str, str], dict]:
    """Every certificate but the CAs (kubeconfigs' client certificates are leaves), by place."""
    return {(c["host"], c["path"]): c for c in listing["certificates"] if c["kind"] != "ca"}


# -- certificates ------------------------------------------------------------------------


def test_certs_lists_every_certificate_with_its_days_left(
    day2: Day2Lab, request: pytest.FixtureRequest
) -> None:
    code, listing = certs(day2)
    assert code == 0
    rows = listing["certificates"]
    per_host = {h: sorted(c["path"] for c in rows if c["host"] == h) for h in MASTERS}
    pki = "/etc/kubernetes/pki"
    for host in MASTERS:
        assert per_host[host] == sorted([
            f"{pki}/apiserver-etcd-client.crt", f"{pki}/apiserver-healthcheck-client.crt",
            f"{pki}/apiserver-kubelet-client.crt", f"{pki}/apiserver.crt", f"{pki}/ca.crt", f"{pki}/etcd-ca.crt",
            f"{pki}/front-proxy-ca.crt", f"{pki}/front-proxy-client.crt",
            "/etc/etcd/pki/ca.crt", "/etc/etcd/pki/healthcheck-client.crt",
            "/etc/etcd/pki/peer.crt", "/etc/etcd/pki/server.crt",
            "/etc/kubernetes/controller-manager.conf", "/etc/kubernetes/scheduler.conf",
        ])  # fmt: skip
    controller = [c for c in rows if c["host"] == "controller"]
    # every certificate of pki/ (3 CAs, 10 shared leaves, 6 etcd members'), and the
    # admin, super-admin, controller-manager and scheduler kubeconfigs
    assert len(controller) == 19 + 4
    assert len(rows) == 3 * 14 + 23
    assert all(c["subject"] and c["days_left"] >= 364 for c in rows)
    (apiserver,) = [
        c for c in rows if c["host"] == "master-1" and c["path"].endswith("/apiserver.crt")
    ]
    assert {"master-1", "master-2", "master-3", "kubernetes.default.svc"} <= set(apiserver["sans"])
    # a threshold beyond a year: every leaf is named, the command fails, the CAs are not
    code, due = certs(day2, "--days", "400")
    assert code == 1
    assert len(due["expiring"]) == len(leaves(listing)) == len(rows) - 3 * 4 - 3
    say(request, day2.figure("certificates listed", f"{len(rows)} on 3 masters and the controller"))


# -- backup, a damaged snapshot, total loss and restore -----------------------------------


def snapshot_of(day2: Day2Lab) -> Path:
    kept = sorted(day2.backups.glob("etcd-hatool-*.db"))
    assert kept, f"no snapshot in {day2.backups}"
    return kept[-1]


def test_a_backup_is_checked_and_kept_with_its_metadata(
    day2: Day2Lab, request: pytest.FixtureRequest
) -> None:
    day2.make_objects("before", BEFORE)
    checked = day2.playbook("etcd-backup.yml", "--check", check=True)  # takes nothing
    assert list(day2.backups.glob("etcd-hatool-*.db")) == []
    assert set(re.findall(r"changed=(\d+)", checked.stdout)) == {"0"}
    began = time.monotonic()
    day2.hatool("backup", str(day2.inventory), check=True)
    seconds = time.monotonic() - began
    snapshot = snapshot_of(day2)
    meta = json.loads(snapshot.with_suffix(".json").read_text())
    assert meta["cluster"] == "hatool"
    assert meta["members"] == MASTERS
    assert meta["etcd_version"] == "3.4.23"
    assert meta["revision"] > 0
    assert meta["total_keys"] > 2 * BEFORE
    sha = snapshot.with_name(snapshot.name + ".sha256").read_text().split()[0]
    assert sha == meta["sha256"]
    say(request, day2.figure("backup (hatool backup, snapshot fetched and checked)",
                             f"{seconds:.0f}s, {snapshot.stat().st_size} bytes, "
                             f"{meta['total_keys']} keys"))  # fmt: skip


def test_a_snapshot_with_one_byte_changed_is_refused_before_any_service_stops(
    day2: Day2Lab, tmp_path: Path
) -> None:
    good = snapshot_of(day2)
    bad = tmp_path / good.name
    for suffix in ("", ".sha256"):
        shutil.copy(good.with_name(good.name + suffix), bad.with_name(bad.name + suffix))
    shutil.copy(good.with_suffix(".json"), bad.with_suffix(".json"))
    data = bytearray(bad.read_bytes())
    data[len(data) // 2] ^= 0x01
    bad.write_bytes(bytes(data))
    running = day2.service_pids("etcd", "kube-apiserver")
    done = day2.hatool("restore", str(day2.inventory), str(bad), "--yes")
    assert done.returncode == 1
    assert "the file has changed since it was taken; nothing was stopped" in done.stderr
    played = day2.playbook("etcd-restore.yml", "-e", f"snapshot={bad}", "-e", "confirm=true")
    assert played.returncode != 0
    assert "nothing was stopped" in played.stdout
    assert "PLAY [Restore etcd from the snapshot on every member]" not in played.stdout
    assert day2.service_pids("etcd", "kube-apiserver") == running


def wipe_etcd_data(day2: Day2Lab) -> None:
    """Every member loses its data: stopped, data directory deleted, started empty."""
    for host in day2.masters:
        day2.lab.host(host).exec(["sh", "-c", "systemctl stop etcd && rm -rf /var/lib/etcd/member"])
    for host in day2.masters:
        day2.lab.host(host).exec(["systemctl", "start", "--no-block", "etcd"])


def test_total_etcd_data_loss_is_restored_from_the_backup(
    day2: Day2Lab, request: pytest.FixtureRequest
) -> None:
    snapshot = snapshot_of(day2)
    taken = json.loads(snapshot.with_suffix(".json").read_text())["taken_at"]
    day2.make_objects("after", AFTER)
    assert [len(x) for x in day2.objects("after")] == [AFTER, AFTER]
    wipe_etcd_data(day2)
    lost_at = time.time()
    deadline = time.monotonic() + 60
    while day2.kubectl("-n", "default", "get", "configmap", "before-0").returncode == 0:
        assert time.monotonic() < deadline, "the objects did not go with etcd's data"
        time.sleep(2)
    began = time.monotonic()
    day2.hatool("restore", str(day2.inventory), str(snapshot), "--yes", check=True)
    restored = time.monotonic() - began
    verified = day2.until_verified()
    back = day2.objects("before")
    assert back == (sorted(f"before-{i}" for i in range(BEFORE)),) * 2
    assert day2.objects("after") == ([], [])
    status = day2.etcd_status()
    assert len(status) == 3
    assert len({e["Status"]["leader"] for e in status}) == 1
    rpo = lost_at - calendar.timegm(time.strptime(taken, "%Y-%m-%dT%H:%M:%SZ"))
    say(request, day2.figure(
        "total etcd data loss", f"{BEFORE} ConfigMaps and {BEFORE} Secrets back, the {AFTER} + "
        f"{AFTER} written after the backup not; RTO {restored:.0f}s (hatool restore) + "
        f"{verified:.0f}s until hatool verify passed; RPO {rpo:.0f}s (the snapshot's age at the loss)",
    ))  # fmt: skip


# -- forced renewal of every leaf ---------------------------------------------------------------


def test_a_forced_renewal_gives_every_leaf_a_new_serial_without_a_failed_request(
    day2: Day2Lab, request: pytest.FixtureRequest
) -> None:
    _, before = certs(day2)
    context = tls_context(day2.cluster_dir / "pki")
    began = time.monotonic()
    with RequestStream(context, day2.lb_address, 6443, interval=0.05, timeout=15.0) as stream:
        day2.playbook("renew-certificates.yml", "-e", "force=true", check=True)
    seconds = time.monotonic() - began
    _, after = certs(day2)
    old, new = leaves(before), leaves(after)
    assert set(new) == set(old)
    assert len(new) == 3 * 10 + 20  # every master's and the controller's leaves
    stale = [k for k in new if new[k]["serial"] == old[k]["serial"]]
    assert stale == []
    assert all(new[k]["not_after"] > old[k]["not_after"] for k in new)
    serials = [
        {(c["host"], c["path"]): c["serial"] for c in x["certificates"]} for x in (before, after)
    ]
    cas = {k: v for k, v in serials[0].items() if k not in old}
    assert {k: serials[1][k] for k in cas} == cas  # the CAs stay
    result = stream.result
    assert result.failures == 0, result.errors
    assert result.requests > 100
    day2.until_verified()
    say(request, day2.figure("forced renewal of every leaf (renew-certificates.yml -e force=true)",
                             f"{len(new)} leaves renewed in {seconds:.0f}s; {result.describe()}"))  # fmt: skip


# -- etcd 3.4.23 -> 3.5.16 under writes -----------------------------------------------------------


#: etcd's answer to a write whose proposal was dropped while the leader changed
LEADER_CHANGE_TIMEOUT = "etcdserver: request timed out, possibly due to previous leader failure"


def test_etcd_is_upgraded_to_3_5_one_member_at_a_time_losing_no_write_but_at_the_handover(
    day2: Day2Lab, request: pytest.FixtureRequest
) -> None:
    snapshots_before = len(list(day2.backups.glob("etcd-hatool-*.db")))
    day2.write_inventory(etcd_version="v3.5.16")
    context = tls_context(day2.cluster_dir / "pki")
    began = time.monotonic()
    with DetailedWriteStream(context, day2.lb_address, 6443, interval=0.1, timeout=15.0) as writes:
        day2.playbook("etcd-upgrade.yml", check=True)
    seconds = time.monotonic() - began
    result = writes.result
    # What the rolling upgrade guarantees: no write fails but the one in flight, if any, while
    # the leader hands over (once): etcd drops a proposal forwarded to it then, and the write
    # fails after etcd's request timeout (README, Upgrade etcd). The stream writes one at a time.
    handover = [e for e in result.errors if LEADER_CHANGE_TIMEOUT in e]
    assert result.failures <= 1, result.errors
    assert len(handover) == result.failures, result.errors
    assert result.requests > 100
    status = day2.etcd_status()
    assert sorted(e["Status"]["version"] for e in status) == ["3.5.16"] * 3
    revision = min(e["Status"]["header"]["revision"] for e in status)
    hashes = day2.etcdctl("endpoint", "hashkv", "--cluster", f"--rev={revision}", "-w", "json")
    assert hashes.returncode == 0, hashes.stderr
    assert len({h["HashKV"]["hash"] for h in json.loads(hashes.stdout)}) == 1
    # a snapshot was taken first, on 3.4.23
    kept = sorted(day2.backups.glob("etcd-hatool-*.db"))
    assert len(kept) == snapshots_before + 1
    assert json.loads(kept[-1].with_suffix(".json").read_text())["etcd_version"] == "3.4.23"
    say(request, day2.figure("etcd 3.4.23 -> 3.5.16 (etcd-upgrade.yml, backup included)",
                             f"{seconds:.0f}s; {result.describe()}"))  # fmt: skip


def test_going_back_a_minor_version_is_refused_before_anything_changes(day2: Day2Lab) -> None:
    day2.write_inventory(etcd_version="v3.4.23")
    try:
        done = day2.playbook("etcd-upgrade.yml")
    finally:
        day2.write_inventory(etcd_version="v3.5.16")
    assert done.returncode != 0
    assert "goes back a minor version: etcd cannot be downgraded in place" in done.stdout
    assert "PLAY [Back up etcd first, when a member is to be upgraded]" not in done.stdout
    assert sorted(e["Status"]["version"] for e in day2.etcd_status()) == ["3.5.16"] * 3


# -- a dead master replaced ------------------------------------------------------------------


def test_a_destroyed_master_is_removed_while_unreachable(
    day2: Day2Lab, request: pytest.FixtureRequest
) -> None:
    day2.lab.host("master-3").destroy()
    # a backup still works: from the first member that answers healthy
    day2.hatool("backup", str(day2.inventory), check=True)
    meta = json.loads(snapshot_of(day2).with_suffix(".json").read_text())
    assert (meta["taken_from"], meta["etcd_version"]) == ("master-1", "3.5.16")
    dry = day2.playbook("remove-master.yml", "-e", "master=master-3", "--check",
                        "-e", "etcd_allow_unsafe_member_count=true", check=True)  # fmt: skip
    assert "does not answer" in dry.stdout
    listed = json.loads(day2.etcdctl("member", "list", "-w", "json").stdout)["members"]
    assert len(listed) == 3  # check mode removed nothing
    refused = day2.playbook("remove-master.yml", "-e", "master=master-3")
    assert refused.returncode != 0
    assert "removing master-3 would leave 2 members (master-1, master-2)" in refused.stdout
    assert "its member is lost already" in refused.stdout
    began = time.monotonic()
    done = day2.playbook("remove-master.yml", "-e", "master=master-3",
                         "-e", "etcd_allow_unsafe_member_count=true", check=True)  # fmt: skip
    seconds = time.monotonic() - began
    assert "master-3 (" in done.stdout
    assert "does not answer" in done.stdout
    members = json.loads(day2.etcdctl("member", "list", "-w", "json").stdout)["members"]
    assert sorted(m["name"] for m in members) == ["master-1", "master-2"]
    nginx = day2.lab.host("lb-1").exec(["cat", "/etc/nginx/nginx.conf"]).stdout
    assert "# master-3" not in nginx
    record = json.loads((day2.cluster_dir / "cluster.json").read_text())
    assert record["etcd_members"] == ["master-1", "master-2"]
    say(request, day2.figure("remove-master.yml, master-3 unreachable", f"{seconds:.0f}s"))


def test_a_fresh_master_joins_without_a_failed_request(
    day2: Day2Lab, request: pytest.FixtureRequest
) -> None:
    day2.hatool("lab", "remove-host", "--name", day2.lab.name, "master-3", check=True)
    day2.hatool("lab", "add-host", "--name", day2.lab.name, "--group", "control_plane", check=True)
    day2.write_inventory(etcd_backup_timer=True)
    new = Lab.load(day2.lab.name).find("master-4")
    assert new.address not in {h.address for h in day2.lab.retired}
    context = tls_context(day2.cluster_dir / "pki")
    began = time.monotonic()
    with RequestStream(context, day2.lb_address, 6443, interval=0.05, timeout=15.0) as stream:
        day2.hatool("deploy", str(day2.inventory), check=True)
    seconds = time.monotonic() - began
    result = stream.result
    assert result.failures == 0, result.errors
    members = json.loads(day2.etcdctl("member", "list", "-w", "json").stdout)["members"]
    assert sorted(m["name"] for m in members) == ["master-1", "master-2", "master-4"]
    env = day2.lab.host("master-4").exec(["cat", "/etc/etcd/etcd.env"]).stdout
    assert "ETCD_INITIAL_CLUSTER_STATE=existing" in env
    status = day2.etcd_status()
    assert len(status) == 3
    assert len({e["Status"]["leader"] for e in status}) == 1
    holders = {}
    for lease in ("kube-controller-manager", "kube-scheduler"):
        held = day2.kubectl("-n", "kube-system", "get", "lease", lease,
                            "-o", "jsonpath={.spec.holderIdentity}")  # fmt: skip
        holders[lease] = held.stdout.rsplit("_", 1)[0]
    assert set(holders.values()) <= {"master-1", "master-2", "master-4"}
    assert day2.objects("before") == (sorted(f"before-{i}" for i in range(BEFORE)),) * 2
    nginx = day2.lab.host("lb-1").exec(["cat", "/etc/nginx/nginx.conf"]).stdout
    assert "# master-4" in nginx
    # the optional snapshot timer, now on: one local snapshot with its sha256
    started = day2.lab.host("master-4").exec(["systemctl", "start", "hatool-etcd-backup.service"])
    assert started.returncode == 0
    local = day2.lab.host("master-4").exec(
        ["sh", "-c", "cd /var/backups/etcd && sha256sum -c *.sha256"]
    )
    assert local.returncode == 0
    assert local.stdout.count(": OK") >= 1
    say(request, day2.figure("a fresh master-4 joins (hatool deploy)",
                             f"{seconds:.0f}s; {result.describe()}; Lease holders {holders}"))  # fmt: skip


def test_verify_passes_after_the_upgrade_and_the_replacement(day2: Day2Lab, tmp_path: Path) -> None:
    out = tmp_path / "verify.json"
    done = day2.hatool("verify", str(day2.inventory), "--json", str(out))
    report = json.loads(out.read_text())
    assert [f"{c['name']}: {c['detail']}" for c in report["checks"] if not c["ok"]] == []
    assert done.returncode == 0


@pytest.mark.full
def test_verify_with_drills_passes_after_the_upgrade_and_the_replacement(
    day2: Day2Lab, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    out = tmp_path / "verify.json"
    began = time.monotonic()
    done = day2.hatool("verify", str(day2.inventory), "--drills", "--json", str(out))
    report = json.loads(out.read_text())
    failed = [f"{c['name']}: {c['detail']}" for c in report["checks"] if not c["ok"]]
    assert failed == []
    assert done.returncode == 0
    say(request, day2.figure("hatool verify --drills on 3.5.16 with master-4",
                             f"{len(report['checks'])} rows hold, {time.monotonic() - began:.0f}s"))  # fmt: skip


def test_no_key_material_in_any_output(day2: Day2Lab) -> None:
    output = "\n".join(day2.outputs)
    assert "PRIVATE KEY" not in output
    assert "client-key-data" not in output
    keys = [p.read_text().splitlines()[1] for p in (day2.cluster_dir / "pki").rglob("*.key")]
    assert len(keys) > 10
    assert [k for k in keys if k in output] == []
