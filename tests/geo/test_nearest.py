import itertools
import math
import threading

import networkx as nx
import numpy as np
import pytest

from geo import settings
from geo.errors import InputError, OffNetworkError
from geo.nearest import Snap, StationFinder, access_speed_kmh
from geo.stations import Station
from geo.synthetic import city_network, random_points, random_stations
from tests.reference import (
    networkx_nearest_each,
    networkx_table,
    reference_place,
    split_graph,
)

FRIDAY_10 = "2026-11-27T10:00"
SATURDAY_04 = "2026-11-28T04:00"


@pytest.fixture(scope="module", params=["walk", "drive"])
def city(request):
    net = city_network(2500, mode=request.param, seed=3)
    stations = random_stations(net, 60, seed=4)
    return net, stations, StationFinder(net, stations)


FILTERS = [
    dict(k=1),
    dict(k=3),
    dict(k=5, kinds=["driver_home"]),
    dict(k=3, services=["toilet", "drinking_water"]),
    dict(k=3, open_at=SATURDAY_04, open_only=True),
    dict(k=2, kinds=["sanitation_station", "outdoor_rest_point"], services=["rest"],
         open_at=FRIDAY_10, open_only=True),
]


@pytest.mark.parametrize("filters", FILTERS, ids=[str(f) for f in FILTERS])
def test_k_nearest_equals_networkx_networkx_nearest(city, filters):
    net, _, finder = city
    lon, lat = random_points(net, 12, seed=9, jitter_deg=0.0002)
    each = networkx_nearest_each(finder, lon, lat, **filters)
    for x, y, expected in zip(lon.tolist(), lat.tolist(), each, strict=True):
        hits = finder.nearest(x, y, **filters)
        assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
        assert len(hits) == len(expected)
        assert [h.distance_m for h in hits] == pytest.approx([d for d, _ in expected], abs=1e-6)
        # ties aside, the same stations in the same order
        for hit, (dist, sid) in zip(hits, expected, strict=True):
            assert hit.station.id == sid or math.isclose(hit.distance_m, dist, abs_tol=1e-6)


def test_filters_apply_before_k_is_counted(city):
    net, _, finder = city
    x, y = float(net.lon[100]), float(net.lat[100])
    hits = finder.nearest(x, y, k=3, services=["toilet"], open_at=SATURDAY_04, open_only=True)
    assert len(hits) == 3
    assert all("toilet" in h.station.services and h.open for h in hits)
    unfiltered = finder.nearest(x, y, k=3)
    assert hits[0].distance_m >= unfiltered[0].distance_m


def test_duration_follows_the_path(city):
    """The duration is the time along the shortest path by distance: summed on the networkx
    graph with the point and the station inserted on their edges."""
    net, stations, finder = city
    x, y = float(net.lon[1234]) + 0.00013, float(net.lat[1234]) - 0.00007
    speed = access_speed_kmh(net.mode) / 3.6
    point = reference_place(net, [x], [y])[0]
    for hit in finder.nearest(x, y, k=3):
        i = stations.index(hit.station)
        where = reference_place(net, [hit.station.lon], [hit.station.lat])[0]
        inserted = {"point": point[:3], "station": where[:3]}
        lengths = split_graph(net, "length", inserted)
        times = split_graph(net, "time", inserted)
        path = nx.dijkstra_path(lengths, "point", "station", weight="weight")
        along_s = sum(times[u][v]["weight"] for u, v in itertools.pairwise(path))
        along_m = sum(lengths[u][v]["weight"] for u, v in itertools.pairwise(path))
        assert hit.distance_m == pytest.approx(along_m + point[3] + where[3], abs=1e-6)
        expected = along_s + (point[3] + finder.station_leg_m[i]) / speed
        assert hit.duration_s == pytest.approx(expected, rel=1e-9)
        if net.mode == "walk":
            assert hit.duration_s == pytest.approx(hit.distance_m / (settings.walk_speed_kmh / 3.6))


def test_route_runs_from_the_point_along_edges_to_the_station(city):
    net, stations, finder = city
    x, y = float(net.lon[777]) + 0.0001, float(net.lat[777])
    hit = finder.nearest(x, y, k=1, route=True)[0]
    i = stations.index(hit.station)
    assert hit.route[0] == (x, y)
    assert hit.route[-1] == (hit.station.lon, hit.station.lat)
    snap = finder.snap(x, y)
    assert hit.route[1] == (snap.lon, snap.lat)  # the foot on the road
    assert hit.route[-2] == (float(finder.placement.lon[i]), float(finder.placement.lat[i]))
    coords_to_node = {(float(a), float(b)): n
                      for n, (a, b) in enumerate(zip(net.lon, net.lat, strict=True))}
    nodes = [coords_to_node[p] for p in hit.route[1:-1] if p in coords_to_node]
    graph = net.to_networkx("length")
    assert all(graph.has_edge(u, v) for u, v in itertools.pairwise(nodes))
    inner = sum(graph[u][v]["weight"] for u, v in itertools.pairwise(nodes))
    assert inner <= hit.distance_m
    geojson = hit.as_dict()["route"]
    assert geojson["type"] == "LineString" and len(geojson["coordinates"]) == len(hit.route)


def test_nearest_table_equals_networkx_nearest(city):
    net, stations, finder = city
    table = finder.nearest_table(["sanitation_station"])
    expected = networkx_table(finder, kinds={"sanitation_station"})
    main = net.main_component()  # points join the network there only
    assert np.allclose(table.distance_m[main], expected[main], atol=1e-6)
    reached = np.isfinite(expected)
    winner = table.station[reached]
    assert all(stations[w].kind == "sanitation_station" for w in winner)
    assert np.all(table.duration_s[reached] >= 0)
    if net.mode == "walk":
        speed = settings.walk_speed_kmh / 3.6
        assert np.allclose(table.duration_s[reached], table.distance_m[reached] / speed)


def test_table_agrees_with_single_queries(city):
    net, _, finder = city
    table = finder.nearest_table(["driver_home"])
    for node in range(0, net.n_nodes, 97):
        hit = finder.nearest(float(net.lon[node]), float(net.lat[node]), k=1,
                             kinds=["driver_home"])
        if hit:
            assert hit[0].distance_m == pytest.approx(table.distance_m[node], abs=1e-6)
            assert hit[0].duration_s == pytest.approx(table.duration_s[node], abs=1e-6)


def test_time_filtered_table_follows_opening_hours(city):
    _, stations, finder = city
    night = finder.nearest_table(open_at=SATURDAY_04, open_only=True)
    opened = {i for i, s in enumerate(stations) if s.is_open(SATURDAY_04)}
    assert set(night.station[night.station >= 0].tolist()) <= opened
    day = finder.nearest_table()
    assert np.all(night.distance_m >= day.distance_m - 1e-9)


def test_off_network_point(city):
    net, _, finder = city
    with pytest.raises(OffNetworkError, match="off this network") as err:
        finder.nearest(float(net.lon.max()) + 0.05, float(net.lat.mean()))
    assert err.value.distance_m > settings.max_snap_m


def test_off_network_stations_are_left_out(city):
    net, stations, _ = city
    far = Station(id="far", name="far away", kind="driver_home",
                  lon=float(net.lon.max()) + 0.1, lat=float(net.lat.mean()))
    finder = StationFinder(net, [*stations, far])
    assert [s.id for s in finder.off_network] == ["far"]
    x, y = float(net.lon.max()), float(net.lat.mean())
    assert all(h.station.id != "far" for h in finder.nearest(x, y, k=50))


@pytest.mark.parametrize("kwargs, parameter", [
    (dict(k=0), "k"), (dict(k=51), "k"), (dict(k=2.5), "k"), (dict(k=True), "k"),
    (dict(kinds=["petrol"]), "kind"), (dict(services=["spa"]), "service"),
    (dict(open_at="half past four"), "open_at"),
])
def test_bad_parameters(city, kwargs, parameter):
    net, _, finder = city
    with pytest.raises(InputError, match=f"`{parameter}`") as err:
        finder.nearest(float(net.lon[0]), float(net.lat[0]), **kwargs)
    assert err.value.parameter == parameter


@pytest.mark.parametrize("lon, lat, parameter", [(200.0, 30.0, "lon"), (114.0, -91.0, "lat"),
                                                 (float("nan"), 30.0, "lon")])
def test_coordinates_out_of_range(city, lon, lat, parameter):
    _, _, finder = city
    with pytest.raises(InputError, match=f"`{parameter}`"):
        finder.nearest(lon, lat)


def test_fewer_matches_than_k(city):
    net, stations, _ = city
    only = StationFinder(net, stations[:2])
    assert len(only.nearest(float(net.lon[5]), float(net.lat[5]), k=10)) <= 2


def test_no_stations():
    net = city_network(400, seed=1)
    finder = StationFinder(net, [])
    assert finder.nearest(float(net.lon[0]), float(net.lat[0])) == []
    assert np.all(np.isinf(finder.nearest_table().distance_m))


def test_access_speed_comes_from_settings(monkeypatch):
    monkeypatch.setattr(settings, "walk_speed_kmh", 5.0)
    assert access_speed_kmh("walk") == 5.0


@pytest.mark.parametrize("filters", [dict(k=1), dict(k=3), dict(k=4, kinds=["driver_home"]),
                                     dict(k=3, services=["toilet"], open_at=FRIDAY_10,
                                          open_only=True)], ids=str)
def test_many_points_equal_single_queries(city, filters):
    net, _, finder = city
    lon, lat = random_points(net, 40, seed=11, jitter_deg=0.0002)
    lon = np.append(lon, float(net.lon.max()) + 0.05)  # one point off the network
    lat = np.append(lat, float(net.lat.mean()))
    table = finder.nearest_many(lon, lat, ids=[f"p{j}" for j in range(len(lon))], **filters)
    assert table.loc[table.point_id == f"p{len(lon) - 1}", "status"].tolist() == ["off_network"]
    assert table.loc[table.status == "off_network", "distance_m"].isna().all()
    for j in range(len(lon) - 1):
        rows = table[table.point_id == f"p{j}"]
        hits = finder.nearest(float(lon[j]), float(lat[j]), **filters)
        if not hits:
            assert rows.status.tolist() == ["no_station"]
            continue
        assert rows["rank"].tolist() == [h.rank for h in hits]
        assert rows["distance_m"].tolist() == pytest.approx(
            [round(h.distance_m, 1) for h in hits], abs=0.051)
        assert rows["duration_s"].tolist() == pytest.approx(
            [round(h.duration_s, 1) for h in hits], abs=0.051)


def test_many_points_rejects_bad_coordinates(city):
    _, _, finder = city
    with pytest.raises(InputError, match="point 'b'"):
        finder.nearest_many([114.3, 300.0], [30.5, 30.5], ids=["a", "b"])


def test_quickest_table_equals_networkx_nearest(city):
    net, _, finder = city
    table = finder.nearest_table(["outdoor_rest_point"], weight="time")
    expected = networkx_table(finder, weight="time", kinds={"outdoor_rest_point"})
    main = net.main_component()
    assert np.allclose(table.duration_s[main], expected[main], atol=1e-6)
    by_length = finder.nearest_table(["outdoor_rest_point"])
    reached = np.isfinite(expected)
    assert np.all(table.duration_s[reached] <= by_length.duration_s[reached] + 1e-9)
    assert np.all(table.distance_m[reached] >= by_length.distance_m[reached] - 1e-9)
    with pytest.raises(InputError, match="weight"):
        finder.nearest_table(weight="cost")


def assert_same_hits(a, b) -> None:
    """Two answers name the same stations in the same order, at the same metres and seconds."""
    assert [h.station.id for h in a] == [h.station.id for h in b]
    assert [h.distance_m for h in a] == pytest.approx([h.distance_m for h in b], abs=1e-6)
    assert [h.duration_s for h in a] == pytest.approx([h.duration_s for h in b], abs=1e-6)


@pytest.mark.parametrize("filters", FILTERS[:4], ids=[str(f) for f in FILTERS[:4]])
def test_table_answers_equal_the_bounded_search(city, filters, monkeypatch):
    """Lookups answered from the per-node tables (a station set asked often) equal the bounded
    search from the point, routes included."""
    net, stations, _ = city
    lon, lat = random_points(net, 25, seed=21, jitter_deg=0.0003)
    graph = net.to_networkx("length")
    monkeypatch.setattr(settings, "nearest_table_after", None)
    searched = StationFinder(net, stations)
    monkeypatch.setattr(settings, "nearest_table_after", 1)
    tabled = StationFinder(net, stations)
    for x, y in zip(lon.tolist(), lat.tolist(), strict=True):
        a = searched.nearest(x, y, route=True, **filters)
        b = tabled.nearest(x, y, route=True, **filters)
        assert_same_hits(a, b)
        coords_to_node = {(float(p), float(q)): n
                          for n, (p, q) in enumerate(zip(net.lon, net.lat, strict=True))}
        for hit_a, hit_b in zip(a, b, strict=True):
            lengths = []
            for hit in (hit_a, hit_b):
                nodes = [coords_to_node[p] for p in hit.route[1:-1] if p in coords_to_node]
                assert all(graph.has_edge(u, v) for u, v in itertools.pairwise(nodes))
                lengths.append(sum(graph[u][v]["weight"] for u, v in itertools.pairwise(nodes)))
            assert lengths[0] == pytest.approx(lengths[1], abs=1e-6)
    assert tabled._tables  # the table path was taken


@pytest.mark.parametrize("filters", FILTERS[:4], ids=[str(f) for f in FILTERS[:4]])
def test_scipy_search_equals_the_compiled_one(city, filters, monkeypatch):
    """``compiled=False`` (scipy's bounded Dijkstra, for one-off questions) answers as the
    compiled search does, durations and routes included."""
    net, stations, _ = city
    monkeypatch.setattr(settings, "nearest_table_after", None)
    compiled = StationFinder(net, stations)
    plain = StationFinder(net, stations, compiled=False)
    lon, lat = random_points(net, 20, seed=33, jitter_deg=0.0003)
    for x, y in zip(lon.tolist(), lat.tolist(), strict=True):
        a = compiled.nearest(x, y, route=True, **filters)
        b = plain.nearest(x, y, route=True, **filters)
        assert_same_hits(a, b)
        assert [h.route for h in a] == [h.route for h in b]


# --- the finder as an object: read-only state, shared by threads ------------------------------


def test_finder_state_is_read_only(city):
    net, stations, finder = city
    for name in ("network", "stations", "max_snap_m", "compiled", "placement", "station_leg_m",
                 "station_leg_s", "on_network", "off_network"):
        with pytest.raises(AttributeError):
            setattr(finder, name, None)
    with pytest.raises(ValueError, match="read-only"):
        finder.station_leg_m[0] = 0.0
    assert finder.stations == stations and finder.stations is not stations
    assert finder.network is net and finder.compiled
    assert repr(finder).startswith("StationFinder(Network(") and "60 stations" in repr(finder)


def test_max_snap_m_is_read_when_the_finder_is_built(city, monkeypatch):
    net, stations, _ = city
    monkeypatch.setattr(settings, "max_snap_m", 5.0)
    narrow = StationFinder(net, stations[:5])
    monkeypatch.setattr(settings, "max_snap_m", 300.0)
    assert narrow.max_snap_m == 5.0
    assert StationFinder(net, stations[:5], max_snap_m=42).max_snap_m == 42.0
    assert narrow.on_network.tolist() == (narrow.station_leg_m <= 5.0).tolist()


@pytest.mark.parametrize("after", [None, 1], ids=["searched", "tabled"])
def test_threads_share_one_finder(city, after, monkeypatch):
    """Several threads asking one finder at once get the answers one thread gets."""
    net, stations, _ = city
    monkeypatch.setattr(settings, "nearest_table_after", after)
    lon, lat = random_points(net, 16, seed=41, jitter_deg=0.0002)
    points = list(zip(lon.tolist(), lat.tolist(), strict=True))
    expected = [StationFinder(net, stations).nearest(x, y, k=3, route=True) for x, y in points]
    finder = StationFinder(net, stations)
    answers: dict[int, list] = {}
    errors = []

    def ask(offset: int) -> None:
        try:
            for j in range(len(points)):
                p = (j + offset) % len(points)
                answers.setdefault(p, []).append(finder.nearest(*points[p], k=3, route=True))
        except Exception as exc:  # any failure in a thread fails the test
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(4 * t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for p, got in answers.items():
        for hits in got:
            assert_same_hits(hits, expected[p])
            assert [h.route for h in hits] == [h.route for h in expected[p]]


def test_snap_is_the_foot_on_the_nearest_edge(city):
    net, _, finder = city
    x, y = float(net.lon[321]) + 0.0002, float(net.lat[321])
    snap = finder.snap(x, y)
    assert isinstance(snap, Snap)
    placed = finder.place([x], [y])
    assert (snap.segment, snap.t) == (int(placed.segment[0]), pytest.approx(float(placed.t[0])))
    assert snap.distance_m == pytest.approx(float(placed.distance_m[0]))


def test_point_placement_is_a_deprecated_name_of_snap():
    import geo.nearest

    with pytest.warns(DeprecationWarning, match="Snap"):
        assert geo.nearest.PointPlacement is Snap
    with pytest.raises(AttributeError, match="no attribute 'Nowhere'"):
        geo.nearest.Nowhere  # noqa: B018 - the attribute access is the test
