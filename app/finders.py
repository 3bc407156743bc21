"""A snapshot's station finders, one per travel mode, each brought up to date before lookups
need it.

A planner's save changes a station or two; every mode's finder must follow
(:meth:`geo.nearest.StationFinder.with_changes`, a few milliseconds per mode on a city of
20,000 stations). :class:`Finders` keeps, per mode, either its finder or the last finder made
with the changes since (merged over saves). The request that saved makes the finders of the
modes looked up in since the save before (:meth:`Finders.ready`), before the new snapshot is
served: the lookups meanwhile answer from the snapshot before and wait for nothing. A mode
nobody looked up in costs nothing more than merging the change lists until its first lookup
makes it (the others in that mode wait for it; those in other modes do not); so does a change
another process made, noticed by a lookup.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from geo.nearest import StationFinder
from geo.stations import Station


@dataclass(frozen=True)
class _Pending:
    """A finder and the changes to make to it: new versions by id, and removed ids."""

    finder: StationFinder
    changed: dict[str, Station] = field(default_factory=dict)
    removed: frozenset[str] = frozenset()

    def then(self, changed: Iterable[Station], removed: Iterable[str]) -> _Pending:
        """These changes, then ``changed`` and ``removed`` (as one call of
        :meth:`StationFinder.with_changes` with both would leave the stations)."""
        updated, gone = dict(self.changed), set(self.removed)
        for sid in removed:
            updated.pop(sid, None)
            gone.add(sid)
        for station in changed:
            updated[station.id] = station
            gone.discard(station.id)
        return _Pending(self.finder, updated, frozenset(gone))

    def made(self, between: Callable[[], None] | None = None, *, repair: bool = False
             ) -> StationFinder:
        if not self.changed and not self.removed:
            return self.finder
        return self.finder.with_changes(list(self.changed.values()), sorted(self.removed),
                                        between=between, repair=repair)


class Finders(Mapping[str, StationFinder]):
    """Per travel mode, the finder of a snapshot's stations (a read-only mapping, in the order
    given); safe to read from many threads.

    Parameters
    ----------
    finders
        The finder per mode, up to date.
    """

    def __init__(self, finders: Mapping[str, StationFinder]) -> None:
        self._items: dict[str, StationFinder | _Pending] = dict(finders)
        self._lock = threading.Lock()
        self._asked: set[str] = set()  # the modes looked up in
        self._asked_before: set[str] = set()  # those of the finders these came after

    def after(self, changed: Iterable[Station], removed: Iterable[str] = ()) -> Finders:
        """The finders of the stations after these changes (the arguments of
        :meth:`StationFinder.with_changes`), each made when first asked for."""
        changed, removed = list(changed), list(removed)
        new = Finders({})
        new._asked_before = set(self._asked) or self._asked_before  # saves in a row: as before
        with self._lock:
            items = dict(self._items)
        for mode, item in items.items():
            pending = item if isinstance(item, _Pending) else _Pending(item)
            new._items[mode] = pending.then(changed, removed)
        return new

    def __getitem__(self, mode: str) -> StationFinder:
        self._asked.add(mode)
        return self._made(mode)

    def _made(self, mode: str, between: Callable[[], None] | None = None, *,
              repair: bool = False) -> StationFinder:
        item = self._items[mode]
        if isinstance(item, StationFinder):
            return item
        with self._lock:  # one thread makes it; lookups in this mode meanwhile wait for it
            item = self._items[mode]
            if isinstance(item, _Pending):
                item = self._items[mode] = item.made(between, repair=repair)
            return item

    def forget_asked(self) -> None:
        """As though no mode was looked up in: the finders after the next changes are made when
        first asked for (a process that answers no lookups, :mod:`app.writer`)."""
        self._asked.clear()
        self._asked_before.clear()

    def ready(self, between: Callable[[], None] | None = None, *, repair: bool = False
              ) -> Finders:
        """These finders with the modes asked for before made now (in the thread that saved,
        before the snapshot is served: the lookups meanwhile answer from the one before and
        never wait); a mode nobody asked for is made when first asked for. ``between`` is
        called between the steps of each update (the lookups under way answered first:
        :meth:`geo.nearest.StationFinder.with_changes`). With ``repair``, the per-node tables
        the lookups read are repaired here too (in a follower thread, where nothing waits for
        it), so that no lookup takes the bounded search after the swap."""
        for mode in self._items:
            if mode in self._asked_before:
                if between is not None:
                    between()
                self._made(mode, between, repair=repair)
        return self

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        pending = [m for m, item in self._items.items() if isinstance(item, _Pending)]
        return f"Finders({list(self._items)}, not yet updated: {pending})"
