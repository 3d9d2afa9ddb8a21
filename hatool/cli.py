"""The ``hatool`` command: parse arguments, dispatch to a subcommand, report errors.

Each subcommand lives in ``hatool/commands/<name>.py`` and exposes
``register(subparsers)``, which adds its parser and sets ``func`` to a
callable that takes the parsed namespace and returns an exit code.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from hatool import __version__
from hatool.commands import COMMANDS
from hatool.errors import EXIT_BAD_INPUT, HatoolError

log = logging.getLogger("hatool")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hatool",
        description="Deploy a highly available Kubernetes control plane, then prove it fails over.",
    )
    parser.add_argument("--version", action="version", version=f"hatool {__version__}")
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="more output; each -v lowers the log level by 10 and shows tracebacks",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for register in COMMANDS:
        register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = max(logging.WARNING - 10 * args.verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    try:
        code: int = args.func(args)
    except HatoolError as exc:
        if args.verbose:
            log.exception("hatool failed")
        print(f"hatool: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("hatool: interrupted", file=sys.stderr)
        return 130
    except FileNotFoundError as exc:
        if args.verbose:
            log.exception("hatool failed")
        print(f"hatool: {exc.filename or exc}: no such file or command", file=sys.stderr)
        return EXIT_BAD_INPUT
    return code


if __name__ == "__main__":
    sys.exit(main())
