"""The grid search for the nearest segment (geo.network.placement.nearest_segments) finds what
shapely's STRtree finds (the placement before it), point for point, and what a brute force over
all segments finds; of segments at exactly the same distance, the lowest index."""

import numpy as np
import pytest
import shapely
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from geo.coords import project
from geo.network._segment_grid import _to_segment
from geo.network.placement import (
    Segments,
    _nearest_by_scan,
    nearest_segments,
    place,
    place_point,
    segments,
)
from geo.synthetic import city_network, random_points


def _segments_of(ax, ay, bx, by) -> Segments:
    n = len(ax)
    none = np.full(n, np.inf)
    ends = np.arange(n, dtype=np.int64)
    segs = Segments(ends, ends, none, none, none, none, ax, ay, bx, by)
    segs.grid  # noqa: B018 - built now: these tests search the grid, not the scan of a few points
    return segs


def _lines(segs: Segments):
    g = segs.grid
    return shapely.linestrings(np.column_stack([g.ax, g.ay, g.bx, g.by]).reshape(-1, 2),
                               indices=np.repeat(np.arange(len(g.ax)), 2))


def _strtree(segs: Segments, x, y) -> tuple[np.ndarray, np.ndarray]:
    """Each point's segment as ``STRtree.query_nearest`` picked it (the placement before the
    grid), and the lowest index among the segments at exactly its distance."""
    tree = shapely.STRtree(_lines(segs))
    points = shapely.points(x, y)
    before = np.full(len(x), -1, np.int64)
    found = tree.query_nearest(points, all_matches=False)
    before[found[0]] = found[1]
    lowest = np.full(len(x), np.iinfo(np.int64).max)
    every = tree.query_nearest(points, all_matches=True)
    np.minimum.at(lowest, every[0], every[1])
    return before, lowest


def _brute(segs: Segments, x, y) -> np.ndarray:
    """Distance from each point to every segment, shapely's own (points × segments)."""
    return shapely.distance(shapely.points(x, y)[:, None], _lines(segs)[None, :])


# a coarse lattice among the values: shared ends, overlapping and parallel segments, exact ties
coordinate = st.one_of(st.floats(-500, 500, allow_nan=False).map(lambda v: round(v, 1)),
                       st.integers(-3, 3).map(lambda v: v * 100.0))
segment = st.tuples(coordinate, coordinate, coordinate, coordinate)


@hsettings(max_examples=300, deadline=None)
@given(lines=st.lists(segment, min_size=1, max_size=40),
       points=st.lists(st.tuples(coordinate, coordinate), min_size=1, max_size=30),
       at_ends=st.booleans())
def test_small_random_cases_against_brute_force_and_the_strtree(lines, points, at_ends):
    ax, ay, bx, by = (np.array(v, float) for v in zip(*lines, strict=True))
    x, y = (np.array(v, float) for v in zip(*points, strict=True))
    if at_ends:  # points on segment ends: ties between the segments that share them
        x, y = np.concatenate([x, ax, bx]), np.concatenate([y, ay, by])
    segs = _segments_of(ax, ay, bx, by)
    got = nearest_segments(segs, x, y)
    distances = _brute(segs, x, y)
    assert np.array_equal(got, np.argmin(distances, axis=1))  # the first of equal minima
    before, lowest = _strtree(segs, x, y)
    assert np.array_equal(got, lowest)
    rows = np.arange(len(x))
    single = distances[rows, before] < np.sort(distances, axis=1)[:, 1] if len(segs) > 1 \
        else np.ones(len(x), bool)
    assert np.array_equal(got[single], before[single])  # no tie: the segment it had before


def test_distance_is_computed_as_geos_computes_it():
    rng = np.random.default_rng(3)
    px, py, ax, ay, bx, by = rng.uniform(-1e4, 1e4, (6, 2000))
    ax[:100], ay[:100] = bx[:100], by[:100]  # zero-length segments
    ours = np.array([_to_segment(*v) for v in zip(px, py, ax, ay, bx, by, strict=True)])
    lines = shapely.linestrings(np.column_stack([ax, ay, bx, by]).reshape(-1, 2),
                                indices=np.repeat(np.arange(2000), 2))
    assert np.array_equal(ours, shapely.distance(shapely.points(px, py), lines))


@pytest.mark.parametrize("mode", ["walk", "drive"])
def test_a_city_is_placed_as_the_strtree_places_it(mode):
    net = city_network(3000, mode=mode, seed=11)
    lon, lat = random_points(net, 3000, seed=2, jitter_deg=0.0005)
    # on nodes (ties between the segments meeting there), and well outside the city
    lon = np.concatenate([lon, net.lon[:300], net.lon[:50] + 0.05, net.lon[:50] - 0.2])
    lat = np.concatenate([lat, net.lat[:300], net.lat[:50] - 0.03, net.lat[:50] + 0.1])
    segs = segments(net)
    segs.grid  # noqa: B018 - the grid search, whatever the number of points
    x, y = project(lon, lat, net.crs)
    before, lowest = _strtree(segs, x, y)
    placed = place(net, lon, lat)
    assert np.array_equal(placed.segment, lowest)
    # shapely against every segment: every fourth random point, all the others
    some = np.concatenate([np.arange(0, 3000, 4), np.arange(3000, len(x))])
    brute = _brute(segs, x[some], y[some])
    assert np.array_equal(placed.segment[some], np.argmin(brute, axis=1))
    assert np.allclose(placed.distance_m[some], brute.min(axis=1), rtol=0, atol=1e-6)
    # where the old placement chose another segment, it was a tie at a shared node: the same
    # foot, reached through that node at no cost
    moved = placed.segment != before
    assert moved.sum() > 0 and moved[:3000].mean() < 0.05
    old = _placement_on(net, segs, before, x, y)
    assert np.allclose(placed.distance_m[moved], old["distance"][moved], rtol=0, atol=1e-9)
    foot = np.where(placed.t[moved] == 0.0, segs.a[placed.segment[moved]],
                    segs.b[placed.segment[moved]])
    assert np.all((placed.t[moved] == 0.0) | (placed.t[moved] == 1.0))
    assert np.array_equal(foot, old["node"][moved])


def _placement_on(net, segs, seg, x, y) -> dict:
    """The foot's distance and node (-1 when inside the segment) on the given segments."""
    a, b = segs.a[seg], segs.b[seg]
    ax, ay, bx, by = net.x[a], net.y[a], net.x[b], net.y[b]
    dx, dy = bx - ax, by - ay
    t = np.clip(((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy), 0, 1)
    length = np.hypot(dx, dy)
    node = np.where(t * length < 1e-3, a, np.where((1 - t) * length < 1e-3, b, -1))
    t = np.where(node == a, 0.0, np.where(node == b, 1.0, t))
    return {"distance": np.hypot(x - ax - t * dx, y - ay - t * dy), "node": node}


def test_grid_lists_every_segment_in_the_cells_it_crosses():
    # one long diagonal street among short ones: a point beside its middle finds it
    ax = np.array([0.0, 0.0, 10.0, 990.0])
    ay = np.array([0.0, 1000.0, 0.0, 0.0])
    bx = np.array([1000.0, 5.0, 12.0, 1000.0])
    by = np.array([1000.0, 1000.0, 3.0, 2.0])
    segs = _segments_of(ax, ay, bx, by)
    assert segs.grid.nx * segs.grid.ny <= 2 * len(ax) + 1
    assert nearest_segments(segs, np.array([503.0]), np.array([497.0])).tolist() == [0]


@hsettings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_one_point_measured_against_every_segment_finds_the_grids_segment(seed):
    """A process without the grid (one command-line lookup) scans every segment: the same
    segment as the grid search, ties (points on shared nodes) to the lowest index."""
    rng = np.random.default_rng(seed)
    ax, ay = rng.integers(0, 40, 60).astype(float), rng.integers(0, 40, 60).astype(float)
    bx, by = ax + rng.integers(-5, 6, 60), ay + rng.integers(-5, 6, 60)
    segs = _segments_of(ax, ay, bx, by)
    px, py = rng.integers(-5, 45, 40).astype(float), rng.uniform(-5, 45, 40)
    grid = nearest_segments(segs, px, py)
    assert [_nearest_by_scan(segs, x, y) for x, y in zip(px, py, strict=True)] == list(grid)


def test_place_point_is_the_same_with_and_without_the_grid(walk_net):
    fresh = segments(walk_net)
    lon, lat = random_points(walk_net, 200, seed=3)
    lon, lat = np.r_[lon, walk_net.lon[:100]], np.r_[lat, walk_net.lat[:100]]  # on nodes: ties
    if fresh.has_grid():
        del fresh.__dict__["grid"]
    scanned = [place_point(walk_net, x, y) for x, y in zip(lon, lat, strict=True)]
    assert not fresh.has_grid()
    fresh.grid  # noqa: B018 - builds the grid, as a server's warm-up does
    searched = [place_point(walk_net, x, y) for x, y in zip(lon, lat, strict=True)]
    assert scanned == searched
