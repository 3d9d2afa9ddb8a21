"""``hatool backup INVENTORY``: an etcd snapshot, checked and kept on the controller."""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def _list(cluster_name: str, folder: Path) -> int:
    import datetime as dt

    from hatool.backup.store import read_metadata, snapshots

    kept = snapshots(folder, cluster_name)
    if not kept:
        print(f"no snapshots of cluster {cluster_name} in {folder}")
        return 0
    now = dt.datetime.now(dt.UTC)
    for path in kept:
        meta = read_metadata(path)
        taken = dt.datetime.strptime(meta.taken_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
        age = (now - taken).total_seconds()
        print(
            f"{path}  taken {meta.taken_at} ({age / 3600:.1f} h ago) from {meta.taken_from}, "
            f"etcd {meta.etcd_version}, revision {meta.revision}, {meta.total_keys} keys"
        )
    return 0


def _run(args: argparse.Namespace) -> int:
    from hatool.ansible import PlaybookOptions, playbook_argv, run_playbook
    from hatool.backup.store import read_metadata, snapshots
    from hatool.errors import HatoolError
    from hatool.inventory.validate import valid_cluster
    from hatool.paths import playbook

    _, cluster = valid_cluster(args.inventory, "refusing to back up")
    folder = Path(cluster.paths.backups)
    if args.list:
        return _list(cluster.name, folder)
    before = set(snapshots(folder, cluster.name))
    options = PlaybookOptions(extra_vars=args.extra_vars, verbosity=args.verbose)
    began = time.monotonic()
    run_playbook(playbook_argv(Path(args.inventory), playbook("etcd-backup.yml"), options))
    seconds = time.monotonic() - began
    new = [p for p in snapshots(folder, cluster.name) if p not in before]
    if not new:
        raise HatoolError(f"the playbook ran, but no new snapshot is in {folder}")
    meta = read_metadata(new[-1])
    print(
        f"\nsnapshot of cluster {meta.cluster} taken in {seconds:.0f}s and kept: {new[-1]}\n"
        f"  from {meta.taken_from} (etcd {meta.etcd_version}) at {meta.taken_at}: "
        f"revision {meta.revision}, {meta.total_keys} keys, hash {meta.hash}, "
        f"{meta.total_size} bytes, sha256 {meta.sha256}\n"
        f"  restore it with: hatool restore {args.inventory} {new[-1]} --yes"
    )
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "backup", help="take an etcd snapshot and keep it on the controller, checked"
    )
    parser.add_argument("inventory", help="the inventory that was deployed")
    parser.add_argument("--list", action="store_true", help="list the snapshots kept, oldest first")
    parser.add_argument(
        "-e", "--extra-vars", action="append", default=[], metavar="VAR=VALUE",
        help="extra variables for ansible-playbook (repeatable)",
    )  # fmt: skip
    parser.set_defaults(func=_run)
