"""The one error class that the CLI catches, and the exit codes it maps to."""

from __future__ import annotations

import shlex

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2


class HatoolError(Exception):
    """An error to report to the operator in one line, without a traceback.

    ``exit_code`` is 2 for unusable input (a missing file, a bad option) and 1
    for a check that ran and failed.
    """

    def __init__(self, message: str, exit_code: int = EXIT_BAD_INPUT) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class CommandFailed(HatoolError):
    """An external command (ansible-playbook, docker) exited non-zero.

    The command's own exit code is passed through unchanged.
    """

    def __init__(self, argv: list[str], returncode: int, detail: str = "") -> None:
        message = f"command failed with exit code {returncode}: {shlex.join(argv)}"
        if detail:
            message = f"{message}\n{detail.rstrip()}"
        super().__init__(message, exit_code=returncode)
        self.argv = argv
        self.returncode = returncode
