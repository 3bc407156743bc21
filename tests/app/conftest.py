import pytest
from click.testing import CliRunner

from app import create_app


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
