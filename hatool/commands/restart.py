"""``hatool restart INVENTORY``: restart the control plane, one host at a time, losing nothing."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hatool.commands.options import add_playbook_options, playbook_options

COMPONENTS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler")


def _run(args: argparse.Namespace) -> int:
    from hatool.ansible import playbook_argv
    from hatool.inventory.validate import valid_cluster
    from hatool.paths import playbook
    from hatool.playview.runner import run_and_show

    _, cluster = valid_cluster(args.inventory, "refusing to restart")
    components = args.component or list(COMPONENTS)
    options = playbook_options(args, json.dumps({"restart_components": components}))
    argv = playbook_argv(Path(args.inventory), playbook("rolling-restart.yml"), options)
    run_and_show(
        argv, cluster.paths.cluster_dir, "restart", f"restart: {args.inventory}",
        verbose=args.verbose > 0,
    )  # fmt: skip
    print(f"restarted, one host at a time: {', '.join(components)}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "restart",
        help="restart etcd, the API servers, the controller manager and the scheduler, "
        "one host at a time, with nothing lost (playbooks/rolling-restart.yml)",
    )
    parser.add_argument("inventory", help="the inventory that was deployed")
    parser.add_argument(
        "--component", action="append", choices=COMPONENTS, metavar="NAME",
        help=f"only this component (repeatable): {', '.join(COMPONENTS)}; default: all",
    )  # fmt: skip
    add_playbook_options(parser)
    parser.set_defaults(func=_run)
