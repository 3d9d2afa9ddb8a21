"""Failover drills: break one thing at a time, measure what happens, put it back.

Every drill is one or more report rows with what was done, what was
measured, the expected bound and whether it held. Times are taken on this
machine's monotonic clock; Leases are polled every ``poll.POLL`` seconds.

One module per kind of drill, each a function of the :class:`Drills` context:

- ``leaders``: kill the leading kube-controller-manager and kube-scheduler;
- ``apiserver``: stop an API server while clients send requests;
- ``etcd_members``: stop the etcd leader and a follower while clients write; hashkv;
- ``master``: lose a whole master (through :class:`~hatool.verify.faults.Faults`);
- ``planned``: the rolling-restart playbook under load: API servers, and the
  leaders of kube-controller-manager and kube-scheduler (Lease released);
- ``vip``: lose the load balancer that holds the virtual IP, then only its engine.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

from hatool.ansible import PlaybookOptions, playbook_argv, run_playbook_captured
from hatool.paths import playbook
from hatool.progress import Progress
from hatool.verify import checks, poll, probes
from hatool.verify.api import Lease, LeaseClient
from hatool.verify.drills import apiserver, etcd_members, leaders, master, planned, vip
from hatool.verify.faults import Faults, run_systemctl
from hatool.verify.remote import Remote
from hatool.verify.report import Report
from hatool.verify.streams import RequestStream
from hatool.verify.target import Node, Target

#: Per-request timeout of /readyz while a drill waits for an API server to be back.
READYZ_TIMEOUT = 3.0


@dataclass
class Drills:
    """What every drill needs: the cluster, SSH, TLS, Leases, faults, and where to report."""

    target: Target
    remote: Remote
    context: ssl.SSLContext
    leases: poll.Leases
    report: Report
    faults: Faults
    progress: Progress = field(default_factory=Progress)
    #: Each master's host name -> the master (client-go names a holder by host name).
    hostnames: dict[str, Node] = field(default_factory=dict)

    def client_entry(self) -> Node:
        """The host clients reach the API servers through, on ``target.loadbalancer_port``."""
        return self.target.client_entry

    def client_stream(
        self,
        *,
        timeout: float = 5.0,
        context: ssl.SSLContext | None = None,
        retry_lost: bool = False,
    ) -> RequestStream:
        """Requests to the API through the client entry (as the drills' client by default)."""
        entry = self.client_entry()
        return RequestStream(
            context or self.context,
            entry.address,
            self.target.loadbalancer_port,
            timeout=timeout,
            retry_lost=retry_lost,
        )

    def holder(self, lease: Lease | None) -> Node | None:
        return poll.holder(self.hostnames, lease)

    def read_lease(self, name: str) -> Lease | None:
        return self.leases.read(name)

    def renewing(self, name: str) -> Lease | None:
        return poll.renewing(self.leases, name)

    def wait_for(
        self, what: str, condition: Callable[[], bool], timeout: float = poll.RECOVERY_TIMEOUT
    ) -> float | None:
        """Seconds until ``condition`` holds, or None after ``timeout`` (and say so)."""
        seconds = poll.wait_for(condition, timeout)
        if seconds is None:
            self.progress.say(f"gave up waiting after {timeout:.0f}s: {what}")
        return seconds

    def unit_active(self, node: Node, unit: str) -> bool:
        return probes.unit_states(self.remote, node, unit)[unit] == "active"

    def systemctl(self, node: Node, *args: str) -> None:
        run_systemctl(self.remote, self.progress, node, *args)

    def readyz(self, node: Node) -> bool:
        """Whether ``node``'s API server answers /readyz with ok."""
        answer = probes.get_readyz(self.context, node, self.target.apiserver_port, READYZ_TIMEOUT)
        return probes.is_ready(*answer)

    def etcd_healthy(self) -> bool:
        return all(c.ok for c in checks.etcd(self.target, self.remote))

    def playbook(self, name: str, **extra_vars: object) -> str | None:
        """Run one of hatool's playbooks on this inventory; None when it passed, else why."""
        argv = playbook_argv(
            Path(self.target.inventory),
            playbook(name),
            PlaybookOptions(extra_vars=[json.dumps(extra_vars)] if extra_vars else []),
        )
        done = run_playbook_captured(argv)
        if done.returncode == 0:
            return None
        failed = [line for line in done.stdout.splitlines() if line.startswith("fatal:")]
        return f"{name} exited {done.returncode}: {(failed or [done.stderr.strip()])[-1][:300]}"


def _leaders(drills: Drills) -> None:
    for lease_name in drills.target.cluster.component_names:
        leaders.kill_leader(drills, lease_name, "SIGKILL")
        leaders.kill_leader(drills, lease_name, "SIGTERM")


def _planned(drills: Drills) -> None:
    for lease_name in drills.target.cluster.component_names:
        planned.planned_leader_restart(drills, lease_name)


def _apiserver(drills: Drills) -> None:
    apiserver.stop_apiserver(drills, "SIGTERM")
    apiserver.stop_apiserver(drills, "SIGKILL")


def _etcd(drills: Drills) -> None:
    etcd_members.etcd_member(drills, "leader")
    etcd_members.etcd_member(drills, "follower")
    etcd_members.hashkv(drills)


#: Every drill, by the name ``hatool verify --drill NAME`` takes, in the order they run.
DRILLS: dict[str, Callable[[Drills], None]] = {
    "leaders": _leaders,
    "planned": _planned,
    "apiserver": _apiserver,
    "rolling": planned.rolling_apiserver_restart,
    "vip": vip.lose_loadbalancers,
    "etcd": _etcd,
    "master": master.lose_master,
}


def run_all(
    target: Target,
    remote: Remote,
    context: ssl.SSLContext,
    leases: LeaseClient,
    report: Report,
    *,
    faults: Faults,
    progress: Progress | None = None,
    only: Collection[str] = (),
) -> None:
    """Every drill in turn (those in ``only``, if given); afterwards the health checks again,
    once the cluster has settled."""
    drills = Drills(target, remote, context, leases, report, faults, progress or Progress())
    drills.hostnames = probes.hostnames(target, remote)
    for name, drill in DRILLS.items():
        if not only or name in only:
            drill(drills)
    drills.progress.say("waiting for the cluster to settle, then checking health again ...")

    # The drills change no configuration: the CIS rows before them still hold.
    def healthy() -> bool:
        found = checks.all_checks(target, remote, context, leases, security=False)
        return all(c.ok for c in found)

    drills.wait_for("every health check", healthy)
    for check in checks.all_checks(target, remote, context, leases, security=False):
        check.name = f"after the drills: {check.name}"
        report.add(check)
