"""Options that every command running a playbook takes, passed on to ansible-playbook."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hatool.ansible import PlaybookOptions


def add_playbook_options(parser: argparse.ArgumentParser, *, selection: bool = False) -> None:
    """``--check``, ``-e``; with ``selection`` also ``--diff``, ``--limit`` and ``--tags``."""
    parser.add_argument("--check", action="store_true", help="dry run: report, change nothing")
    if selection:
        parser.add_argument("--diff", action="store_true", help="show file differences")
        parser.add_argument("--limit", help="only these hosts (ansible-playbook --limit)")
        parser.add_argument("--tags", help="only these roles (ansible-playbook --tags)")
    parser.add_argument(
        "-e", "--extra-vars", action="append", default=[], metavar="VAR=VALUE",
        help="extra variables for ansible-playbook (repeatable)",
    )  # fmt: skip


def playbook_options(args: argparse.Namespace, *extra_vars: str) -> PlaybookOptions:
    """What the command line asked ansible-playbook for, with ``extra_vars`` first."""
    from hatool.ansible import PlaybookOptions

    return PlaybookOptions(
        check=args.check,
        diff=getattr(args, "diff", False),
        limit=getattr(args, "limit", None),
        tags=getattr(args, "tags", None),
        extra_vars=[*extra_vars, *args.extra_vars],
        verbosity=args.verbose,
    )
