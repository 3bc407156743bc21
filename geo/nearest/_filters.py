"""Which stations a query may return: kind and services (a static mask per filter), and opening
hours at a minute (looked at once per station and minute, then kept)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime

import numpy as np

from geo.stations import KINDS, Station

#: How many (kinds, services) masks a filter keeps before starting afresh.
_MASKS = 256
#: How many minutes of opening-hours state a filter keeps (the oldest goes first).
_MINUTES = 8
#: A small number per kind (the kinds of the stations as an array of them); a kind the
#: deployment adds later (geo.catalogue) gets the next number, and a number is never reused.
_KIND_CODE = {k: c for c, k in enumerate(KINDS)}
_CODE_LOCK = threading.Lock()


def _kind_code(kind: str) -> int:
    """The number of ``kind`` (-1: not a kind)."""
    code = _KIND_CODE.get(kind)
    if code is None:
        if kind not in KINDS:
            return -1
        with _CODE_LOCK:
            code = _KIND_CODE.setdefault(kind, len(_KIND_CODE))
    return code


class StationFilter:
    """The stations of one finder that pass the filters of a query. Safe to share between
    threads: the caches are changed under a lock, and a station's state at a minute is the same
    whichever thread fills it in.

    Parameters
    ----------
    stations
        The finder's stations.
    on_network
        Per station, whether it joins the network (the others never pass).
    kind_code
        Per station, the index of its kind in :data:`geo.stations.KINDS`, when known already.
    """

    def __init__(self, stations: list[Station], on_network: np.ndarray, *,
                 kind_code: np.ndarray | None = None) -> None:
        self._stations = stations
        self._on_network = on_network
        self._kind_code = (np.array([_kind_code(s.kind) for s in stations], np.int16)
                           if kind_code is None else kind_code)
        self._masks: dict[tuple[frozenset[str] | None, frozenset[str]], np.ndarray] = {}
        self._open_states: OrderedDict[datetime, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def with_changes(self, stations: list[Station], on_network: np.ndarray, kept: np.ndarray
                     ) -> StationFilter:
        """The filter of ``stations`` (``kept`` as in
        :meth:`geo.nearest._access.StationAccess.with_changes`): the kept stations' kinds,
        service masks and opening states are carried over, the others' worked out afresh."""
        from geo.nearest._merge import carried, carried_mask, carried_or

        fresh = np.flatnonzero(kept < 0)
        kind_code = carried(self._kind_code, kept, fresh,
                            np.array([_kind_code(stations[i].kind) for i in fresh], np.int16))
        new = StationFilter(stations, on_network, kind_code=kind_code)
        with self._lock:
            masks = list(self._masks.items())
            states = list(self._open_states.items())
        for (kinds, services), mask in masks:
            new_mask = carried_mask(mask, kept, on_network)
            for i in fresh.tolist():
                station = stations[i]
                new_mask[i] = bool(on_network[i]) and (kinds is None or station.kind in kinds) \
                    and services <= station.services
            new._masks[(kinds, services)] = new_mask
        for when, state in states:
            new._open_states[when] = carried_or(state, kept, np.int8(-2))
        return new

    def static_mask(self, kinds: frozenset[str] | None, services: frozenset[str]) -> np.ndarray:
        """The on-network stations of ``kinds`` (None: all) offering every one of ``services``
        (a fresh copy the caller may change)."""
        key = (kinds, services)
        mask = self._masks.get(key)
        if mask is None:
            mask = self._on_network.copy()
            if kinds is not None:
                codes = [_KIND_CODE.get(k, -2) for k in kinds]  # -2: a kind no station has
                mask &= np.isin(self._kind_code, codes)
            if services:
                mask &= np.array([services <= s.services for s in self._stations], bool)
            with self._lock:
                if len(self._masks) > _MASKS:
                    self._masks.clear()
                self._masks[key] = mask
        return mask.copy()

    def open_state(self, when: datetime) -> np.ndarray:
        """Per station at ``when`` (minute resolution): 1 open, 0 closed, -1 hours unknown,
        -2 not looked at yet (filled in by :meth:`allowed`)."""
        key = when.replace(second=0, microsecond=0)
        with self._lock:
            state = self._open_states.get(key)
            if state is None:
                state = np.full(len(self._stations), -2, np.int8)
                self._open_states[key] = state
                while len(self._open_states) > _MINUTES:
                    self._open_states.popitem(last=False)
        return state

    def allowed(self, kinds: frozenset[str] | None, services: frozenset[str],
                when: datetime | None, open_only: bool) -> np.ndarray:
        """Per station, whether it passes the filters: ``kinds`` and ``services`` as in
        :meth:`static_mask`, and with ``open_only`` open at ``when`` (hours unknown pass)."""
        allowed = self.static_mask(kinds, services)
        if open_only:
            if when is None:
                raise ValueError("`when` is needed with open_only=True")
            state = self.open_state(when)
            for i in np.flatnonzero(allowed & (state == -2)).tolist():
                is_open = self._stations[i].is_open(when)
                state[i] = -1 if is_open is None else int(is_open)
            allowed &= state != 0
        return allowed

    def chosen(self, kinds: frozenset[str] | None, services: frozenset[str],
               when: datetime | None, open_only: bool) -> np.ndarray:
        """Indices of the on-network stations that pass every filter (:meth:`allowed`)."""
        return np.flatnonzero(self.allowed(kinds, services, when, open_only))
