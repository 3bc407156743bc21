import sqlite3

import pytest
from click.testing import CliRunner

from app import create_app

#: The planner account the tests sign in with.
PLANNER, PASSWORD = "li.ming", "planner-password"


@pytest.fixture(scope="module")
def app(demo):
    """The web app on the session demo region (for read-only tests)."""
    return create_app({"TESTING": True, "DATA_DIR": demo.data_dir})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def db_url(tmp_path):
    return f"sqlite:///{tmp_path / 'cli.sqlite'}"


def copy_db(demo, tmp_path) -> str:
    """A private copy of the demo registry, so that writes leave the session demo alone."""
    target = tmp_path / "yizhan.sqlite"
    with sqlite3.connect(demo.data_dir / "yizhan.sqlite") as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return f"sqlite:///{target}"


def add_account(app, name: str = PLANNER, *, role: str = "planner", password: str = PASSWORD):
    """An account in ``app``'s registry database."""
    return app.extensions["accounts"].add(name, password, role=role)


def client_at(app, address: str):
    """A test client of ``app`` whose requests come from ``address``."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def sign_in(app, name: str = PLANNER, password: str = PASSWORD, *, address: str = "127.0.0.1"):
    """A test client of ``app`` signed in as ``name`` (from ``address``)."""
    client = client_at(app, address)
    response = client.post("/api/login", json={"user": name, "password": password})
    assert response.status_code == 200, response.get_json()
    return client


def own_app(demo, folder, *, role: str = "planner", **config):
    """An app on its own copy of the demo registry (in ``folder``) with one account,
    :data:`PLANNER` of ``role``; ``config`` adds to or overrides the app's settings."""
    app = create_app({"TESTING": True, "DATA_DIR": demo.data_dir,
                      "DB_URL": copy_db(demo, folder), "SECRET_KEY": "test",
                      "REGISTRY_CHECK_INTERVAL": 0.0, **config})
    add_account(app, role=role)
    return app


@pytest.fixture
def writable(demo, tmp_path):
    """An app with its own copy of the registry and one planner account, :data:`PLANNER`."""
    app = own_app(demo, tmp_path)
    yield app
    app.extensions["yizhan"].registry.engine.dispose()


@pytest.fixture
def planner(writable):
    """A client of :func:`writable` signed in as the planner."""
    return sign_in(writable)
