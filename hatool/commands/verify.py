"""``hatool verify INVENTORY``: prove that the deployed control plane is highly available."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from hatool.errors import EXIT_CHECK_FAILED

#: The drills by name, in the order they run (hatool.verify.drills.DRILLS; kept here so
#: that 'hatool --help' imports nothing heavy; a unit test keeps the two equal).
DRILL_NAMES = ("leaders", "planned", "apiserver", "rolling", "vip", "etcd", "master")

if TYPE_CHECKING:
    from hatool.progress import Progress
    from hatool.verify.faults import Faults
    from hatool.verify.remote import Remote


def choose_faults(inventory: str, remote: Remote, progress: Progress) -> Faults:
    """How the drills take a master away: a lab's network if this is a lab, else its services."""
    from hatool.lab.faults import for_inventory
    from hatool.verify.faults import SystemdFaults

    lab = for_inventory(inventory)
    return lab if lab is not None else SystemdFaults(remote, progress)


def _run(args: argparse.Namespace) -> int:
    from hatool.inventory.validate import valid_cluster
    from hatool.progress import Progress
    from hatool.verify import checks, drills
    from hatool.verify.api import LeaseClient, drill_context, tls_context
    from hatool.verify.remote import Remote
    from hatool.verify.report import Report
    from hatool.verify.target import target as make_target

    model, cluster = valid_cluster(args.inventory, "refusing to verify", None)
    target = make_target(model.source, cluster, model.hostvars)
    target.check_files()
    report = Report()
    with Remote() as remote:
        context = tls_context(target.pki)
        leases = LeaseClient(target.admin_kubeconfig)
        report.add(*checks.all_checks(target, remote, context, leases))
        if args.drills:
            progress = Progress()
            faults = choose_faults(target.inventory, remote, progress)
            drills.run_all(
                target,
                remote,
                drill_context(target.pki),
                leases,
                report,
                faults=faults,
                progress=progress,
                only=args.drill or (),
            )
    print(report.summary())
    if args.json:
        report.write_json(
            Path(args.json),
            {"inventory": target.inventory, "cluster": target.cluster_name, "drills": args.drills},
        )
        print(f"measurements written to {args.json}")
    return EXIT_CHECK_FAILED if report.failed else 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "verify",
        help="check the deployed control plane (API, etcd, leader election, CIS items); "
        "--drills: failover",
    )
    parser.add_argument("inventory", help="the inventory that was deployed")
    parser.add_argument(
        "--drills", action="store_true",
        help="also run failover drills: kill leaders, stop API servers, etcd members, a master",
    )  # fmt: skip
    parser.add_argument(
        "--drill", action="append", metavar="NAME", choices=DRILL_NAMES,
        help=f"with --drills: only this drill (repeatable): {', '.join(DRILL_NAMES)}",
    )  # fmt: skip
    parser.add_argument("--json", metavar="FILE", help="write every check and measurement here")
    parser.set_defaults(func=_run)
