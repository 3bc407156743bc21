"""Per-client rate limits counted in the registry database, so that every worker process and
app instance on it counts together.

:class:`DatabaseStorage` is a storage of the ``limits`` library (the one Flask-Limiter uses),
registered for the URI scheme ``registry://``: ``RATELIMIT_STORAGE_URI = "registry://"`` (the
default, see :mod:`app.limits`) keeps the counts in a table ``rate_limits`` beside the
registry's, in the same SQLite file or PostgreSQL database. It serves the moving window (the
app's strategy) and the fixed window.

Each limit key is one row holding the times of its hits within the window (at most the limit's
amount of them) and a version. A hit reads the row, decides, and writes it back only if the
version is still the one it read (compare-and-set: ``UPDATE … WHERE key = ? AND version = ?``,
``INSERT … ON CONFLICT DO NOTHING`` for a new key); when another hit came first it reads
again. So of many hits at once across threads and processes exactly as many as the limit allows
pass.

While the database cannot be written (read-only, locked past its busy timeout), the counts go on
in this process's memory (``limits``' :class:`~limits.storage.MemoryStorage`): the limits still
hold, per process, and a worker's report is answered 503 by the registry rather than 500 by the
limiter.

Rows are keyed by a hash of the limit key and, for SQLite, the database file's path: a copy of
the file (a backup served elsewhere) starts with fresh counts. Expired rows are deleted now and
then (every :data:`PURGE_S` seconds per process).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import random
import threading
import time
from collections.abc import Callable
from typing import ClassVar

from limits.errors import ConfigurationError
from limits.storage import MemoryStorage, MovingWindowSupport, Storage
from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    select,
    text,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InternalError, OperationalError, SQLAlchemyError

from app.sql import insert_new

log = logging.getLogger(__name__)

metadata = MetaData()

limits_table = Table(
    "rate_limits", metadata,
    Column("key", String(64), primary_key=True),  # SHA-256 of the database and limit key, hex
    Column("version", Integer, nullable=False),
    Column("hits", Text, nullable=False),  # moving window: JSON times of hits, newest first
    Column("count", Integer, nullable=False),  # fixed window: hits in the window
    Column("expires_at", Float, nullable=False, index=True),  # seconds since 1970 (UTC)
)

#: The URI scheme of this storage: ``registry://``.
SCHEME = "registry"
#: Errors of a database that cannot be written now (read-only, locked, away).
UNWRITABLE = (OperationalError, InternalError)
#: Seconds between two deletions of expired rows, per process.
PURGE_S = 60.0
#: Rounds of reading again after another hit changed a row first.
_ROUNDS = 200


class _State:
    """One key's row as read: its version (None: no row), hits and fixed-window count."""

    def __init__(self, row, now: float):
        self.version = row.version if row is not None else None
        live = row is not None and row.expires_at > now
        self.hits: list[float] = json.loads(row.hits) if live else []
        self.count: int = row.count if live else 0
        self.expires_at: float = row.expires_at if live else now


class DatabaseStorage(Storage, MovingWindowSupport):
    """A ``limits`` storage in a SQLAlchemy database (``registry://``).

    Parameters
    ----------
    uri
        ``registry://`` (nothing after it: the database is ``engine``).
    engine
        The registry's database engine (:mod:`app.limits` passes it through
        ``RATELIMIT_STORAGE_OPTIONS``); the table ``rate_limits`` is created there unless the
        database is read-only.
    """

    STORAGE_SCHEME: ClassVar[list[str]] = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, *,
                 engine: Engine | None = None, **options):
        if not isinstance(engine, Engine):
            raise ConfigurationError(
                "`RATELIMIT_STORAGE_URI` 'registry://' counts in the app's registry database, "
                "which the app passes as RATELIMIT_STORAGE_OPTIONS={'engine': …}; outside the "
                "app use 'memory://' or a 'redis://host:6379' URI")
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.engine = engine
        database = (engine.url.database or "") if engine.dialect.name == "sqlite" else ""
        self._scope = os.path.realpath(database.removeprefix("file:")) if database else ""
        with contextlib.suppress(*UNWRITABLE):  # read-only: counted in memory meanwhile
            metadata.create_all(engine)
        self._memory: MemoryStorage | None = None
        self._lock = threading.Lock()
        self._purged = 0.0

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    def _row_key(self, key: str) -> str:
        return hashlib.sha256(f"{self._scope}\x00{key}".encode()).hexdigest()

    # --- the database, or memory while it cannot be written ---

    def _fallback(self, exc: Exception) -> MemoryStorage:
        with self._lock:
            if self._memory is None:
                log.warning("rate limits counted in this process's memory while the database "
                            "cannot be written: %s", exc)
                self._memory = MemoryStorage()
            return self._memory

    def _change(self, key: str, step: Callable[[_State, float], tuple[dict | None, object]]):
        """``step(state, now) -> (new values or None to write nothing, result)``, applied to
        one key's row atomically (compare-and-set, read again when another hit came first)."""
        table, row_key = limits_table, self._row_key(key)
        self._purge()
        for _ in range(_ROUNDS):
            now = time.time()
            with self.engine.connect() as conn:
                row = conn.execute(select(table).where(table.c.key == row_key)).first()
            state = _State(row, now)
            values, result = step(state, now)
            if values is None:
                return result
            with self.engine.begin() as conn:
                if state.version is None:
                    done = insert_new(conn, limits_table,
                                      {"key": row_key, "version": 1, **values})
                else:
                    done = conn.execute(update(table).where(
                        table.c.key == row_key, table.c.version == state.version)
                        .values(version=state.version + 1, **values)).rowcount == 1
            if done:
                return result
            time.sleep(random.uniform(0, 0.002))  # let the hit that came first finish
        raise OperationalError("rate limit update", {}, TimeoutError(
            f"the rate limit row changed {_ROUNDS} times while being read"))


    def _read(self, key: str) -> _State:
        now = time.time()
        with self.engine.connect() as conn:
            row = conn.execute(select(limits_table).where(
                limits_table.c.key == self._row_key(key))).first()
        return _State(row, now)

    def _purge(self) -> None:
        now = time.time()
        if now - self._purged < PURGE_S:
            return
        self._purged = now
        with self.engine.begin() as conn:
            conn.execute(delete(limits_table).where(limits_table.c.expires_at <= now))

    # --- moving window ---

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        """Count ``amount`` hits of ``key`` now if at most ``limit`` fall within the last
        ``expiry`` seconds with them; whether they were counted."""
        if amount > limit:
            return False

        def step(state: _State, now: float):
            hits = [t for t in state.hits if t > now - expiry]
            if len(hits) + amount > limit:
                return None, False
            hits = [now] * amount + hits
            return {"hits": json.dumps(hits[:limit]), "count": state.count,
                    "expires_at": max(now + expiry, state.expires_at)}, True

        try:
            return bool(self._change(key, step))
        except UNWRITABLE as exc:
            return self._fallback(exc).acquire_entry(key, limit, expiry, amount)

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        """The time of the oldest hit within the window and how many there are."""
        try:
            state = self._read(key)
        except UNWRITABLE as exc:
            return self._fallback(exc).get_moving_window(key, limit, expiry)
        if self._memory is not None and not state.hits:
            return self._memory.get_moving_window(key, limit, expiry)
        now = time.time()
        hits = [t for t in state.hits if t > now - expiry]
        return (hits[-1], len(hits)) if hits else (now, 0)

    # --- fixed window ---

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Add ``amount`` to ``key``'s count; a new window of ``expiry`` seconds starts when
        the last one ended. The count after."""
        def step(state: _State, now: float):
            count = state.count + amount
            expires = state.expires_at if state.count else now + expiry
            return {"hits": json.dumps(state.hits), "count": count, "expires_at": expires}, count

        try:
            return int(self._change(key, step))  # type: ignore[arg-type]
        except UNWRITABLE as exc:
            return self._fallback(exc).incr(key, expiry, amount)

    def get(self, key: str) -> int:
        try:
            return self._read(key).count
        except UNWRITABLE as exc:
            return self._fallback(exc).get(key)

    def get_expiry(self, key: str) -> float:
        try:
            state = self._read(key)
        except UNWRITABLE as exc:
            return self._fallback(exc).get_expiry(key)
        return state.expires_at

    # --- upkeep ---

    def check(self) -> bool:
        """Whether the database answers."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

    def clear(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(limits_table).where(limits_table.c.key == self._row_key(key)))
        if self._memory is not None:
            self._memory.clear(key)

    def reset(self) -> int | None:
        """Forget every count (of every database file sharing the table)."""
        with self.engine.begin() as conn:
            removed = conn.execute(delete(limits_table)).rowcount
        if self._memory is not None:
            self._memory.reset()
        return removed
