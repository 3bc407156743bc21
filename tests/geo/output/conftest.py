"""A small generated city with stations and workers, analysed once for the output tests."""

import numpy as np
import pandas as pd
import pytest

from geo.synthetic import city_network, random_points, random_stations
from geo.workflow import run_coverage, run_plan


@pytest.fixture(scope="package")
def city():
    nets = {m: city_network(900, mode=m, seed=8) for m in ("walk", "ebike", "drive")}
    stations = random_stations(nets["walk"], 6, seed=9)
    lon, lat = random_points(nets["walk"], 60, seed=30, jitter_deg=0.0003)
    demand = pd.DataFrame({"lon": lon, "lat": lat, "weight": (np.arange(60) % 5) + 1.0,
                           "group": "sanitation_worker"})
    return nets, stations, demand


@pytest.fixture(scope="package")
def analysed(city):
    nets, stations, demand = city
    return run_coverage(nets, stations, demand, minutes=3, by_hour=True)


@pytest.fixture(scope="package")
def planned(city):
    nets, stations, demand = city
    return run_plan(nets, stations, demand, kind="sanitation_station", minutes=3, add=2)
