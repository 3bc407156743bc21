"""Fixtures and small helpers of the web app's tests: apps on the demo region, signed-in
clients, and the assertions many test modules make (an error answer, a page's config)."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest
from click.testing import CliRunner

from app import create_app

#: The planner account the tests sign in with.
PLANNER, PASSWORD = "li.ming", "planner-password"
#: lon, lat: central Helsinki, on every demo network.
CENTRE = (24.9440, 60.1705)
#: Markup that must never reach a page unescaped.
XSS = "<img src=x onerror=alert(1)>"


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


def signed_in(app):
    """A client of ``app`` signed in as :data:`PLANNER` (the account is made there first when
    ``app`` has none)."""
    if not app.extensions["accounts"].users():
        add_account(app)
    return sign_in(app)


def assert_error(response, status: int, parameter: str | None = None) -> dict:
    """The JSON error answer ``{"error", "parameter"}`` of ``status``, naming ``parameter``."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    body = response.get_json()
    assert isinstance(body["error"], str) and body["error"]
    if parameter is not None:
        assert body["parameter"] == parameter, body
    return body


def page_config(html: str) -> dict:
    """The config a page hands its scripts (the JSON block ``#config``)."""
    found = re.search(r'<script type="application/json" id="config">(.*?)</script>', html,
                      re.DOTALL)
    assert found, "the page has no config"
    return json.loads(found.group(1))


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
