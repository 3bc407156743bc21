"""The OpenAPI document (app.openapi): what each operation takes and answers, the rules the
parameters keep together, the answers that say how long to wait, and the 422 off the network."""

from __future__ import annotations

import pytest

from app.openapi import ERRORS, RETRY_AFTER


@pytest.fixture(scope="module")
def spec(app):
    return app.test_client().get("/api/openapi.json").get_json()


def answers(spec, path, method="get"):
    return spec["paths"][path][method]["responses"]


@pytest.mark.parametrize("path, method, rule", [
    ("/api/nearest", "get", "`open_at` together with `open_now`"),
    ("/api/stations", "get", "west ≥ east or south ≥ north"),
    ("/api/reports", "post", "`lon` without `lat`"),
    ("/api/plan", "post", "both `add` and `target`, or neither"),
    ("/api/stations/{station_id}", "patch", "ids do not change"),
])
def test_the_400_lists_the_rules_between_parameters(spec, path, method, rule):
    text = answers(spec, path, method)["400"]["description"]
    assert text.startswith(ERRORS[400]) and rule in text


def test_a_400_without_rules_says_only_the_bad_parameter(spec):
    assert answers(spec, "/api/coverage")["400"]["description"] == ERRORS[400]


def test_lon_and_lat_of_a_report_depend_on_each_other(spec):
    body = spec["components"]["schemas"]["ReportBody"]
    assert body["dependentRequired"] == {"lon": ["lat"], "lat": ["lon"]}


def test_open_at_and_open_now_say_they_exclude_each_other(spec):
    params = {p["name"]: p for p in spec["paths"]["/api/nearest"]["get"]["parameters"]}
    assert "Not together with `open_now`" in params["open_at"]["description"]
    assert "Not together with `open_at`" in params["open_now"]["description"]
    assert params["open_at"]["schema"]["format"] == "date-time"
    assert "" in params["open_now"]["schema"]["enum"]  # empty is off
    assert "" in params["mode"]["schema"]["enum"]  # empty: the default


def test_waits_are_documented_with_retry_after_of_at_least_one_second(spec):
    assert RETRY_AFTER["schema"]["minimum"] == 1
    for path, method, status in [("/api/reports", "post", "429"), ("/api/coverage", "get", "429"),
                                 ("/api/coverage", "get", "503"), ("/api/plan", "post", "503")]:
        assert answers(spec, path, method)[status]["headers"] == {"Retry-After": RETRY_AFTER}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            for status, answer in operation["responses"].items():
                if status.startswith("2"):
                    assert "Retry-After" not in answer.get("headers", {}), (path, method)


def test_off_the_network_is_a_documented_422(spec):
    answer = answers(spec, "/api/nearest")["422"]
    assert answer["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/OffNetwork"}


def test_every_path_parameter_and_planner_operation_is_documented(spec):
    history = spec["paths"]["/api/stations/{station_id}/history"]["get"]
    assert {"401", "404", "400"} <= set(history["responses"])
    assert history["parameters"][0] == {"name": "station_id", "in": "path", "required": True,
                                        "schema": {"type": "string", "minLength": 1}}
