from collections import Counter

import numpy as np
import pandas as pd

from geo.demo import DEMO_LABEL, DEMO_MARK, build_demo
from geo.groups import DEFAULT_GROUPS
from geo.network import MODES
from geo.registry import Registry


def test_demo_has_all_kinds_at_real_venues(demo, demo_stations):
    assert demo.is_built()
    assert 50 <= len(demo_stations) <= 70  # a small region: at least 60 where venues allow
    kinds = Counter(s.kind for s in demo_stations)
    assert set(kinds) == {"driver_home", "sanitation_station", "outdoor_rest_point"}
    assert all(s.notes.startswith(DEMO_MARK + "：") for s in demo_stations)
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
    again = build_demo(tmp_path, region_id="helsinki")
    assert Registry(again.db_url).stations() == demo_stations
    assert again.demand_path.read_bytes() == demo.demand_path.read_bytes()
    for mode in MODES:
        a, b = demo.network(mode), again.network(mode)
        assert np.array_equal(a.indices, b.indices) and np.array_equal(a.length, b.length)
    # Building again into the same place changes nothing.
    build_demo(tmp_path, region_id="helsinki")
    assert len(Registry(again.db_url).history()) == len(demo_stations)


def test_chengdu_demo_shows_real_gaps_at_the_groups_own_budgets(chengdu_demo):
    """Central Chengdu at each group's own budget (15 min on foot or by e-bike, 30 min by car):
    sanitation workers partly covered at 10:00 and fewer at 04:00, another group short of all."""
    manifest = chengdu_demo.manifest()
    assert manifest["region"] == "chengdu" and manifest["city"] == "成都中心城区"
    assert manifest["year"] == 2018 and "OpenStreetMap" in manifest["attribution"]
    at = manifest["coverage"]["at"]
    assert 0.40 <= at["10:00"]["sanitation_worker"] <= 0.90
    assert at["04:00"]["sanitation_worker"] < at["10:00"]["sanitation_worker"]
    others = [g for g in at["10:00"] if g != "sanitation_worker"]
    assert min(at["10:00"][g] for g in others) < 1.0
    assert manifest["coverage"]["gaps_10:00"] >= 1
    assert manifest["stations_per_km2"] <= 186_100 / 64_000 + 0.01
    assert all(isinstance(w, int) for w in manifest["demand"]["workers"].values())


def test_chengdu_demo_stations_are_named_in_chinese_at_real_venues(chengdu_demo):
    stations = Registry(chengdu_demo.db_url).stations()
    assert len(stations) >= 60
    kinds = Counter(s.kind for s in stations)
    assert set(kinds) == {"driver_home", "sanitation_station", "outdoor_rest_point"}
    han = [s for s in stations if any("\u4e00" <= ch <= "\u9fff" for ch in s.name.split(" · ")[0])]
    assert len(han) == len(stations)  # venues named in Latin letters get their kind: 银行（Icbc）
    assert any(s.name.startswith("银行（") for s in stations)
    assert all(s.address.startswith("成都中心城区") for s in stations)
    # the notes the finder card shows are Chinese, naming the host venue
    assert all(s.notes.startswith(DEMO_MARK + "：示意站点") and "不是真实的工会驿站" in s.notes
               and "demo" not in s.notes for s in stations)
    by_host = {s.id.split("-")[1]: s.hours for s in stations}
    assert by_host.get("bank") == "Mo-Fr 09:00-17:00" and by_host.get("toilets") == "24/7"
