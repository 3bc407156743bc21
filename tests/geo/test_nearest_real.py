"""The engine on the real Helsinki extract, against networkx on the same graph."""

import pytest

from geo.nearest import StationFinder
from geo.synthetic import random_points
from tests.reference import networkx_nearest


@pytest.mark.parametrize("mode", ["walk", "drive"])
@pytest.mark.parametrize("filters", [
    dict(k=3),
    dict(k=3, services=["toilet"], open_at="2026-11-28T04:00", open_only=True),
    dict(k=2, kinds=["driver_home"]),
], ids=str)
def test_helsinki_nearest_equals_networkx(demo, demo_stations, mode, filters):
    finder = StationFinder(demo.network(mode), demo_stations)
    lon, lat = random_points(finder.network, 8, seed=5, jitter_deg=0.0002)
    for x, y in zip(lon.tolist(), lat.tolist()):
        hits = finder.nearest(x, y, **filters)
        expected = networkx_nearest(finder, x, y, **filters)
        assert [h.distance_m for h in hits] == pytest.approx([d for d, _ in expected], abs=1e-6)


def test_sanitation_gap_at_four_in_the_morning(demo, demo_stations):
    """Office-hours hosts are closed at 04:00, when sanitation shifts start."""
    finder = StationFinder(demo.network("walk"), demo_stations)
    day = finder.nearest_table(["sanitation_station", "outdoor_rest_point"])
    night = finder.nearest_table(["sanitation_station", "outdoor_rest_point"],
                                 open_at="2026-11-27T04:00", open_only=True)
    assert (night.distance_m > day.distance_m + 1).sum() > 100
