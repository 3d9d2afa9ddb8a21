"""etcd drills: stop the leader, then a follower, while clients write; then compare hashes.

Writes go through the load balancer and the API servers to etcd, so a lost
member shows as a pause in writes; afterwards every member must hold the
same data (``etcdctl endpoint hashkv`` at one revision).
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

from hatool.verify import probes
from hatool.verify.checks import Check
from hatool.verify.poll import API_GAP_BOUND
from hatool.verify.streams import WriteStream

if TYPE_CHECKING:
    from hatool.verify.drills import Drills

#: etcd's default election timeout is 1 s; a new leader within this is healthy.
ETCD_ELECTION_BOUND = 10.0
#: How long to wait for the remaining members to agree on a new leader.
NEW_LEADER_TIMEOUT = 30.0


def etcd_member(drills: Drills, role: str) -> None:
    """Stop the etcd ``role`` ("leader" or "follower") under writes, start it again; 2-3 rows."""
    status = probes.etcd_status(drills.target, drills.remote)
    leader = status.leader_name
    if leader is None:
        drills.report.add(Check("drill", f"stop the etcd {role}", False, "no etcd leader"))
        return
    names = [n.name for n in drills.target.etcd_members]
    victim = leader if role == "leader" else next(n for n in names if n != leader)
    node = drills.target.node(victim)
    drills.progress.say(f"stop the etcd {role} ({victim}) while writing through the API ...")
    lb = drills.client_entry()
    with WriteStream(
        drills.context, lb.address, drills.target.loadbalancer_port, interval=0.1
    ) as writes:
        time.sleep(2)
        drills.systemctl(node, "stop", "etcd")

        others = [n for n in drills.target.etcd_members if n.name != victim]
        ask = drills.target.etcdctl("endpoint", "status", "-w", "json", members=others)
        victim_id = next(i for i, n in status.members.items() if n == victim)

        def new_leader() -> bool:
            seen = probes.on_first_answering_member(
                drills.target, drills.remote, ask, try_last={victim}
            )
            if not seen.ok:
                return False
            leaders = {e["Status"]["leader"] for e in json.loads(seen.stdout)}
            return len(leaders) == 1 and victim_id not in leaders and 0 not in leaders

        elected = drills.wait_for("a new etcd leader", new_leader, NEW_LEADER_TIMEOUT)
        time.sleep(5)
        drills.systemctl(node, "start", "etcd")
        rejoined = drills.wait_for(f"{victim} healthy again", drills.etcd_healthy)
        time.sleep(2)
    result = writes.result
    drills.report.add(
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
        drills.report.add(
            Check(
                "drill",
                "a new etcd leader is elected",
                elected is not None and elected <= ETCD_ELECTION_BOUND,
                f"after {elected:.2f}s"
                if elected is not None
                else f"none within {NEW_LEADER_TIMEOUT:g}s",
                {"seconds": elected, "bound_seconds": ETCD_ELECTION_BOUND},
            )
        )
    drills.report.add(
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


def hashkv(drills: Drills) -> None:
    """Every member's hash of the key space at the lowest revision they all have: one row."""
    status = probes.etcd_status(drills.target, drills.remote)
    revisions = [e["Status"]["header"]["revision"] for e in status.endpoints]
    if not revisions:
        drills.report.add(Check("drill", "endpoint hashkv equal", False, status.errors))
        return
    revision = min(revisions)
    command = drills.target.etcdctl(
        "endpoint", "hashkv", "--cluster", f"--rev={revision}", "-w", "json"
    )
    result = probes.on_first_answering_member(drills.target, drills.remote, command)
    entries = json.loads(result.stdout) if result.ok else []
    hashes = {e["Endpoint"]: e["HashKV"]["hash"] for e in entries}
    drills.report.add(
        Check(
            "drill",
            "endpoint hashkv equal on every member",
            len(hashes) == len(drills.target.etcd_members) and len(set(hashes.values())) == 1,
            f"at revision {revision}: {len(set(hashes.values()))} distinct hash(es) "
            f"over {len(hashes)} members" + ("" if result.ok else f"; {result.stderr[:200]}"),
            {"revision": revision, "hashes": hashes},
        )
    )
