"""``hatool certs INVENTORY``: every certificate of the cluster, where it is, and its days left."""

from __future__ import annotations

import argparse
import json

from hatool.errors import EXIT_CHECK_FAILED


def _run(args: argparse.Namespace) -> int:
    from hatool.inventory.validate import valid_cluster
    from hatool.verify.certificates import expiring, rows
    from hatool.verify.remote import Remote
    from hatool.verify.target import target as make_target

    model, cluster = valid_cluster(args.inventory, "refusing to read the certificates", None)
    target = make_target(model.source, cluster, model.hostvars)
    target.check_files()
    days = cluster.certificates.renew_before_days if args.days is None else args.days
    with Remote() as remote:
        found, unread = rows(cluster, target, remote)
    soon = expiring(found, days)
    if args.json:
        print(
            json.dumps(
                {
                    "cluster": cluster.name,
                    "threshold_days": days,
                    "certificates": [r.as_dict() for r in found],
                    "expiring": [r.as_dict() for r in soon],
                    "unread": unread,
                },
                indent=2,
            )
        )
    else:
        columns = ("HOST", "KIND", "DAYS", "SUBJECT", "FILE", "SANS")
        table = [
            (r.host, r.kind, str(r.info.days_left), r.info.subject, r.path, ",".join(r.info.sans))
            for r in found
        ]
        widths = [max(len(c), *(len(t[i]) for t in table)) for i, c in enumerate(columns[:-1])]
        for line in [columns, *table]:
            cells = [cell.ljust(w) for cell, w in zip(line, widths, strict=False)]
            print("  ".join([*cells, line[-1]]).rstrip())
        hosts = len({r.host for r in found})
        print(f"\n{len(found)} certificates on {hosts} hosts (with the controller)")
        for row in soon:
            left = row.info.days_left
            print(f"expires within {days} days: {row.where} ({row.info.subject}), {left} days left")
        for host, error in sorted(unread.items()):
            print(f"could not read the certificates of {host}: {error}")
    return EXIT_CHECK_FAILED if soon or unread else 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "certs",
        help="list every certificate on every host and the controller, with days left",
    )
    parser.add_argument("inventory", help="the inventory that was deployed")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument(
        "--days", type=int, default=None,
        help="fail (exit 1) when one expires within this many days "
        "(default: certificates_renew_before_days, 30)",
    )  # fmt: skip
    parser.set_defaults(func=_run)
