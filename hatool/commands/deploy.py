"""``hatool deploy INVENTORY``: validate, then run playbooks/site.yml with ansible-playbook."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from hatool.ansible import playbook_argv, run_playbook
from hatool.artifacts.cache import artifacts_dir
from hatool.errors import EXIT_CHECK_FAILED
from hatool.inventory.report import format_text, inventory_dir, validate_path
from hatool.inventory.rules import errors
from hatool.paths import playbook


def admin_kubeconfig(inventory: str, cluster_name: str) -> Path:
    """Where the certificates role writes the admin kubeconfig for this inventory."""
    return Path(inventory_dir(inventory)) / ".hatool" / cluster_name / "admin.conf"


def kubectl_hint(kube_version: str) -> str:
    cached = artifacts_dir() / "bin" / kube_version / "kubectl"
    return str(cached) if cached.is_file() else "kubectl"


def _run(args: argparse.Namespace) -> int:
    model, findings = validate_path(args.inventory)
    if errors(findings):
        print(format_text(model.source, findings), file=sys.stderr)
        print("hatool: refusing to deploy: the inventory is invalid", file=sys.stderr)
        return EXIT_CHECK_FAILED
    if findings:
        print(format_text(model.source, findings), file=sys.stderr)
    argv = playbook_argv(
        Path(args.inventory),
        playbook("site.yml"),
        check=args.check,
        diff=args.diff,
        limit=args.limit,
        tags=args.tags,
        extra_vars=args.extra_vars,
        verbosity=args.verbose,
    )
    began = time.monotonic()
    run_playbook(argv)
    elapsed = time.monotonic() - began
    if args.check:
        print(f"\ncheck run finished in {elapsed:.0f}s; nothing was changed")
        return 0
    config = admin_kubeconfig(args.inventory, str(model.value("cluster_name")))
    kubectl = kubectl_hint(str(model.value("kube_version")))
    print(
        f"\ncontrol plane deployed in {elapsed:.0f}s. Use it with:\n"
        f"  export KUBECONFIG={config}\n"
        f"  {kubectl} get --raw /readyz\n"
        f"  {kubectl} -n kube-system get leases"
    )
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "deploy", help="validate the inventory, then deploy the control plane (playbooks/site.yml)"
    )
    parser.add_argument("inventory", help="inventory file or folder")
    parser.add_argument("--check", action="store_true", help="dry run: report, change nothing")
    parser.add_argument("--diff", action="store_true", help="show file differences")
    parser.add_argument("--limit", help="only these hosts (ansible-playbook --limit)")
    parser.add_argument("--tags", help="only these roles (ansible-playbook --tags)")
    parser.add_argument(
        "-e", "--extra-vars", action="append", default=[], metavar="VAR=VALUE",
        help="extra variables for ansible-playbook (repeatable)",
    )  # fmt: skip
    parser.set_defaults(func=_run)
