from collections import Counter

import numpy as np
import pandas as pd
import pytest

from geo.basemap import HAN
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


# --- central Harbin: the whole city's venues and walking network, without the full build ----------

@pytest.fixture(scope="module")
def harbin():
    """Central Harbin's venues, walking network and demo stations, as ``yizhan demo --region
    harbin`` places them (its full build, about a minute here, is measured by hand)."""
    from geo.demo import _area_km2, _room, _stations, read_venues
    from geo.network import load_network
    from geo.regions import region

    known = region("harbin")
    venues = read_venues(known.extract())
    walk = load_network(known.extract(), mode="walk")
    most, spacing_m = _room(_area_km2(known.bounds))
    stations = _stations(venues, walk, city=known.zh, most=most, spacing_m=spacing_m,
                         heated=known.heated)
    unheated = _stations(venues, walk, city=known.zh, most=most, spacing_m=spacing_m)
    return known, walk, stations, unheated


def test_harbin_demo_stations_are_named_in_chinese_at_real_venues(harbin):
    known, walk, stations, _ = harbin
    assert walk.n_nodes == 44_658  # as the extract's README states
    assert 550 <= len(stations) <= 650  # the 590 its venues allow, far below 2.9 per km²
    assert set(Counter(s.kind for s in stations)) == {"driver_home", "sanitation_station",
                                                       "outdoor_rest_point"}
    assert all(HAN.search(s.name.split(" · ")[0]) for s in stations)
    assert all(s.address.startswith("哈尔滨中心城区") for s in stations)
    west, south, east, north = known.bounds
    inside = [west - 0.01 <= s.lon <= east + 0.01 and south - 0.01 <= s.lat <= north + 0.01
              for s in stations]
    assert all(inside)
    by_host = {s.id.split("-")[1]: s.hours for s in stations}
    assert by_host["bank"] == "Mo-Fr 09:00-17:00" and by_host["toilets"] == "24/7"


def test_harbin_stations_offer_heating_where_a_real_one_would(harbin):
    """A cold winter: every sanitation station and outdoor rest point offers heating (取暖);
    driver homes as their hosts do; nothing else differs from an unheated region's."""
    _, _, stations, unheated = harbin
    warm = {"sanitation_station", "outdoor_rest_point"}
    assert all("heating" in s.services for s in stations if s.kind in warm)
    assert not any("heating" in s.services for s in stations if s.kind == "driver_home")
    share = sum("heating" in s.services for s in stations) / len(stations)
    assert share == pytest.approx(sum(s.kind in warm for s in stations) / len(stations))
    assert [s.id for s in unheated] == [s.id for s in stations]
    assert all(a.services - b.services <= {"heating"} and b.services <= a.services
               for a, b in zip(stations, unheated, strict=True))
    # unheated, the supermarkets' and shops' rest points have none: the winter made the difference
    assert any("heating" not in s.services for s in unheated if s.kind == "outdoor_rest_point")


def test_harbin_sanitation_workers_and_their_coverage_by_hour(harbin):
    """The sanitation workers estimated along Harbin's streets, partly covered at 10:00 and
    far fewer at 04:00 (when only the public toilets' stations are open)."""
    from geo import settings
    from geo.coverage import coverage
    from geo.demo import _street_demand

    _, walk, stations, _ = harbin
    demand = _street_demand(walk, settings.sanitation_workers_per_km, "sanitation_worker", "")
    assert 11_000 <= demand["weight"].sum() <= 13_000
    shares = {}
    for hour in ("10:00", "04:00"):
        result = coverage({"walk": walk}, stations, demand, at=f"2026-11-25T{hour}:00+08:00")
        shares[hour] = result.summary["groups"]["sanitation_worker"]["share"]
    assert 0.4 <= shares["10:00"] <= 0.9 and shares["04:00"] < shares["10:00"] / 2


def test_chengdu_heating_follows_the_host(chengdu_demo):
    """A mild winter: heating where the host offers it (banks, toilets, parks …), not at every
    rest point as in Harbin."""
    stations = Registry(chengdu_demo.db_url).stations()
    rest = [s for s in stations if s.kind == "outdoor_rest_point"]
    assert any("heating" in s.services for s in rest)
    assert any("heating" not in s.services for s in rest)
