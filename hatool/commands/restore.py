"""``hatool restore INVENTORY SNAPSHOT --yes``: disaster recovery of etcd from a snapshot."""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def _run(args: argparse.Namespace) -> int:
    from hatool.ansible import PlaybookOptions, playbook_argv, run_playbook
    from hatool.backup.store import check_restorable
    from hatool.errors import HatoolError
    from hatool.inventory.validate import valid_cluster
    from hatool.paths import playbook

    _, cluster = valid_cluster(args.inventory, "refusing to restore")
    snapshot = Path(args.snapshot).resolve()
    meta = check_restorable(cluster, snapshot, other_members=args.allow_other_members)
    members = ", ".join(m.name for m in cluster.etcd.members)
    print(
        f"{snapshot.name}: sha256 and etcd's integrity hash hold; taken {meta.taken_at} from "
        f"{meta.taken_from} of cluster {meta.cluster}: revision {meta.revision}, "
        f"{meta.total_keys} keys"
    )
    if not args.yes:
        raise HatoolError(
            f"refusing to restore without --yes: it replaces etcd's data on every member "
            f"({members}) with this snapshot, so every change made since {meta.taken_at} is "
            "lost, and the API is down until the restore is done"
        )
    extra = [f"snapshot={snapshot}", "confirm=true", *args.extra_vars]
    if args.allow_other_members:
        extra.append("allow_other_members=true")
    options = PlaybookOptions(extra_vars=extra, verbosity=args.verbose)
    began = time.monotonic()
    run_playbook(playbook_argv(Path(args.inventory), playbook("etcd-restore.yml"), options))
    print(
        f"\netcd restored from {snapshot.name} on {members} in {time.monotonic() - began:.0f}s; "
        f"check the cluster with: hatool verify {args.inventory}"
    )
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "restore", help="restore etcd on every member from a snapshot (disaster recovery)"
    )
    parser.add_argument("inventory", help="the inventory that was deployed")
    parser.add_argument("snapshot", help="a snapshot kept by 'hatool backup' (its .db file)")
    parser.add_argument(
        "--yes", action="store_true", help="confirm: every change since the snapshot is lost"
    )
    parser.add_argument(
        "--allow-other-members", action="store_true",
        help="accept a snapshot of this cluster taken while it had other etcd members",
    )  # fmt: skip
    parser.add_argument(
        "-e", "--extra-vars", action="append", default=[], metavar="VAR=VALUE",
        help="extra variables for ansible-playbook (repeatable)",
    )  # fmt: skip
    parser.set_defaults(func=_run)
