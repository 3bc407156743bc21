"""The sign-in throttle: failed sign-ins per account and address and per address, decided and
recorded in one step.

Each key (:func:`throttle_keys`: the account with the client address, and the address alone)
has a row in ``signin_failures``: how many attempts failed, the last one, and when the next may
be tried (``next_allowed_at``). After the key's free failures each next attempt waits
:func:`backoff_s`: 1, 2, 4 … seconds, up to a cap.

An attempt **claims** its turn before its password is checked (:meth:`Throttle.claim`): one
compare-and-set per key in one transaction,

``UPDATE signin_failures SET failures = n + 1, last_at = now, next_allowed_at = now + wait(n + 1)
WHERE key = … AND failures = n AND (next_allowed_at IS NULL OR next_allowed_at <= now)``

(an ``INSERT … ON CONFLICT DO NOTHING`` for a key without a row), which counts the attempt as a
failure at once. Of a burst of attempts when a wait ends, in threads, worker processes or app
instances on one SQLite file or PostgreSQL database, one updates the row; the others find it
changed, read it again and are told to wait. So each wait lets exactly one password be
checked. A right password gives its claim back (:meth:`Throttle.release`): the account's count
is cleared, the address's loses the attempt again.

While the database cannot be written (read-only, locked past its busy timeout), attempts are
claimed in this process's memory instead (at most :data:`app.settings.signin_memory_keys`
keys): the throttle goes on applying, and the counts are added to the database once it takes
writes again (:meth:`Throttle.flush`, before every claim).

Times are UTC; nothing here knows about HTTP or passwords.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import InternalError, OperationalError

from app import settings
from app.errors import ThrottledError
from app.sql import insert_new
from geo.registry import add_missing_columns

metadata = MetaData()

failures_table = Table(
    "signin_failures", metadata,
    Column("key", String(64), primary_key=True),  # SHA-256 of scope, account and address, hex
    Column("failures", Integer, nullable=False),
    Column("last_at", DateTime(timezone=True), nullable=False, index=True),
    # when the next attempt may be tried; added to databases made before it (NULL: worked out
    # from failures and last_at)
    Column("next_allowed_at", DateTime(timezone=True)),
)

#: Errors of a database that cannot be written now: read-only (SQLite's "attempt to write a
#: readonly database" is operational, PostgreSQL's read-only transaction internal), locked
#: past the busy timeout, away.
UNWRITABLE = (OperationalError, InternalError)
#: Rounds of reading and claiming again after another attempt changed a row first (each round
#: someone wins, so a burst of N settles in N rounds).
_ROUNDS = 64

Key = tuple[str, int]
"""A throttle key: the hash and its free failures."""


def throttle_keys(name: str, client: str) -> list[Key]:
    """The keys of one attempt with their free failures: (account, address), then address."""
    def key(*parts: str) -> str:
        return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()

    return [(key("account", name.casefold(), client), settings.signin_free_failures),
            (key("client", client), settings.signin_client_free_failures)]


def backoff_s(failures: int, free: int) -> float:
    """Seconds the next attempt must wait after ``failures`` failed sign-ins of which ``free``
    cost nothing: 0, then :data:`app.settings.signin_backoff_base_s` doubled per further failure,
    at most :data:`app.settings.signin_backoff_cap_s`."""
    if failures < free:
        return 0.0
    exponent = min(failures - free, 62)
    wait = settings.signin_backoff_base_s * 2.0 ** exponent
    return float(min(settings.signin_backoff_cap_s, wait))


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(value: datetime) -> datetime:
    """A time read back (SQLite forgets the zone; the database keeps UTC)."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _after(at: datetime, seconds: float) -> datetime:
    return at + timedelta(seconds=seconds)


@dataclass
class _Count:
    """Failures under one key (a row, or what this process keeps while it cannot write)."""

    failures: int
    last_at: datetime
    next_at: datetime  # when the next attempt may be tried
    free: int  # failures the key allows before waits begin

    @classmethod
    def of(cls, row, free: int) -> _Count | None:
        if row is None:
            return None
        last = _utc(row.last_at)
        nxt = (_utc(row.next_allowed_at) if row.next_allowed_at is not None
               else _after(last, backoff_s(row.failures, free)))
        return cls(row.failures, last, nxt, free)

    def remembered(self, now: datetime) -> bool:
        return (now - self.last_at).total_seconds() < settings.signin_failure_memory_s


def _total(*counts: _Count | None, now: datetime) -> _Count | None:
    """Counts of one key together (the database's and this process's), those forgotten by
    ``now`` left out; None when nothing is remembered."""
    kept = [c for c in counts if c is not None and c.remembered(now)]
    if not kept:
        return None
    return _Count(sum(c.failures for c in kept), max(c.last_at for c in kept),
                  max(c.next_at for c in kept), kept[0].free)


@dataclass
class Claim:
    """One attempt's turn under each of its keys, counted as a failure until released.

    ``taken`` maps a key to what the claim changed: in the database, ``(failures after, row
    before or None)``; in memory, ``(the count it made, the count before or None)``."""

    keys: list[Key]
    in_memory: bool
    taken: dict[str, tuple] = field(default_factory=dict)


class _Changed(Exception):
    """Another attempt changed a row between reading and claiming it: read again."""


class Throttle:
    """The sign-in throttle on a database (shared by every process on it).

    Parameters
    ----------
    engine
        The registry's database; ``signin_failures`` is created there (or gains its newer
        columns) unless the database is read-only.
    """

    def __init__(self, engine: Engine):
        self.engine = engine
        with contextlib.suppress(*UNWRITABLE):  # read-only: the table waits until writable
            metadata.create_all(engine)
            add_missing_columns(engine, metadata)
        self._lock = threading.Lock()
        #: key -> failures the database could not take yet, oldest first
        self._pending: OrderedDict[str, _Count] = OrderedDict()

    # --- claiming ---

    def claim(self, keys: list[Key]) -> Claim:
        """Take an attempt's turn under every key, counting it as a failure.

        Raises
        ------
        ThrottledError
            An attempt must wait under one of the keys (``retry_after_s`` says how long);
            nothing is counted.
        """
        self.flush()
        for _ in range(_ROUNDS):
            now = _now()
            try:
                return self._claim_in_database(keys, now)
            except _Changed:
                continue
            except UNWRITABLE:
                return self._claim_in_memory(keys, now)
        # still changing after every round: many attempts at once, so this one waits
        raise _throttled(settings.signin_backoff_base_s)

    def _read(self, keys: list[Key]) -> dict[str, object]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(failures_table).where(
                failures_table.c.key.in_([k for k, _ in keys]))).all()
        return {row.key: row for row in rows}

    def _counts(self, keys: list[Key], rows: dict, pending: dict,
                now: datetime) -> dict[str, _Count | None]:
        """Each key's remembered failures, its row's with those this process keeps unwritten;
        :class:`ThrottledError` when an attempt must wait."""
        counts = {key: _total(_Count.of(rows.get(key), free), pending.get(key), now=now)
                  for key, free in keys}
        wait = max([(c.next_at - now).total_seconds() for c in counts.values() if c] or [0.0])
        if wait > 0:
            raise _throttled(wait)
        return counts

    def _claim_in_database(self, keys: list[Key], now: datetime) -> Claim:
        rows = self._read(keys)
        with self._lock:
            pending = {key: self._pending.get(key) for key, _ in keys}
        counts = self._counts(keys, rows, pending, now)
        table, claim = failures_table, Claim(keys, in_memory=False)
        with self.engine.begin() as conn:  # every key or none
            for key, free in keys:
                row, count = rows.get(key), counts[key]
                failures = (count.failures if count else 0) + 1
                values = {"failures": failures, "last_at": now,
                          "next_allowed_at": _after(now, backoff_s(failures, free))}
                if row is None:
                    done = insert_new(conn, failures_table, {"key": key, **values})
                else:
                    done = conn.execute(update(table).where(
                        table.c.key == key, table.c.failures == row.failures,
                        or_(table.c.next_allowed_at.is_(None), table.c.next_allowed_at <= now))
                        .values(**values)).rowcount == 1
                if not done:
                    raise _Changed  # rolls the transaction back
                claim.taken[key] = (failures, row)
        return claim


    def _claim_in_memory(self, keys: list[Key], now: datetime) -> Claim:
        """The database cannot be written: decide from its rows (when it can be read) and this
        process's own counts, and keep the attempt in memory."""
        try:
            rows = self._read(keys)
        except UNWRITABLE:
            rows = {}
        claim = Claim(keys, in_memory=True)
        with self._lock:  # decide and count in one step among this process's threads
            counts = self._counts(keys, rows, self._pending, now)
            for key, free in keys:
                before, count = self._pending.get(key), counts[key]
                kept = before.failures if before is not None and before.remembered(now) else 0
                mine = _Count(kept + 1, now,
                              _after(now, backoff_s((count.failures if count else 0) + 1, free)),
                              free)
                self._keep(key, mine)
                claim.taken[key] = (mine, before)
        return claim

    def _keep(self, key: str, count: _Count) -> None:
        """Keep ``count`` unwritten (under the lock), forgetting the oldest beyond the bound."""
        self._pending[key] = count
        self._pending.move_to_end(key)
        while len(self._pending) > max(1, settings.signin_memory_keys):
            self._pending.popitem(last=False)

    # --- giving back ---

    def release(self, claim: Claim, *, clear: str | None = None) -> None:
        """Give a claim back: the attempt was no failure (the right password). The key
        ``clear`` (a successful sign-in's account and address) is forgotten altogether."""
        if claim.in_memory:
            with self._lock:
                for key, (mine, before) in claim.taken.items():
                    self._release_in_memory(key, mine, before, clear == key)
            return
        table = failures_table
        with contextlib.suppress(*UNWRITABLE), self.engine.begin() as conn:
            for key, (failures, row) in claim.taken.items():
                if key == clear:
                    conn.execute(delete(table).where(table.c.key == key))
                    continue
                mine = (table.c.key == key) & (table.c.failures == failures)
                if row is None:  # the claim made the row
                    undo = delete(table).where(mine)
                else:  # the row as it was before the claim
                    undo = update(table).where(mine).values(
                        failures=row.failures, last_at=row.last_at,
                        next_allowed_at=row.next_allowed_at)
                undone = conn.execute(undo).rowcount
                if not undone:  # others claimed since: keep theirs, take back ours
                    conn.execute(update(table).where(table.c.key == key, table.c.failures > 0)
                                 .values(failures=table.c.failures - 1))

    def _release_in_memory(self, key: str, mine: _Count, before: _Count | None,
                           clear: bool) -> None:
        now = self._pending.get(key)
        if clear or (now is mine and before is None):
            self._pending.pop(key, None)
        elif now is mine:
            self._pending[key] = before  # type: ignore[assignment]
        elif now is not None:
            now.failures -= 1
            if now.failures <= 0:
                self._pending.pop(key, None)

    # --- writing down what memory kept ---

    def flush(self) -> None:
        """Add the failures counted in memory while the database could not be written to it
        (nothing when it still cannot be)."""
        with self._lock:
            if not self._pending:
                return
            pending, self._pending = self._pending, OrderedDict()
        try:
            while pending:
                key, count = next(iter(pending.items()))
                self._add(key, count)
                del pending[key]
        except UNWRITABLE:
            with self._lock:  # keep them (with any counted meanwhile) for the next time
                for key, count in self._pending.items():
                    pending[key] = _total(count, pending.get(key), now=_now()) or count
                self._pending = OrderedDict()
                for key, count in pending.items():
                    self._keep(key, count)

    def _add(self, key: str, count: _Count) -> None:
        """Add one key's counts to its row (compare-and-set, as a claim)."""
        table = failures_table
        for _ in range(_ROUNDS):
            now = _now()
            with self.engine.connect() as conn:
                row = conn.execute(select(table).where(table.c.key == key)).first()
            total = _total(count, _Count.of(row, count.free), now=now)
            if total is None:
                return
            values = {"failures": total.failures, "last_at": total.last_at,
                      "next_allowed_at": total.next_at}
            with self.engine.begin() as conn:
                if row is None:
                    done = insert_new(conn, failures_table, {"key": key, **values})
                else:
                    done = conn.execute(update(table).where(
                        table.c.key == key, table.c.failures == row.failures)
                        .values(**values)).rowcount == 1
            if done:
                return

    def purge(self, conn: Connection, now: datetime) -> None:
        """Forget failures older than :data:`app.settings.signin_failure_memory_s`."""
        old = now - timedelta(seconds=settings.signin_failure_memory_s)
        conn.execute(delete(failures_table).where(failures_table.c.last_at < old))


def _throttled(wait: float) -> ThrottledError:
    return ThrottledError(f"too many failed sign-ins: try again in {math.ceil(wait)} s",
                          retry_after_s=wait)
