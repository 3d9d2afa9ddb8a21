"""``hatool validate INVENTORY``: check an inventory before anything touches a host."""

from __future__ import annotations

import argparse

from hatool.errors import EXIT_CHECK_FAILED


def _run(args: argparse.Namespace) -> int:
    from hatool.inventory.findings import errors, format_json, format_text
    from hatool.inventory.validate import validate_path

    model, findings = validate_path(args.inventory)
    print(format_json(findings) if args.json else format_text(model.source, findings))
    return EXIT_CHECK_FAILED if errors(findings) else 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "validate",
        help="check an inventory against hatool's rules (exit 0 valid, 1 invalid, 2 unusable)",
    )
    parser.add_argument("inventory", help="inventory file or folder (YAML or INI)")
    parser.add_argument("--json", action="store_true", help="print findings as JSON")
    parser.set_defaults(func=_run)
