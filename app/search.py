"""``GET /api/search``: stations, streets and venues by name, for the finder's search box.

The streets and venues come from the place index built with the networks
(:data:`geo.search.SEARCH_FILE` in the data directory, written by ``yizhan demo``); the stations
from the current registry snapshot, their pinyin keys made once per snapshot. A server without a
place index finds stations only.
"""

from __future__ import annotations

import threading
from pathlib import Path

from flask import Blueprint, current_app, jsonify

from app.openapi import operation
from app.schemas.search import SearchAnswer, SearchQuery
from app.snapshot import Snapshot
from app.state import data_dir, state
from geo.search import SEARCH_FILE, Entry, read_place_index, search, station_entries

bp = Blueprint("search", __name__)


class SearchIndex:
    """The place index of a data directory, read once per file version, and the station entries
    of the latest snapshot."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._places: tuple[tuple, list[Entry]] = ((), [])
        self._stations: tuple[tuple, list[Entry]] = ((), [])

    def places(self) -> list[Entry]:
        try:
            stat = self.path.stat()
            key: tuple = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            return []
        with self._lock:
            if self._places[0] != key:
                self._places = (key, read_place_index(self.path))
            return self._places[1]

    def stations(self, snap: Snapshot) -> list[Entry]:
        with self._lock:
            if self._stations[0] != snap.version:
                self._stations = (snap.version, station_entries(snap.stations))
            return self._stations[1]


def _index() -> SearchIndex:
    """The index of this request's data folder (a deployment's region has its own)."""
    indexes = current_app.extensions.setdefault("yizhan-search", {})
    folder = data_dir()
    found = indexes.get(folder)
    if found is None:
        found = indexes[folder] = SearchIndex(folder / SEARCH_FILE)
    return found


@bp.get("/search")
@operation(query=SearchQuery, answers={200: (SearchAnswer, "What matches, best first.")})
def find(query: SearchQuery):
    """Stations, streets and venues whose name (or a station's address) matches `q`.

    Part of a word is enough (中央 finds 中央大街), and so are pinyin (zhongyang) and pinyin
    initials (zydj). Stations come first of equal matches, then streets, then venues; a street
    comes with its whole extent (`bbox`) so that the map can show all of it.
    """
    index = _index()
    entries = index.stations(state().current()) + index.places()
    found = search(entries, query.q, limit=query.limit)
    return jsonify({"query": query.q, "results": [e.as_json() for e in found]})
