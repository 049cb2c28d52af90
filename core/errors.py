"""Errors a user can cause, with a message a sales manager can act on.

They are caught at the edges (CLI, app) and shown as text, never as a traceback.
"""


class UserError(Exception):
    """A problem with the user's input or setup; `str(err)` says what to fix."""


class InputFileError(UserError):
    """An input file cannot be used as it is (unreadable, missing columns…)."""

    def __init__(self, file: str, message: str, line: int | None = None, fix: str | None = None):
        self.file = file
        self.line = line
        self.fix = fix
        where = f"{file}, line {line}" if line is not None else file
        text = f"{where}: {message}"
        if fix:
            text += f" {fix}"
        super().__init__(text)


class WarehouseMissing(UserError):
    """No usable warehouse at the expected path."""
