"""From errors to JSON answers (app.handlers): each error of the hierarchy gets its status and
parameter, and an answer that asks to wait says so in whole seconds, at least 1."""

from __future__ import annotations

import pytest
from flask import Flask

from app.errors import DemandFileError, JSONDepthError, PlannerBusy, VersionRequired
from app.handlers import error_response, retry_after, yizhan_error
from geo.errors import (
    ConflictError,
    InputError,
    NetworkError,
    NotFoundError,
    OffNetworkError,
    Problem,
    YizhanError,
)


@pytest.fixture
def context():
    with Flask(__name__).test_request_context("/api/x"):
        yield


@pytest.mark.parametrize("error, status, parameter", [
    (InputError("bad k", parameter="k"), 400, "k"),
    (JSONDepthError(32), 400, "body"),
    (NotFoundError("none"), 404, None),
    (OffNetworkError("far", distance_m=1234.56), 422, "lat"),
    (NetworkError("no walk"), 400, "mode"),
    (ConflictError("taken", parameter="id"), 409, "id"),
    (VersionRequired("which version?"), 428, "If-Match"),
    (PlannerBusy("busy"), 503, None),
    (YizhanError("anything else"), 400, None),
])
def test_each_error_has_its_status_and_parameter(context, error, status, parameter):
    response = yizhan_error(error)
    assert response.status_code == status
    assert response.get_json()["parameter"] == parameter
    assert response.get_json()["error"] == str(error)
    assert ("Retry-After" in response.headers) == (status == 503)


def test_off_the_network_says_how_far_and_a_bad_demand_file_its_problems(context):
    assert yizhan_error(OffNetworkError("far", distance_m=1234.56)).get_json()[
        "distance_m"] == 1234.6
    problems = [Problem("demand.csv", 3, "lon", "not a number")] * 60
    body = yizhan_error(DemandFileError(problems)).get_json()
    assert body["parameter"] == "demand" and len(body["problems"]) == 50


@pytest.mark.parametrize("seconds, header", [(0, "1"), (0.2, "1"), (1, "1"), (4.01, "5"),
                                             (30, "30")])
def test_retry_after_is_whole_seconds_and_at_least_one(context, seconds, header):
    assert retry_after(error_response("wait", 429), seconds).headers["Retry-After"] == header


def test_a_damaged_database_during_a_request_is_a_503_without_its_path():
    from app.handlers import register_error_handlers
    from geo.errors import DatabaseDamaged

    app = Flask(__name__)
    register_error_handlers(app)

    @app.get("/api/damaged")
    def damaged():
        raise DatabaseDamaged("/srv/yizhan/registry.sqlite", "file is not a database")

    answer = app.test_client().get("/api/damaged")
    assert answer.status_code == 503 and int(answer.headers["Retry-After"]) >= 1
    assert "registry.sqlite" not in answer.get_data(as_text=True)
