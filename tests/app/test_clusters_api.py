"""GET /api/clusters: the stations of a box counted per cell of the map, by kind, checked
against counts made station by station from the registry (the Helsinki demo and 600 generated
stations)."""

from __future__ import annotations

import gzip
import math
from collections import Counter

import pytest

from app import create_app
from app.schemas.clusters import CELL_PX, MAX_CELLS_ACROSS, ClustersAnswer
from geo.registry import Registry
from geo.stations import local_time
from tests.app.conftest import copy_db

WORLD = "-180,-85,180,85"


@pytest.fixture(scope="module")
def city(demo, tmp_path_factory):
    """An app on a copy of the demo registry with 600 generated stations more; its stations."""
    from geo.synthetic import random_stations

    url = copy_db(demo, tmp_path_factory.mktemp("clusters"))
    registry = Registry(url)
    registry.upsert(random_stations(demo.network("walk"), 600, seed=3), source="test")
    app = create_app({"TESTING": True, "DATA_DIR": demo.data_dir, "DB_URL": url})
    yield app, registry.stations()
    registry.engine.dispose()
    app.extensions["yizhan"].registry.engine.dispose()


def cell(lon: float, lat: float, zoom: int) -> tuple[int, int]:
    """The cell of a point, written out from the Web Mercator formulas."""
    world = 256 * 2 ** zoom
    x = (lon + 180) / 360 * world
    y = (1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) \
        / 2 * world
    return int(x // CELL_PX), int(y // CELL_PX)


def brute(stations, zoom, keep=lambda st: True, box=None) -> dict[tuple[int, int], Counter]:
    """Per cell, the kinds of the stations kept (the cells the box touches, whole)."""
    cells = None
    if box is not None:
        (x0, y0), (x1, y1) = cell(box[0], box[3], zoom), cell(box[2], box[1], zoom)
        cells = (x0, y0, x1, y1)
    out: dict[tuple[int, int], Counter] = {}
    for st in stations:
        c = cell(st.lon, st.lat, zoom)
        if not keep(st) or (cells and not (cells[0] <= c[0] <= cells[2]
                                           and cells[1] <= c[1] <= cells[3])):
            continue
        out.setdefault(c, Counter())[st.kind] += 1
    return out


def answered(answer: dict, zoom: int) -> dict[tuple[int, int], Counter]:
    """Per cell (of its stations' box), the kinds the answer counts; each cluster's marker in
    its cell."""
    out = {}
    for c in answer["clusters"]:
        where = cell(c["bbox"][0], c["bbox"][1], zoom)
        assert cell(c["bbox"][2], c["bbox"][3], zoom) == where  # its stations in one cell
        assert cell(c["lon"], c["lat"], zoom) == where  # and its marker too
        assert sum(c["kinds"].values()) == c["count"]
        out[where] = Counter(c["kinds"])
    return out


@pytest.mark.parametrize("zoom", [3, 10, 12, 14, 16])
def test_every_station_counted_once_in_its_cell(city, zoom):
    app, stations = city
    box = WORLD if zoom <= 5 else box_of(stations)
    response = app.test_client().get(f"/api/clusters?bbox={box}&zoom={zoom}")
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    ClustersAnswer.model_validate(answer)
    assert answer["total"] == len(stations) and answer["cell_px"] == CELL_PX
    assert answered(answer, zoom) == brute(stations, zoom)


def box_of(stations) -> str:
    return ",".join(str(v) for v in (min(s.lon for s in stations), min(s.lat for s in stations),
                                     max(s.lon for s in stations), max(s.lat for s in stations)))


def test_a_box_counts_the_cells_it_touches_whole(city):
    app, stations = city
    lon = sorted(s.lon for s in stations)[len(stations) // 2]
    lat = sorted(s.lat for s in stations)[len(stations) // 2]
    box = (lon - 0.01, lat - 0.005, lon + 0.012, lat + 0.006)
    answer = app.test_client().get("/api/clusters", query_string={
        "bbox": ",".join(map(str, box)), "zoom": 15}).get_json()
    expected = brute(stations, 15, box=box)
    assert answered(answer, 15) == expected and expected
    # a cell's count is the same whatever box touches it
    whole = answered(app.test_client().get(
        f"/api/clusters?bbox={box_of(stations)}&zoom=15").get_json(), 15)
    assert all(whole[c] == n for c, n in expected.items())


def test_the_filters_are_applied_before_counting(city):
    app, stations = city
    kinds = sorted({s.kind for s in stations})[:2]
    service = Counter(sv for s in stations for sv in s.services).most_common(3)[-1][0]
    query = f"/api/clusters?bbox={box_of(stations)}&zoom=13"
    answer = app.test_client().get(query + f"&kind={','.join(kinds)}&service={service}")
    assert answered(answer.get_json(), 13) == brute(
        stations, 13, lambda st: st.kind in kinds and service in st.services)
    assert 0 < answer.get_json()["total"] < len(stations)
    now = local_time(None)
    opened = app.test_client().get(query + "&open_now=1").get_json()
    if local_time(None).minute == now.minute:  # the same minute: the same stations open
        assert answered(opened, 13) == brute(stations, 13, lambda st: st.is_open(now))
        assert opened["total"] == sum(st.is_open(now) for st in stations)


def test_single_stations_are_named_and_boxes_are_their_stations(city):
    app, stations = city
    answer = app.test_client().get(f"/api/clusters?bbox={box_of(stations)}&zoom=18").get_json()
    by_id = {s.id: s for s in stations}
    singles = [c for c in answer["clusters"] if c["count"] == 1]
    assert singles and all(c["id"] in by_id for c in singles)
    for c in singles:
        st = by_id[c["id"]]
        assert c["bbox"] == pytest.approx([st.lon, st.lat, st.lon, st.lat])
        assert c["kinds"] == {st.kind: 1}
    assert all(c["id"] is None for c in answer["clusters"] if c["count"] > 1)


def test_the_answer_is_small_compressed_and_revalidated(city):
    app, stations = city
    client = app.test_client()
    query = f"/api/clusters?bbox={box_of(stations)}&zoom=12"
    packed = client.get(query, headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip" and len(packed.data) < 4000
    assert packed.headers["Cache-Control"] == "no-cache"
    assert gzip.decompress(packed.data) == client.get(query).data
    again = client.get(query, headers={"If-None-Match": packed.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    other = client.get(query + "&kind=" + stations[0].kind)
    assert other.headers["ETag"] != packed.headers["ETag"]


@pytest.mark.parametrize(("query", "parameter"), [
    ("zoom=12", "bbox"), (f"bbox={WORLD}", "zoom"), (f"bbox={WORLD}&zoom=21", "zoom"),
    (f"bbox={WORLD}&zoom=-1", "zoom"), (f"bbox={WORLD}&zoom=x", "zoom"),
    ("bbox=25,60,24,61&zoom=12", "bbox"), (f"bbox={WORLD}&zoom=8", "bbox"),
    (f"bbox={WORLD}&zoom=3&kind=nope", "kind"), (f"bbox={WORLD}&zoom=3&region=x", "region"),
    (f"bbox={WORLD}&zoom=3&x=1", "x")])
def test_bad_queries_name_the_parameter(client, query, parameter):
    answer = client.get("/api/clusters?" + query)
    assert answer.status_code == 400, answer.get_json()
    assert answer.get_json()["parameter"] == parameter


def test_a_box_too_wide_for_its_zoom_says_how_many_cells(client):
    wide = 360 / (256 * 2 ** 16 / CELL_PX) * (MAX_CELLS_ACROSS + 2)
    answer = client.get(f"/api/clusters?bbox=24.9,60.1,{24.9 + wide},60.11&zoom=16")
    assert answer.status_code == 400
    assert f"at most {MAX_CELLS_ACROSS}" in answer.get_json()["error"]
    narrow = 360 / (256 * 2 ** 16 / CELL_PX) * (MAX_CELLS_ACROSS - 2)
    assert client.get(f"/api/clusters?bbox=24.9,60.1,{24.9 + narrow},60.11&zoom=16"
                      ).status_code == 200
