"""The station snapshot an app serves (:class:`Snapshot`: the stations of one registry version
with a finder per travel mode, their GeoJSON features and navigation links), the prepared
answers made from it (:class:`Blob`), and how a served process keeps each new snapshot out of the
garbage collector's way (:func:`collector_paused`, :func:`keep_out_of_collector`); the small
caches an app keeps its analyses and prepared answers in (:class:`LRU`)."""

from __future__ import annotations

import gc
import gzip
import hashlib
import json
import threading
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from cachetools import LRUCache

from app.finders import Finders
from geo.navigation import nav_links
from geo.output.geojson import station_feature
from geo.registry import Versioned
from geo.stations import Station


@dataclass(frozen=True)
class Snapshot:
    """The stations at one registry version, with a finder per travel mode.

    Attributes
    ----------
    features
        Per station id, its GeoJSON Feature without the time-dependent ``open`` flag.
    links
        Per station id, navigation links (``geo``, ``amap``, ``baidu``).
    """

    version: tuple[int, int]
    stations: list[Station]
    by_id: dict[str, Station]
    finders: Finders
    features: dict[str, dict]
    links: dict[str, dict[str, str]]
    ids: np.ndarray  # of the stations (geo.nearest.id_array), for the next snapshot
    in_order: bool  # whether the stations are in id order (geo.nearest.in_id_order)
    searches: dict = field(default_factory=dict)  # see AppState.nearest

    def versioned_feature(self, entry: Versioned) -> dict:
        """A station of the registry as its Feature with ``open`` now and its ``version``: the
        snapshot's navigation links when the station is the same here, else new ones."""
        st = entry.station
        links = self.links[st.id] if self.by_id.get(st.id) == st else nav_links(st)
        feature = station_feature(st, links)
        feature["properties"] |= {"open": st.is_open(None), "version": entry.version}
        return feature


@dataclass(frozen=True)
class Blob:
    """A prepared JSON response body: raw and gzip bytes and an ETag."""

    raw: bytes
    gzipped: bytes
    etag: str


def json_blob(value) -> Blob:
    """``value`` as a prepared JSON response body (its ETag a hash of the bytes)."""
    raw = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Blob(raw, gzip.compress(raw, 6, mtime=0), hashlib.sha1(raw).hexdigest()[:16])


def links_of(previous: Snapshot | None, station: Station) -> dict[str, str]:
    """The navigation links of ``station``: those of ``previous`` when the station is there at
    the same place with the same name and address, else new ones."""
    old = previous.by_id.get(station.id) if previous else None
    if old is not None and (old.lon, old.lat, old.name, old.address) == (
            station.lon, station.lat, station.name, station.address):
        return previous.links[station.id]
    return nav_links(station)


def key_etag(key: tuple) -> str:
    """The strong ETag of the answer :meth:`AppState.answer` keeps under ``key``: a hash of the key
    (known before the answer is built, so a 304 costs nothing)."""
    return hashlib.sha1(repr(key).encode("utf-8")).hexdigest()[:20]


#: Whether a new snapshot is kept out of the garbage collector's passes
#: (:func:`keep_out_of_collector`): set by :func:`app.settle` in a served process, whose start-up
#: state is kept out already.
FREEZE_SNAPSHOTS = False
#: After this many snapshots kept out, one full pass over everything (a few hundred ms).
FULL_COLLECTION_EVERY = 1000
_frozen_since_full = 0


@contextmanager
def collector_paused():
    """In a served process (:data:`FREEZE_SNAPSHOTS`), the garbage collector paused while a
    snapshot is made, after collecting what the requests so far left (a quick pass: the rest is
    kept out already). See :func:`keep_out_of_collector`."""
    if not (FREEZE_SNAPSHOTS and gc.isenabled()):
        yield
        return
    gc.collect(1)
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def keep_out_of_collector() -> None:
    """In a served process (:data:`FREEZE_SNAPSHOTS`), keep a new snapshot out of the garbage
    collector's passes, as :func:`app.settle` keeps the start-up state.

    A snapshot of 20,000 stations holds lists and dicts of 20,000 entries; while they are young,
    each of the collector's passes visits every entry (5–15 ms with the interpreter held, every
    lookup of the process waiting), several times over their first seconds. Kept out, they are
    freed as usual when the next snapshot replaces them (by reference count). What is kept out
    but unreachable in a reference cycle would stay: :func:`collector_paused` collected the
    requests' garbage just before, which leaves only what became garbage while the snapshot was
    made, and one full pass every :data:`FULL_COLLECTION_EVERY` snapshots returns that too.
    """
    global _frozen_since_full
    if not (FREEZE_SNAPSHOTS and not gc.isenabled()):  # paused by collector_paused
        return
    _frozen_since_full += 1
    if _frozen_since_full >= FULL_COLLECTION_EVERY:
        _frozen_since_full = 0
        gc.unfreeze()
        gc.collect()
    gc.freeze()


class LRU:
    """A thread-safe :class:`cachetools.LRUCache`: forgets the least recently used entry beyond
    ``size``."""

    def __init__(self, size: int):
        self.size = size
        self._items: LRUCache = LRUCache(maxsize=size)
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            return self._items.get(key)

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value

    def get_or_make(self, key, make: Callable[[], object]):
        value = self.get(key)
        if value is None:
            value = make()
            self.put(key, value)
        return value

    def __len__(self) -> int:
        return len(self._items)
