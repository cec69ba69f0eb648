"""User-facing errors: what went wrong, where, and how to fix it.

Every problem caused by input data or configuration is raised as :class:`InputError`. Rule
scripts catch it (see :mod:`hhsurvey.cli`) and print the message without a traceback, so an
evaluator sees one clear paragraph instead of a Python stack.
"""

from __future__ import annotations


class InputError(Exception):
    """A problem with the input data or configuration that the user can fix."""

    def __init__(self, what: str, where: str, fix: str) -> None:
        self.what = what
        self.where = where
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return f"ERROR: {self.what}\n  where: {self.where}\n  how to fix: {self.fix}"


def first_keys(keys: list[str], limit: int = 20) -> str:
    """Join offending keys for a message, keeping the first ``limit`` and counting the rest."""
    shown = ", ".join(keys[:limit])
    more = len(keys) - limit
    return shown + (f" … and {more} more" if more > 0 else "")
