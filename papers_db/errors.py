"""The one error type users see: a problem they can fix, told in one line, with an exit status."""

from __future__ import annotations

BAD_INPUT = 1  # the sources or the database given are not what was expected (e.g. --strict issues)
USAGE = 2  # a path, option or file the command cannot use


class PapersDbError(Exception):
    """A problem the user can fix (bad input path, unwritable output...): one line, no traceback."""

    def __init__(self, message: str, exit_status: int = USAGE) -> None:
        super().__init__(message)
        self.exit_status = exit_status
