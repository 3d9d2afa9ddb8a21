"""Questions verify asks the cluster: /readyz, etcdctl on a member, host names, units, flags.

A probe only asks and returns what it saw; :mod:`hatool.verify.checks`
judges the answers, and the drills use them to see when something is back.
"""

from __future__ import annotations

import json
import shlex
import ssl
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from hatool.verify.api import REQUEST_TIMEOUT, get
from hatool.verify.remote import Remote, Result
from hatool.verify.target import Node, Target

HTTP_OK = 200
#: What ``Remote.run`` returns when SSH itself failed (the host did not answer).
SSH_FAILED = 255


# -- the API ---------------------------------------------------------------------------


def get_readyz(
    context: ssl.SSLContext, node: Node, port: int, timeout: float = REQUEST_TIMEOUT
) -> tuple[int, str]:
    """(status, body) of ``GET /readyz`` on ``node``'s ``port``; status 0 when nothing answered."""
    return get(context, node.address, port, "/readyz", timeout)


def is_ready(status: int, body: str) -> bool:
    """What a ready API server answers on /readyz."""
    return status == HTTP_OK and body == "ok"


# -- etcd --------------------------------------------------------------------------------


def on_first_answering_member(
    target: Target, remote: Remote, command: str, try_last: Collection[str] = ()
) -> Result:
    """Run ``command`` on the first etcd member that answers over SSH.

    Members are tried in inventory order, except those named in ``try_last``
    (a member a drill has just stopped, say), which are tried after the others.
    The result of the last member tried is returned when none answers.
    """
    order = [n for n in target.etcd_members if n.name not in try_last]
    order += [n for n in target.etcd_members if n.name in try_last]
    result: Result | None = None
    for node in order:
        result = remote.run(node, command)
        if result.exit_code != SSH_FAILED:
            return result
    assert result is not None  # noqa: S101 - an inventory always has etcd members
    return result


@dataclass
class EtcdStatus:
    """``etcdctl endpoint status --cluster``, one entry per answering member."""

    members: dict[int, str]  # member id -> name
    endpoints: list[dict[str, Any]]
    errors: str = ""

    @property
    def leaders(self) -> set[int]:
        return {e["Status"]["leader"] for e in self.endpoints}

    @property
    def terms(self) -> set[int]:
        return {e["Status"]["raftTerm"] for e in self.endpoints}

    @property
    def leader_name(self) -> str | None:
        leaders = self.leaders
        return self.members.get(next(iter(leaders))) if len(leaders) == 1 else None


def etcd_status(target: Target, remote: Remote, try_last: Collection[str] = ()) -> EtcdStatus:
    """The member list and every answering member's status (``try_last`` as for the runner)."""
    listing = on_first_answering_member(
        target, remote, target.etcdctl("member", "list", "-w", "json"), try_last
    )
    if not listing.ok:
        return EtcdStatus({}, [], listing.stderr.strip() or listing.stdout.strip())
    members = {m["ID"]: m.get("name", "") for m in json.loads(listing.stdout)["members"]}
    status = on_first_answering_member(
        target, remote, target.etcdctl("endpoint", "status", "--cluster", "-w", "json"), try_last
    )
    # With a member down etcdctl exits 1 but still prints the members that answered.
    endpoints = json.loads(status.stdout) if status.stdout.strip().startswith("[") else []
    return EtcdStatus(members, endpoints, "" if status.ok else status.stderr.strip())


# -- the masters' hosts and services -------------------------------------------------------


def hostnames(target: Target, remote: Remote) -> dict[str, Node]:
    """Each master's own host name (what client-go puts in the holder identity)."""
    names = {}
    for node in target.masters:
        result = remote.run(node, "hostname", sudo=False)
        if result.ok:
            names[result.stdout.strip()] = node
    return names


def unit_states(remote: Remote, node: Node, *units: str) -> dict[str, str]:
    """``systemctl is-active`` of each unit; ``unreachable`` for all when SSH failed."""
    result = remote.run(node, shlex.join(["systemctl", "is-active", *units]), sudo=False)
    states = result.stdout.split() if result.exit_code != SSH_FAILED else []
    return dict(zip(units, states + ["unreachable"] * (len(units) - len(states)), strict=True))


#: Prints the unit's last stop and start (CLOCK_MONOTONIC, microseconds), then the host's
#: CLOCK_REALTIME - CLOCK_MONOTONIC in seconds: wall times without a systemd that formats
#: timestamps to the microsecond (``--timestamp=us`` is systemd 248+).
_STOP_START = (
    "systemctl show -p InactiveEnterTimestampMonotonic -p ActiveEnterTimestampMonotonic {unit}; "
    'python3 -c \'import time; print("offset=%f" % (time.clock_gettime(time.CLOCK_REALTIME)'
    " - time.clock_gettime(time.CLOCK_MONOTONIC)))'"
)


def stop_start_times(remote: Remote, node: Node, unit: str) -> tuple[float, float] | None:
    """When ``unit`` last became inactive and last became active on ``node``, as Unix times
    (None when SSH failed or systemd has no such record)."""
    result = remote.run(node, _STOP_START.format(unit=shlex.quote(unit)), sudo=False)
    return parse_stop_start(result.stdout) if result.ok else None


def parse_stop_start(text: str) -> tuple[float, float] | None:
    """:func:`stop_start_times` from the command's ``NAME=VALUE`` lines."""
    values = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    try:
        stopped = int(values["InactiveEnterTimestampMonotonic"])
        started = int(values["ActiveEnterTimestampMonotonic"])
        offset = float(values["offset"])
    except (KeyError, ValueError):
        return None
    if not (stopped and started):
        return None
    return offset + stopped / 1e6, offset + started / 1e6


def running_flags(remote: Remote, node: Node, unit: str) -> dict[str, str] | None:
    """The ``--flag=value`` arguments of the unit's running process (None if it does not run)."""
    result = remote.run(
        node,
        f"pid=$(systemctl show -p MainPID --value {shlex.quote(unit)}); "
        '[ "$pid" -gt 0 ] && tr "\\0" "\\n" < /proc/$pid/cmdline',
        sudo=False,
    )
    if not result.ok:
        return None
    pairs = (line.split("=", 1) for line in result.stdout.splitlines() if line.startswith("--"))
    return {pair[0]: pair[1] if len(pair) > 1 else "true" for pair in pairs}


def holds_address(remote: Remote, node: Node, address: str) -> bool | None:
    """Whether ``node`` has ``address`` on an interface (None when SSH failed)."""
    result = remote.run(node, "ip -o addr show", sudo=False)
    if result.exit_code == SSH_FAILED:
        return None
    return any(f" {address}/" in line for line in result.stdout.splitlines())


def vip_holders(target: Target, remote: Remote) -> list[str]:
    """The load balancers that hold the virtual IP now (exactly one, when all is well)."""
    vip = target.cluster.loadbalancers.vip
    if vip is None:
        return []
    return [n.name for n in target.loadbalancers if holds_address(remote, n, vip)]
