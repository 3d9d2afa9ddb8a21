"""``hatool lab``: real hosts on this machine, as containers running systemd and sshd."""

from __future__ import annotations

import argparse
import json

from hatool.lab.plan import GROUPS, TOPOLOGIES, Lab
from hatool.progress import Progress


def _table(rows: list[dict[str, str]], columns: list[str]) -> str:
    widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in columns}
    lines = ["  ".join(c.upper().ljust(widths[c]) for c in columns)]
    lines += ["  ".join(r[c].ljust(widths[c]) for c in columns) for r in rows]
    return "\n".join(line.rstrip() for line in lines)


def _up(args: argparse.Namespace) -> int:
    from hatool.lab import lifecycle

    lab = lifecycle.up(
        args.name,
        topology=args.topology,
        masters=args.masters,
        etcd=args.etcd,
        lbs=args.lbs,
        progress=Progress(),
    )
    print(_table(lifecycle.status(lab), ["host", "groups", "address", "state"]))
    print(f"\nlab {lab.name} is up; its Ansible inventory: {lab.inventory_path}")
    return 0


def _down(args: argparse.Namespace) -> int:
    from hatool.lab import lifecycle

    removed = lifecycle.down(args.name, Progress())
    if removed:
        print(f"lab {args.name} removed: {', '.join(removed)}")
    else:
        print(f"lab {args.name}: nothing to remove")
    return 0


def _status(args: argparse.Namespace) -> int:
    from hatool.lab import lifecycle

    lab = Lab.load(args.name)
    rows = lifecycle.status(lab)
    if args.json:
        print(json.dumps({"lab": lab.name, "topology": lab.topology, "hosts": rows}, indent=2))
    else:
        print(f"lab {lab.name} ({lab.topology} etcd), network {lab.network} {lab.subnet}")
        print(_table(rows, ["host", "groups", "address", "state", "network"]))
        print(f"inventory: {lab.inventory_path}")
    return 0


def _add_host(args: argparse.Namespace) -> int:
    from hatool.lab import lifecycle

    host = lifecycle.add_host(args.name, args.group, Progress())
    lab = Lab.load(args.name)
    print(f"{host.name} ({', '.join(host.groups)}) is up at {host.address}")
    print(f"lab {lab.name}'s inventory lists it: {lab.inventory_path}")
    return 0


def _remove_host(args: argparse.Namespace) -> int:
    from hatool.lab import lifecycle

    host = lifecycle.remove_host(args.name, args.host, Progress())
    print(f"{host.name} ({host.address}) removed from lab {args.name}: container and inventory")
    return 0


def _list(args: argparse.Namespace) -> int:
    from hatool.lab import lifecycle

    for name in lifecycle.list_labs():
        print(name)
    return 0


def _image(args: argparse.Namespace) -> int:
    from hatool.lab.image import ensure_image

    print(ensure_image(Progress(), rebuild=args.rebuild))
    return 0


def _inventory(args: argparse.Namespace) -> int:
    print(Lab.load(args.name).inventory_path)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("lab", help="real lab hosts as Docker containers")
    commands = parser.add_subparsers(dest="lab_command", metavar="ACTION", required=True)

    def named(action: str, help_text: str) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = commands.add_parser(action, help=help_text)
        sub.add_argument("--name", default="default", help="lab name (default: default)")
        return sub

    up = named("up", "create the lab (or start it again) and write its inventory")
    up.add_argument("--topology", choices=TOPOLOGIES, default="stacked")
    up.add_argument("--masters", type=int, default=3, help="control-plane hosts (default 3)")
    up.add_argument("--etcd", type=int, default=None, help="etcd hosts, external only (default 3)")
    up.add_argument("--lbs", type=int, default=1, help="load balancers (default 1)")
    up.set_defaults(func=_up)

    named("down", "remove the lab's containers, network, keys and state").set_defaults(func=_down)

    status = named("status", "list the lab's hosts, addresses and state")
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(func=_status)

    named("inventory", "print the path of the lab's inventory").set_defaults(func=_inventory)

    add = named("add-host", "add a fresh host to a lab, at a new address, to its inventory")
    add.add_argument("--group", choices=GROUPS, default="control_plane", help="its group")
    add.set_defaults(func=_add_host)

    remove = named("remove-host", "remove one host of a lab: its container and its inventory entry")
    remove.add_argument("host", help="the host, for example master-3")
    remove.set_defaults(func=_remove_host)

    commands.add_parser("list", help="list labs").set_defaults(func=_list)

    image = commands.add_parser("image", help="build or reuse the lab host image")
    image.add_argument("--rebuild", action="store_true", help="build even if it exists")
    image.set_defaults(func=_image)
