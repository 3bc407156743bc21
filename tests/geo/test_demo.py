from collections import Counter

import numpy as np
import pandas as pd

from geo.demo import DEMO_LABEL, build_demo
from geo.groups import DEFAULT_GROUPS
from geo.network import MODES
from geo.registry import Registry


def test_demo_has_all_kinds_at_real_venues(demo, demo_stations):
    assert demo.is_built()
    assert 50 <= len(demo_stations) <= 70
    kinds = Counter(s.kind for s in demo_stations)
    assert set(kinds) == {"driver_home", "sanitation_station", "outdoor_rest_point"}
    assert all(DEMO_LABEL in s.notes for s in demo_stations)
    assert all(s.services and s.hours and s.capacity for s in demo_stations)
    hours = {s.hours for s in demo_stations}
    assert "24/7" in hours and "Mo-Fr 09:00-17:00" in hours  # some office hours, some all day
    west, south, east, north = demo.manifest()["bounds"]
    assert all(west - 0.001 <= s.lon <= east + 0.001 and south - 0.001 <= s.lat <= north + 0.001
               for s in demo_stations)


def test_demo_networks_and_demand(demo):
    manifest = demo.manifest()
    assert manifest["demo"] is True and manifest["label"] == DEMO_LABEL
    for mode in MODES:
        assert demo.network(mode).n_edges == manifest["networks"][mode]["edges"] > 1000
    demand = pd.read_csv(demo.demand_path)
    assert set(demand["group"]) == set(DEFAULT_GROUPS)
    assert (demand["weight"] > 0).all() and demand["source"].notna().all()
    assert demand.groupby("group")["weight"].sum().min() > 10


def test_demo_build_is_deterministic(demo, demo_stations, tmp_path):
    again = build_demo(tmp_path)
    assert Registry(again.db_url).stations() == demo_stations
    assert again.demand_path.read_bytes() == demo.demand_path.read_bytes()
    for mode in MODES:
        a, b = demo.network(mode), again.network(mode)
        assert np.array_equal(a.indices, b.indices) and np.array_equal(a.length, b.length)
    # Building again into the same place changes nothing.
    build_demo(tmp_path)
    assert len(Registry(again.db_url).history()) == len(demo_stations)
