"""Exceptions raised by the data layer.

Every exception carries a single readable line: the CLI prints ``str(exc)`` and exits
with code 2, so messages must make sense without a traceback.
"""

from __future__ import annotations


class DataError(Exception):
    """Base class for every error the data layer reports to a user."""


class FormatMismatchError(DataError):
    """A file is not in the format that was asked for.

    The message says what the file looks like instead, e.g.
    ``this looks like a SIPRI TIV table, not a GDELT 2.0 event export; use
    `spillover data import tiv```.
    """


class ImportRefusedError(DataError):
    """A file cannot be imported at all (empty, unreadable, truncated preamble, ...)."""


class StoreError(DataError):
    """The database cannot be opened or a query against it failed."""


class ReadOnlyQueryError(DataError):
    """A statement that would modify something was sent to the read-only query path."""


class UnknownActorError(DataError):
    """An actor id given by the user is neither an ISO3 code nor a known ``X-`` id."""
