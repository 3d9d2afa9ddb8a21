"""``hatool deploy INVENTORY``: validate, then run playbooks/site.yml with ansible-playbook."""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def kubectl_hint(kube_version: str) -> str:
    from hatool.artifacts.cache import artifacts_dir

    cached = artifacts_dir() / "bin" / kube_version / "kubectl"
    return str(cached) if cached.is_file() else "kubectl"


def _run(args: argparse.Namespace) -> int:
    from hatool.ansible import PlaybookOptions, playbook_argv, run_playbook
    from hatool.inventory.validate import valid_cluster
    from hatool.paths import playbook

    _, cluster = valid_cluster(args.inventory, "refusing to deploy")
    options = PlaybookOptions(
        args.check, args.diff, args.limit, args.tags, args.extra_vars, args.verbose
    )
    argv = playbook_argv(Path(args.inventory), playbook("site.yml"), options)
    began = time.monotonic()
    run_playbook(argv)
    elapsed = time.monotonic() - began
    if args.check:
        print(f"\ncheck run finished in {elapsed:.0f}s; nothing was changed")
        return 0
    kubectl = kubectl_hint(cluster.kube_version)
    print(
        f"\ncontrol plane deployed in {elapsed:.0f}s. Use it with:\n"
        f"  export KUBECONFIG={cluster.paths.admin_kubeconfig}\n"
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
