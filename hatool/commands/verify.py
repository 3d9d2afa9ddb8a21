"""``hatool verify INVENTORY``: prove that the deployed control plane is highly available."""

from __future__ import annotations

import argparse
from pathlib import Path

from hatool.errors import EXIT_CHECK_FAILED
from hatool.inventory.report import format_text, validate_path
from hatool.inventory.rules import errors
from hatool.lab.faults import for_inventory
from hatool.progress import Progress
from hatool.verify import checks, drills
from hatool.verify.api import LeaseReader, tls_context
from hatool.verify.faults import Faults, SystemdFaults
from hatool.verify.remote import Remote
from hatool.verify.report import Report
from hatool.verify.target import from_model


def choose_faults(inventory: str, remote: Remote, progress: Progress) -> Faults:
    """How the drills take a master away: a lab's network if this is a lab, else its services."""
    lab = for_inventory(inventory)
    return lab if lab is not None else SystemdFaults(remote, progress)


def _run(args: argparse.Namespace) -> int:
    model, findings = validate_path(args.inventory)
    if errors(findings):
        print(format_text(model.source, findings))
        return EXIT_CHECK_FAILED
    target = from_model(model)
    target.check_files()
    report = Report()
    with Remote() as remote:
        context = tls_context(target.pki)
        leases = LeaseReader(target.admin_kubeconfig)
        report.add(*checks.all_checks(target, remote, context, leases))
        if args.drills:
            progress = Progress()
            faults = choose_faults(target.inventory, remote, progress)
            drills.run_all(
                target, remote, context, leases, report, faults=faults, progress=progress
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
        help="check the deployed control plane (API, etcd, leader election); --drills: failover",
    )
    parser.add_argument("inventory", help="the inventory that was deployed")
    parser.add_argument(
        "--drills", action="store_true",
        help="also run failover drills: kill leaders, stop API servers, etcd members, a master",
    )  # fmt: skip
    parser.add_argument("--json", metavar="FILE", help="write every check and measurement here")
    parser.set_defaults(func=_run)
