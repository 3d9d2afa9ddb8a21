"""``hatool deploy INVENTORY``: validate, then run playbooks/site.yml with ansible-playbook.

The terminal shows one line per phase and a summary table; Ansible's own
output goes to a log in the cluster's folder (``-v`` streams it here too).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from hatool.commands.options import add_playbook_options, playbook_options


def kubectl_hint(kube_version: str) -> str:
    from hatool.artifacts.cache import artifacts_dir

    cached = artifacts_dir() / "bin" / kube_version / "kubectl"
    return str(cached) if cached.is_file() else "kubectl"


def _run(args: argparse.Namespace) -> int:
    from hatool.ansible import playbook_argv
    from hatool.inventory.validate import valid_cluster
    from hatool.paths import playbook
    from hatool.playview.runner import run_and_show

    _, cluster = valid_cluster(args.inventory, "refusing to deploy")
    argv = playbook_argv(Path(args.inventory), playbook("site.yml"), playbook_options(args))
    what = "check run (nothing is changed)" if args.check else "deploy"
    result = run_and_show(
        argv, cluster.paths.cluster_dir, "deploy", f"{what}: {args.inventory}",
        verbose=args.verbose > 0,
    )  # fmt: skip
    if args.check:
        print(f"\ncheck run finished in {result.seconds:.0f}s; nothing was changed")
        return 0
    kubectl = kubectl_hint(cluster.kube_version)
    print(
        f"\ncontrol plane deployed in {result.seconds:.0f}s. Use it with:\n"
        f"  export KUBECONFIG={cluster.paths.admin_kubeconfig}\n"
        f"  {kubectl} get --raw /readyz\n"
        f"  {kubectl} -n kube-system get leases"
    )
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "deploy",
        help="validate the inventory, then deploy the control plane (playbooks/site.yml); "
        "one line per phase, Ansible's output in .hatool/<cluster>/logs/ (-v: live)",
    )
    parser.add_argument("inventory", help="inventory file or folder")
    add_playbook_options(parser, selection=True)
    parser.set_defaults(func=_run)
