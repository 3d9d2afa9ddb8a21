"""Subcommands of ``hatool``, one module each.

A module exposes ``register(subparsers)``: it adds its parser and sets
``func`` to a callable that takes the parsed namespace and returns an exit
code. The CLI layer only parses and prints; the logic lives in importable
packages (``hatool.lab``, ``hatool.artifacts``, ``hatool.inventory``...).
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable

SubParsers = "argparse._SubParsersAction[argparse.ArgumentParser]"
Register = Callable[[argparse._SubParsersAction], None]  # type: ignore[type-arg]

#: Subcommand modules, in the order ``hatool --help`` lists them.
MODULES = (
    "lab",
    "artifacts",
    "validate",
    "deploy",
    "verify",
    "restart",
    "backup",
    "restore",
    "certs",
    "bench",
)


def _load() -> list[Register]:
    registers: list[Register] = []
    for name in MODULES:
        try:
            module = importlib.import_module(f"hatool.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"hatool.commands.{name}":
                continue  # not written yet
            raise
        registers.append(module.register)
    return registers


COMMANDS: list[Register] = _load()
