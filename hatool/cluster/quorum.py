"""How many etcd members a cluster may have: the one rule, for validation and the playbooks."""

from __future__ import annotations


def tolerated(count: int) -> int:
    """Members that may fail while the rest keep a quorum."""
    return max(0, (count - 1) // 2)


def member_count_problem(count: int) -> str | None:
    """Why ``count`` members are not a sound etcd cluster, or ``None`` for 3, 5, 7...

    1 member is allowed by validation with a warning (a test cluster), but it
    is still reported here: it tolerates no failure.
    """
    if count == 0:
        return "etcd: no members"
    if count == 1:
        return (
            "etcd: 1 member tolerates no failure: the cluster's state is not highly available; "
            "use 3 or 5"
        )
    if count == 2:
        return (
            "etcd: 2 members tolerate no failure (a quorum needs both, so 2 members are "
            "worse than 1: twice the hosts that can break it); use 3 or 5"
        )
    if count % 2 == 0:
        return (
            f"etcd: {count} members tolerate {tolerated(count)} failure(s), no more than "
            f"{count - 1} would; use an odd count ({count - 1} or {count + 1})"
        )
    return None
