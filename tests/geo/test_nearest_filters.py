"""Which stations a query may return (geo.nearest._filters): kinds, services, opening hours."""

import threading

import numpy as np
import pytest

from geo.nearest._filters import StationFilter
from geo.stations import Station, local_time

NIGHT = local_time("2026-11-28T04:00")


def station(i: int, kind: str, services=(), hours: str = "24/7") -> Station:
    return Station(id=f"s{i}", name=f"s{i}", kind=kind, lon=114.3, lat=30.5,
                   services=frozenset(services), hours=hours)


@pytest.fixture
def stations():
    return [station(0, "driver_home", ["toilet"]),
            station(1, "sanitation_station", ["toilet", "rest"], hours="Mo-Su 08:00-20:00"),
            station(2, "outdoor_rest_point", ["rest"], hours=""),
            station(3, "driver_home", ["toilet", "rest"]),
            station(4, "driver_home", ["toilet"])]


@pytest.fixture
def filt(stations):
    on = np.array([True, True, True, True, False])
    return StationFilter(stations, on)


@pytest.mark.parametrize("kinds, services, expected", [
    (None, frozenset(), [True, True, True, True, False]),
    (frozenset({"driver_home"}), frozenset(), [True, False, False, True, False]),
    (None, frozenset({"toilet", "rest"}), [False, True, False, True, False]),
    (frozenset({"driver_home", "outdoor_rest_point"}), frozenset({"rest"}),
     [False, False, True, True, False]),
])
def test_static_mask(filt, kinds, services, expected):
    assert filt.static_mask(kinds, services).tolist() == expected


def test_static_mask_is_a_fresh_copy(filt):
    first = filt.static_mask(None, frozenset())
    first[:] = False
    assert filt.static_mask(None, frozenset()).any()


def test_open_only_leaves_out_the_closed_not_the_unknown(filt):
    allowed = filt.allowed(None, frozenset(), NIGHT, True)
    assert allowed.tolist() == [True, False, True, True, False]
    state = filt.open_state(NIGHT)
    assert state.tolist() == [1, 0, -1, 1, -2]  # the off-network one never looked at
    assert filt.chosen(None, frozenset(), NIGHT, True).tolist() == [0, 2, 3]
    assert filt.allowed(None, frozenset(), None, False).tolist() == [True] * 4 + [False]


def test_open_state_is_kept_per_minute_for_the_latest_minutes(filt):
    first = filt.open_state(NIGHT)
    assert filt.open_state(NIGHT.replace(second=30)) is first
    for minute in range(1, 9):
        filt.open_state(NIGHT.replace(minute=minute))
    assert filt.open_state(NIGHT) is not first  # the oldest went first


def test_open_only_needs_a_time(filt):
    with pytest.raises(ValueError, match="when"):
        filt.allowed(None, frozenset(), None, True)


def test_threads_share_one_filter(filt):
    expected = filt.allowed(frozenset({"driver_home"}), frozenset(), NIGHT, True).tolist()
    answers, errors = [], []

    def ask():
        try:
            for minute in range(20):
                when = NIGHT.replace(minute=minute)
                answers.append(filt.allowed(frozenset({"driver_home"}), frozenset(), when,
                                            True).tolist())
        except Exception as exc:  # any failure in a thread fails the test
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(a == expected for a in answers)
