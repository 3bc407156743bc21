"""One exception hierarchy for yizhan.

Every class also derives from the matching built-in exception, so callers may catch either ours
or the built-in one (``except ValueError`` still works). The errors an analysis raises
(:class:`InputError`, :class:`DataFileError`, :class:`OffNetworkError`) pickle whole, message and
fields, so one raised in a worker process of the province batch (:mod:`geo.batch`) reaches the
caller as it was.

Messages are English. One a union office often reads (a bad cell of a station list, a missing
column) is a :class:`Message`: still a plain ``str``, it also carries a key and its parameters, so
a surface can say it in another language from its catalogue (the ``errors`` section of
``app/i18n/<lang>.json``, rendered by :mod:`app.lang`) while the library stays free of
translations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


class Message(str):
    """An English message that names its catalogue ``key`` and the ``params`` to fill in.

    >>> m = Message("'x' is not a number", "not_a_number", value="x")
    >>> m == "'x' is not a number", m.key, m.params
    (True, 'not_a_number', {'value': 'x'})
    """

    key: str
    params: dict[str, object]

    def __new__(cls, text: str, key: str, **params: object) -> Message:
        message = super().__new__(cls, text)
        message.key, message.params = key, params
        return message

    def __reduce__(self) -> tuple[object, ...]:  # pickling (Dask workers) keeps the key
        return (_message, (str(self), self.key, self.params))


def _message(text: str, key: str, params: dict[str, object]) -> Message:
    return Message(text, key, **params)


def message_of(exc: BaseException) -> str:
    """The exception's message, as the :class:`Message` it was raised with when it was one."""
    first = exc.args[0] if len(exc.args) == 1 else None
    return first if isinstance(first, Message) else str(exc)


class YizhanError(Exception):
    """Base of every error yizhan raises on purpose."""


class InputError(YizhanError, ValueError):
    """A parameter has a bad value. ``parameter`` names it, for the API and the command line."""

    def __init__(self, message: str, *, parameter: str | None = None):
        super().__init__(message)
        self.parameter = parameter

    def __reduce__(self):
        return _rebuild, (type(self), message_of(self), {"parameter": self.parameter})


@dataclass(frozen=True)
class Problem:
    """One problem found in a data file: where (file, Excel row, column) and what."""

    file: str
    row: int | None
    column: str | None
    message: str  # a Message when it can be translated

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.message}"

    def as_dict(self) -> dict:
        return {"file": self.file, "row": self.row, "column": self.column, "message": self.message}


class DataFileError(YizhanError, ValueError):
    """A data file has problems. ``problems`` lists every one of them, not only the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        lines = [str(p) for p in self.problems[:50]]
        if len(self.problems) > 50:
            lines.append(f"... and {len(self.problems) - 50} more problems")
        super().__init__(f"{len(self.problems)} problem(s) found:\n" + "\n".join(lines))

    def __reduce__(self):
        return type(self), (self.problems,)


class NetworkError(YizhanError, ValueError):
    """A road network could not be built, read or used (unreadable file, empty graph, offline)."""


class DownloadError(NetworkError):
    """Data could not be downloaded (no internet, or the service had nothing for the place)."""


class OffNetworkError(YizhanError, ValueError):
    """A point lies farther from the road network than the maximum snap distance."""

    def __init__(self, message: str, *, distance_m: float):
        super().__init__(message)
        self.distance_m = distance_m

    def __reduce__(self):
        return _rebuild, (type(self), str(self), {"distance_m": self.distance_m})


class NotFoundError(YizhanError, LookupError):
    """A station (or other record) with the given id does not exist."""


class ConflictError(YizhanError, ValueError):
    """A write conflicts with what the database holds (e.g. a new station's id is taken).
    ``parameter`` names the field at fault."""

    def __init__(self, message: str, *, parameter: str | None = None):
        super().__init__(message)
        self.parameter = parameter


class StaleVersionError(ConflictError):
    """A station changed since the version a write started from.

    Attributes
    ----------
    station, version
        The station as it is now (a :class:`geo.stations.Station`: typed ``Any`` here, so the
        errors import no model), and its version.
    changed_by, changed_at
        Who made the last change (the person, else the source) and when (UTC); None when the
        history does not say.
    """

    def __init__(self, message: str, *, station: Any, version: int,
                 changed_by: str | None = None, changed_at: datetime | None = None):
        super().__init__(message, parameter="version")
        self.station = station
        self.version = version
        self.changed_by = changed_by
        self.changed_at = changed_at


class DatabaseUnavailable(YizhanError, RuntimeError):
    """The database cannot take a write now: read-only, locked by another program for longer
    than the busy timeout, or away. The API answers 503; trying again later may work."""

    def __init__(self, url: str, cause: object):
        shown = url.split("///")[-1] if url.startswith("sqlite") else url.split("@")[-1]
        super().__init__(f"the station database ({shown}) cannot be written now: {cause}")


class DatabaseDamaged(YizhanError, RuntimeError):
    """The database file is damaged, or is no database at all (SQLite's "file is not a
    database", "database disk image is malformed"): nothing can be read from it, and trying
    again will not help. ``path`` names the file; the message says how to recover."""

    def __init__(self, path: str, cause: object):
        cause = str(cause).splitlines()[0] if str(cause).strip() else "unreadable"
        super().__init__(Message(
            f"the station database {path} is damaged ({cause}): restore it from a backup, or "
            f"move it aside and make it again with `yizhan import STATIONS.csv --db {path}` "
            f"(the demo: `yizhan demo --rebuild`) and `yizhan user add NAME`",
            "database_damaged", file=path, cause=cause))
        self.path = path

    def __reduce__(self):  # pickling (Dask workers) makes the same error again
        return type(self), (self.path, self.args[0].params["cause"])


def _rebuild(cls: type, message: str, fields: dict) -> Exception:
    """An error of ``cls`` with keyword-only ``fields``, as :mod:`pickle` makes it again."""
    return cls(message, **fields)
