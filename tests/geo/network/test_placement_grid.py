"""The grid search for the nearest segment (geo.network.placement.nearest_segments) finds what
shapely's STRtree finds, point for point, and what a brute force over all segments finds."""

import numpy as np
import pytest
import shapely
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from geo.coords import project
from geo.network.placement import (
    Segments,
    _grid,
    _to_segment,
    nearest_segments,
    place,
    segments,
)
from geo.synthetic import city_network, random_points


def _segments_of(ax, ay, bx, by) -> Segments:
    n = len(ax)
    none = np.full(n, np.inf)
    ends = np.arange(n, dtype=np.int64)
    return Segments(ends, ends, none, none, none, none, _grid(ax, ay, bx, by))


def _strtree(segs: Segments, x, y) -> np.ndarray:
    """Each point's segment as ``STRtree.query_nearest`` picks it (the placement before the
    grid), ties included."""
    found = segs.tree.query_nearest(shapely.points(x, y), all_matches=False)
    out = np.full(len(x), -1, np.int64)
    out[found[0]] = found[1]
    return out


def _brute(segs: Segments, x, y) -> np.ndarray:
    """Distance from each point to every segment, shapely's own (points × segments)."""
    g = segs.grid
    lines = shapely.linestrings(np.column_stack([g.ax, g.ay, g.bx, g.by]).reshape(-1, 2),
                                indices=np.repeat(np.arange(len(g.ax)), 2))
    return shapely.distance(shapely.points(x, y)[:, None], lines[None, :])


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
    rows = np.arange(len(x))
    assert np.all(distances[rows, got] <= distances.min(axis=1) + 1e-9)
    assert np.array_equal(got, _strtree(segs, x, y))


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
    x, y = project(lon, lat, net.crs)
    expected = _strtree(segs, x, y)
    placed = place(net, lon, lat)
    assert np.array_equal(placed.segment, expected)
    brute = _brute(segs, x, y)
    assert np.allclose(placed.distance_m, brute.min(axis=1), rtol=0, atol=1e-6)


def test_grid_lists_every_segment_in_the_cells_it_crosses():
    # one long diagonal street among short ones: a point beside its middle finds it
    ax = np.array([0.0, 0.0, 10.0, 990.0])
    ay = np.array([0.0, 1000.0, 0.0, 0.0])
    bx = np.array([1000.0, 5.0, 12.0, 1000.0])
    by = np.array([1000.0, 1000.0, 3.0, 2.0])
    segs = _segments_of(ax, ay, bx, by)
    assert segs.grid.nx * segs.grid.ny <= 2 * len(ax) + 1
    assert nearest_segments(segs, np.array([503.0]), np.array([497.0])).tolist() == [0]
