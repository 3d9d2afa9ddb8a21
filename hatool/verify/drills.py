"""Failover drills: break one thing at a time, measure what happens, put it back.

Every drill is one or more report rows with what was done, what was
measured, the expected bound and whether it held. Times are taken on this
machine's monotonic clock; Leases are polled every ``POLL`` seconds.
"""

from __future__ import annotations

import json
import shlex
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hatool.lab.plan import Lab, labs_dir
from hatool.progress import Progress
from hatool.verify import health
from hatool.verify.api import Lease, LeaseReader, get
from hatool.verify.health import Check
from hatool.verify.remote import Remote
from hatool.verify.report import Report
from hatool.verify.streams import RequestStream, WriteStream
from hatool.verify.target import LEASES, Node, Target

POLL = 0.2
#: Added to a takeover bound: one poll interval plus the time a Lease read takes.
SLACK = 1.0
#: How long a restored component may take to be healthy again.
RECOVERY_TIMEOUT = 120.0
#: etcd's default election timeout is 1 s; a new leader within this is healthy.
ETCD_ELECTION_BOUND = 10.0
#: hatool's objective for the API through the load balancer while a member or a
#: whole master is lost: the longest pause between two successful requests.
#: Not an algorithmic bound: a black-holed etcd endpoint holds a request until
#: the API server's etcd client gives up on it.
API_GAP_BOUND = 10.0


#: Per-request timeout while an API server stops and starts again (see stop_apiserver).
RESTART_TIMEOUT = 15.0


@dataclass
class Drills:
    """What every drill needs: the cluster, SSH, TLS, Leases, and where to report."""

    target: Target
    remote: Remote
    context: ssl.SSLContext
    leases: LeaseReader
    report: Report
    progress: Progress = field(default_factory=Progress)
    hostnames: dict[str, Node] = field(default_factory=dict)

    # -- helpers -------------------------------------------------------------------------

    def holder(self, lease: Lease | None) -> Node | None:
        return self.hostnames.get(lease.holder_hostname or "") if lease else None

    def read_lease(self, name: str) -> Lease | None:
        return self.leases.read(name)

    def wait_for(
        self, what: str, condition: Callable[[], bool], timeout: float = RECOVERY_TIMEOUT
    ) -> float | None:
        """Seconds until ``condition`` holds, or None after ``timeout``."""
        began = time.monotonic()
        while time.monotonic() - began < timeout:
            if condition():
                return time.monotonic() - began
            time.sleep(POLL)
        self.progress.say(f"gave up waiting after {timeout:.0f}s: {what}")
        return None

    def renewing(self, name: str, timeout: float = 60.0) -> Lease | None:
        """The Lease once its holder has been seen renewing it: a live leader, not a stale record.

        Right after a deploy restarted the components, a Lease can still name a
        process that is gone; killing "the leader" then would measure nothing.
        """
        began = time.monotonic()
        first = self.read_lease(name)
        while time.monotonic() - began < timeout:
            time.sleep(POLL)
            now = self.read_lease(name)
            if now is None or not now.holder:
                continue
            if first and now.holder == first.holder and now.renew_time != first.renew_time:
                return now
            if first is None or now.holder != first.holder:
                first = now
        return None

    def wait_new_holder(self, name: str, old: str, timeout: float) -> tuple[float, Lease | None]:
        """Poll the Lease until a holder other than ``old`` has it."""
        began = time.monotonic()
        while (elapsed := time.monotonic() - began) < timeout:
            tick = time.monotonic()
            lease = self.read_lease(name)
            if lease and lease.holder and lease.holder != old:
                return time.monotonic() - began, lease
            time.sleep(max(0.0, POLL - (time.monotonic() - tick)))
        return elapsed, None

    def wait_leases_move(
        self, node: Node, held: dict[str, Lease], began: float
    ) -> dict[str, tuple[float, str | None]]:
        """Poll every Lease in ``held`` together until each has a holder other than ``node``."""
        deadline = (
            max(self.target.timings[LEASES[n]].takeover_window()[1] for n in held) if held else 0.0
        )
        moved: dict[str, tuple[float, str | None]] = {}
        while len(moved) < len(held) and time.monotonic() - began < deadline + SLACK + 15:
            tick = time.monotonic()
            for lease_name in held:
                if lease_name in moved:
                    continue
                new = self.holder(self.read_lease(lease_name))
                if new is not None and new != node:
                    moved[lease_name] = (time.monotonic() - began, new.name)
            time.sleep(max(0.0, POLL - (time.monotonic() - tick)))
        for lease_name in held:
            moved.setdefault(lease_name, (time.monotonic() - began, None))
        return moved

    def unit_active(self, node: Node, unit: str) -> bool:
        return health.unit_states(self.remote, node, unit)[unit] == "active"

    def systemctl(self, node: Node, *args: str) -> None:
        result = self.remote.run(node, shlex.join(["systemctl", *args]))
        if not result.ok:
            self.progress.say(f"systemctl {' '.join(args)}: {result.stderr.strip()}", node.name)

    def readyz(self, node: Node) -> bool:
        status, body = get(self.context, node.address, self.target.apiserver_port, "/readyz", 3)
        return status == health.HTTP_OK and body == "ok"

    def etcd_healthy(self) -> bool:
        checks = health.etcd(self.target, self.remote)
        return all(c.ok for c in checks)

    def lab(self) -> Lab | None:
        """The lab this inventory belongs to, if it is one (containers can be cut off)."""
        inventory = Path(self.target.inventory).resolve()
        if inventory.parent.parent != labs_dir().resolve():
            return None
        if not (inventory.parent / "state.json").is_file():
            return None
        return Lab.load(inventory.parent.name)

    def entry(self) -> Node:
        return self.target.loadbalancers[0]

    # -- 1, 2: leader election ----------------------------------------------------------------

    def kill_leader(self, lease_name: str, signal: str) -> None:
        unit = LEASES[lease_name]
        timings = self.target.timings[unit]
        low, high = timings.takeover_window()
        before = self.renewing(lease_name)
        node = self.holder(before)
        name = f"{signal} the leading {unit}"
        if before is None or node is None or before.holder is None:
            self.report.add(
                Check(
                    "drill", name, False, "no live holder on a master (no renewal seen within 60s)"
                )
            )
            return
        self.progress.say(f"{name}: {signal} on {node.name} ...")
        self.systemctl(node, "kill", f"--signal={signal}", unit)
        elapsed, after = self.wait_new_holder(lease_name, before.holder, high + SLACK + 10)
        new = self.holder(after)
        transitions = (
            (after.transitions or 0) - (before.transitions or 0) if after is not None else None
        )
        back = self.wait_for(f"{unit} active on {node.name}", lambda: self.unit_active(node, unit))
        still_holder = self.holder(self.read_lease(lease_name))
        standby = back is not None and still_holder is not None and still_holder != node
        in_window = after is not None and elapsed <= high + SLACK
        if signal == "SIGKILL":
            in_window = in_window and elapsed >= low - SLACK / 2
            bound = f"{low:g}s to {high:g}s (+{SLACK:g}s slack)"
        else:
            bound = f"at most {high:g}s (+{SLACK:g}s slack)"
        moved = new is not None and new != node
        killed = self.takeover_after(unit, "SIGKILL") if signal != "SIGKILL" else None
        compared = (
            f" (SIGKILL: {killed:.2f}s, difference {elapsed - killed:+.2f}s)"
            if killed is not None
            else ""
        )
        self.report.add(
            Check(
                "drill",
                name,
                moved and in_window and transitions == 1 and standby,
                (f"{node.name} -> {new.name if new else 'nobody'} in {elapsed:.2f}s{compared}, "
                 f"expected {bound}; leaseTransitions +{transitions}; "
                 f"{node.name} {'back as standby' if standby else 'NOT back as standby'}"
                 + (f" after {back:.1f}s" if back is not None else "")),
                {"component": unit, "signal": signal, "from": node.name,
                 "to": new.name if new else None, "takeover_seconds": round(elapsed, 3),
                 "window_seconds": [low, high], "slack_seconds": SLACK,
                 "lease_transitions_delta": transitions, "sigkill_seconds": killed,
                 "restarted_seconds": round(back, 3) if back is not None else None},
            )
        )  # fmt: skip

    def takeover_after(self, unit: str, signal: str) -> float | None:
        """The takeover time already measured for ``unit`` after ``signal``."""
        for check in self.report.checks:
            if check.data.get("component") == unit and check.data.get("signal") == signal:
                return float(check.data["takeover_seconds"])
        return None

    # -- 3: an API server stops under load ------------------------------------------------------

    def stop_apiserver(self, signal: str) -> None:
        node = self.target.masters[-1]
        graceful = signal == "SIGTERM"
        name = f"{'stop' if graceful else 'SIGKILL'} kube-apiserver on {node.name} under load"
        self.progress.say(f"{name} ...")
        lb = self.entry()
        # A restarting API server opens its port before it answers: nginx sends it
        # connections that wait 3-5 s for the TLS handshake. That is a delay (the
        # longest gap shows it), not a lost request, so requests may take 15 s here.
        stream = RequestStream(
            self.context, lb.address, self.target.loadbalancer_port, timeout=RESTART_TIMEOUT
        )
        with stream:
            time.sleep(2)
            if graceful:
                self.systemctl(node, "stop", "kube-apiserver")
            else:
                self.systemctl(node, "kill", "--signal=SIGKILL", "kube-apiserver")
            time.sleep(10)
            if graceful:
                self.systemctl(node, "start", "kube-apiserver")
            back = self.wait_for(f"/readyz of {node.name}", lambda: self.readyz(node))
            time.sleep(2)
        result = stream.result
        ok = back is not None and (result.failures == 0 if graceful else True)
        expected = "0 failed requests" if graceful else "reported (in-flight requests may fail)"
        self.report.add(
            Check(
                "drill",
                name,
                ok and result.requests > 0,
                f"{result.describe()}; expected {expected}; ready again after "
                + (f"{back:.1f}s" if back is not None else "never")
                + (f"; e.g. {result.errors[0]}" if result.errors else ""),
                {"host": node.name, "signal": signal, "requests": result.requests,
                 "failures": result.failures, "longest_gap_seconds": round(result.longest_gap, 3),
                 "ready_again_seconds": back},
            )
        )  # fmt: skip

    # -- 4: etcd members -----------------------------------------------------------------------

    def etcd_member(self, role: str) -> None:
        status = health.etcd_status(self.target, self.remote)
        leader = status.leader_name
        if leader is None:
            self.report.add(Check("drill", f"stop the etcd {role}", False, "no etcd leader"))
            return
        names = [n.name for n in self.target.etcd_members]
        victim = leader if role == "leader" else next(n for n in names if n != leader)
        node = self.target.node(victim)
        self.progress.say(f"stop the etcd {role} ({victim}) while writing through the API ...")
        lb = self.entry()
        with WriteStream(
            self.context, lb.address, self.target.loadbalancer_port, interval=0.1
        ) as writes:
            time.sleep(2)
            self.systemctl(node, "stop", "etcd")

            others = [n for n in self.target.etcd_members if n.name != victim]
            ask = health.etcdctl(self.target, "endpoint", "status", "-w", "json", members=others)
            victim_id = next(i for i, n in status.members.items() if n == victim)

            def new_leader() -> bool:
                seen = health.on_any_member(self.target, self.remote, ask, frozenset({victim}))
                if not seen.ok:
                    return False
                leaders = {e["Status"]["leader"] for e in json.loads(seen.stdout)}
                return len(leaders) == 1 and victim_id not in leaders and 0 not in leaders

            elected = self.wait_for("a new etcd leader", new_leader, 30)
            time.sleep(5)
            self.systemctl(node, "start", "etcd")
            rejoined = self.wait_for(f"{victim} healthy again", self.etcd_healthy)
            time.sleep(2)
        result = writes.result
        self.report.add(
            Check(
                "drill",
                f"stop the etcd {role} ({victim}): writes continue",
                result.requests > 0 and result.longest_gap <= API_GAP_BOUND
                and not any(e.startswith("could not") for e in result.errors),
                f"{result.describe()}; expected a gap of at most {API_GAP_BOUND:g}s"
                + (f"; e.g. {result.errors[0]}" if result.errors else ""),
                {"member": victim, "requests": result.requests, "failures": result.failures,
                 "longest_gap_seconds": round(result.longest_gap, 3)},
            )
        )  # fmt: skip
        if role == "leader":
            self.report.add(
                Check(
                    "drill",
                    "a new etcd leader is elected",
                    elected is not None and elected <= ETCD_ELECTION_BOUND,
                    f"after {elected:.2f}s" if elected is not None else "none within 30s",
                    {"seconds": elected, "bound_seconds": ETCD_ELECTION_BOUND},
                )
            )
        self.report.add(
            Check(
                "drill",
                f"the stopped etcd {role} ({victim}) rejoins",
                rejoined is not None,
                f"every member healthy {rejoined:.1f}s after restart"
                if rejoined is not None
                else "not healthy again",
                {"seconds": rejoined},
            )
        )

    def hashkv(self) -> None:
        status = health.etcd_status(self.target, self.remote)
        revisions = [e["Status"]["header"]["revision"] for e in status.endpoints]
        if not revisions:
            self.report.add(Check("drill", "endpoint hashkv equal", False, status.errors))
            return
        revision = min(revisions)
        command = health.etcdctl(
            self.target, "endpoint", "hashkv", "--cluster", f"--rev={revision}", "-w", "json"
        )
        result = health.on_any_member(self.target, self.remote, command)
        entries = json.loads(result.stdout) if result.ok else []
        hashes = {e["Endpoint"]: e["HashKV"]["hash"] for e in entries}
        self.report.add(
            Check(
                "drill",
                "endpoint hashkv equal on every member",
                len(hashes) == len(self.target.etcd_members) and len(set(hashes.values())) == 1,
                f"at revision {revision}: {len(set(hashes.values()))} distinct hash(es) "
                f"over {len(hashes)} members" + ("" if result.ok else f"; {result.stderr[:200]}"),
                {"revision": revision, "hashes": hashes},
            )
        )

    # -- 5: a whole master -------------------------------------------------------------------

    def lose_master(self) -> None:
        before = {name: self.renewing(name) for name in LEASES}
        kcm = self.holder(before["kube-controller-manager"])
        node = kcm or self.target.masters[0]
        held = {n: lease for n, lease in before.items() if lease and self.holder(lease) == node}
        lab = self.lab()
        how = "cut off the network" if lab else "stop every service"
        name = f"lose master {node.name} ({how})"
        self.progress.say(f"{name}; it holds {', '.join(held) or 'no Lease'} ...")
        units = ["kube-controller-manager", "kube-scheduler", "kube-apiserver"]
        if any(m.name == node.name for m in self.target.etcd_members):
            units.append("etcd")
        lb = self.entry()
        with RequestStream(self.context, lb.address, self.target.loadbalancer_port) as stream:
            time.sleep(2)
            if lab:
                lab.host(node.name).disconnect()
            else:
                self.systemctl(node, "stop", *units)
            began = time.monotonic()
            moved = self.wait_leases_move(node, held, began)
            time.sleep(max(0.0, 10 - (time.monotonic() - began)))
        result = stream.result
        self.progress.say(f"bring {node.name} back ...")
        if lab:
            lab.host(node.name).connect()
            self.remote.forget(node)
        else:
            self.systemctl(node, "start", *reversed(units))
        back = self.wait_for(f"{node.name} ready and etcd healthy", lambda: self.readyz(node))
        self.report.add(
            Check(
                "drill",
                f"{name}: the API through the load balancer keeps answering",
                result.requests > 0 and result.longest_gap <= API_GAP_BOUND,
                f"{result.describe()}; expected a gap of at most {API_GAP_BOUND:g}s"
                + (f"; e.g. {result.errors[0]}" if result.errors else ""),
                {"host": node.name, "requests": result.requests, "failures": result.failures,
                 "longest_gap_seconds": round(result.longest_gap, 3)},
            )
        )  # fmt: skip
        for lease_name, (seconds, to) in moved.items():
            high = self.target.timings[LEASES[lease_name]].takeover_window()[1]
            self.report.add(
                Check(
                    "drill",
                    f"{name}: {lease_name} moves to another master",
                    to is not None and to != node.name and seconds <= high + SLACK,
                    f"{node.name} -> {to or 'nobody'} in {seconds:.2f}s, expected at most "
                    f"{high:g}s (+{SLACK:g}s slack)",
                    {"from": node.name, "to": to, "seconds": round(seconds, 3)},
                )
            )
        self.report.add(
            Check(
                "drill",
                f"{node.name} comes back",
                back is not None,
                f"/readyz ok {back:.1f}s after it returned" if back is not None else "not ready",
                {"seconds": back},
            )
        )


def run_all(
    target: Target,
    remote: Remote,
    context: ssl.SSLContext,
    leases: LeaseReader,
    report: Report,
) -> None:
    """Every drill in turn; afterwards the health checks again, once the cluster has settled."""
    drills = Drills(target, remote, context, leases, report)
    drills.hostnames = health.hostnames(target, remote)
    for lease_name in LEASES:
        drills.kill_leader(lease_name, "SIGKILL")
        drills.kill_leader(lease_name, "SIGTERM")
    drills.stop_apiserver("SIGTERM")
    drills.stop_apiserver("SIGKILL")
    drills.etcd_member("leader")
    drills.etcd_member("follower")
    drills.hashkv()
    drills.lose_master()
    drills.progress.say("waiting for the cluster to settle, then checking health again ...")

    def healthy() -> bool:
        return all(c.ok for c in health.all_checks(target, remote, context, leases))

    drills.wait_for("every health check", healthy)
    for check in health.all_checks(target, remote, context, leases):
        check.name = f"after the drills: {check.name}"
        report.add(check)
