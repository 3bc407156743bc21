"""The API keeps its contract: /api/openapi.json, generated from the request and answer models,
describes every answer the app gives.

schemathesis generates requests from the document for every operation, anonymous and signed in
as a planner, against an app on a private copy of the demo registry (the writes stay there), and
runs every check it has on each answer (``st run --checks all``): no server error, a documented
status, content type, headers (Retry-After at least 1) and body, requests outside the schema
refused and requests inside it accepted. Bounded and derandomized, so a run is repeatable and
short.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter

import jsonschema
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, strategies
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from app import schemas
from tests.app.conftest import own_app, sign_in

EXAMPLES = 10  # per operation and generation mode, signed in
#: The same, signed out: planners' operations stop at the sign-in check (401), and the public ones
#: run the same code for a signed-in planner, who gets EXAMPLES of them.
EXAMPLES_SIGNED_OUT = 5

#: Every check, as ``--checks all``; a request that fits the schema may still get the answers the
#: document gives for what JSON Schema cannot say: 400 for a rule between parameters (each 400
#: lists them), for a station id that is no station's or hours that cannot be read; 422 for a
#: point off the road network; 428 for a change without its version (If-Match or `version`).
CONFIG = SchemathesisConfig.from_dict({"checks": {"positive_data_acceptance": {
    "expected-statuses": ["2xx", "3xx", "400", "401", "403", "404", "409", "422", "428",
                          "429"]}}})


@pytest.fixture
def throwaway(demo, tmp_path):
    """An app on its own copy of the registry (its sign-in failures stay there too), with an
    admin account."""
    app = own_app(demo, tmp_path, role="admin", PLAN_TIME_LIMIT=2.0)
    yield app
    app.extensions["yizhan"].registry.engine.dispose()


def planner_cookie(app) -> dict:
    """A signed-in session cookie, from an address of its own (the generated sign-ins fail from
    the test client's and are throttled there)."""
    client = sign_in(app, address="10.0.0.2")
    return {"session": client.get_cookie("session").value}


def run_operations(app, cookies: dict, *, only=None,
                   examples: int = EXAMPLES) -> tuple[list, Counter, list[str]]:
    """Every operation of the document (those ``only(operation)`` takes, when given),
    ``examples`` cases each of valid and of invalid requests: (operations, statuses answered,
    failures). A signed-in run signs in again after each POST /api/logout, which ends the
    session."""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app, config=CONFIG)
    ids = [st.id for st in app.extensions["yizhan"].registry.stations()[:5]]
    operations, statuses, failures = [], Counter(), []
    for result in schema.get_all_operations():
        operation = result.ok()
        if only is not None and not only(operation):
            continue
        operations.append(f"{operation.method.upper()} {operation.path}")
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @hypothesis_settings(max_examples=examples, derandomize=True, deadline=None,
                                 database=None, phases=[Phase.explicit, Phase.generate],
                                 suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode),
                   real_id=strategies.sampled_from([None, *ids]))
            def check(case, real_id):
                if real_id is not None and "station_id" in (case.path_parameters or {}):
                    case.path_parameters["station_id"] = real_id  # most random ids are 404
                # the WSGI transport does not inflate gzip as an HTTP client would
                response = case.call(headers={"Accept-Encoding": "identity"}, cookies=cookies)
                deadline = time.monotonic() + 120
                while (response.status_code == 503 and time.monotonic() < deadline
                       and any(k.lower() == "retry-after" for k in response.headers)):
                    # an analysis of a job asked before is computing: a client waits as told
                    time.sleep(0.5)
                    response = case.call(headers={"Accept-Encoding": "identity"},
                                         cookies=cookies)
                statuses[response.status_code] += 1
                if cookies and case.path == "/api/logout":
                    cookies.update(planner_cookie(app))
                case.validate_response(response)  # every check (the config enables them all)

            try:
                check()
            except Unsatisfiable:  # nothing to make invalid (no parameters, or only text)
                assert mode is GenerationMode.NEGATIVE, operations[-1]
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"{operations[-1]} ({mode.value}): {exc}"[:3000])
    return operations, statuses, failures


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "planner"])
def test_every_answer_keeps_the_contract(throwaway, signed_in):
    cookies = planner_cookie(throwaway) if signed_in else {}
    started = time.perf_counter()
    examples = EXAMPLES if signed_in else EXAMPLES_SIGNED_OUT
    operations, statuses, failures = run_operations(throwaway, cookies, examples=examples)
    elapsed = time.perf_counter() - started
    print(f"schemathesis: {len(operations)} operations, {statuses.total()} requests, "
          f"{elapsed:.1f} s; statuses {dict(sorted(statuses.items()))}")
    assert not failures, "\n\n".join(failures)
    spec = throwaway.test_client().get("/api/openapi.json").get_json()
    documented = {f"{method.upper()} {path}" for path, item in spec["paths"].items()
                  for method in item if path != "/api/openapi.json"}  # schemathesis skips its own
    assert set(operations) == documented
    assert statuses.total() >= examples * len(operations) and statuses[200] > 5 * examples
    if signed_in:
        assert statuses[201] > 0  # stations and reports were written


# --- real answers against the generated schema (jsonschema, independent of schemathesis) --------

CENTRE = (24.9440, 60.1705)


def answer_schema(spec: dict, path: str, method: str, status: int) -> dict:
    content = spec["paths"][path][method]["responses"][str(status)]["content"]
    schema = next(iter(content.values()))["schema"]
    return {**schema, "components": spec["components"]}


@pytest.fixture
def planner(throwaway):
    return sign_in(throwaway)


def test_real_answers_validate_against_the_document(planner, demo_stations):
    spec = planner.get("/api/openapi.json").get_json()
    jsonschema.Draft202012Validator.check_schema(answer_schema(spec, "/api/nearest", "get", 200))
    sid = demo_stations[0].id
    lon, lat = CENTRE
    new = {"name": "新驿站", "kind": "环卫驿站", "lon": lon, "lat": lat, "services": "休息、厕所"}
    calls = [
        ("get", "/api/stations", "/api/stations?kind=司机之家,sanitation_station", None, 200),
        ("get", "/api/stations/{station_id}", f"/api/stations/{sid}", None, 200),
        ("get", "/api/nearest", f"/api/nearest?lat={lat}&lon={lon}&route=1&k=5", None, 200),
        ("get", "/api/nearest", "/api/nearest?lat=60&lon=20", None, 422),
        ("get", "/api/nearest", "/api/nearest?lat=x", None, 400),
        ("get", "/api/networks", "/api/networks", None, 200),
        ("get", "/api/coverage", "/api/coverage?minutes=4&at=04:30", None, 200),
        ("post", "/api/plan", "/api/plan", {"kind": "sanitation_station", "add": 2,
                                            "minutes": 4, "curve": 3}, 200),
        ("post", "/api/plan", "/api/plan", {"kind": "outdoor_rest_point", "add": 2,
                                            "group": "delivery_rider"}, 200),
        ("post", "/api/plan", "/api/plan", {"kind": "sanitation_station", "target": 0.95,
                                            "minutes": 4}, 200),
        ("post", "/api/reports", "/api/reports", {"station_id": sid, "kind": "closed",
                                                  "lon": lon, "lat": lat}, 201),
        ("get", "/api/reports", "/api/reports", None, 200),
        ("post", "/api/stations", "/api/stations", new, 201),
        ("patch", "/api/stations/{station_id}", f"/api/stations/{sid}",
         {"capacity": None, "version": 1}, 200),
        ("patch", "/api/stations/{station_id}", f"/api/stations/{sid}",
         {"capacity": 3, "version": 1}, 409),
        ("patch", "/api/stations/{station_id}", f"/api/stations/{sid}", {"capacity": 3}, 428),
        ("get", "/api/stations/{station_id}/history", f"/api/stations/{sid}/history", None, 200),
        ("delete", "/api/stations/{station_id}", f"/api/stations/{sid}", {"version": 2}, 200),
        ("get", "/api/session", "/api/session", None, 200),
        ("get", "/api/users", "/api/users", None, 200),
        ("post", "/api/logout", "/api/logout", {}, 200),
    ]
    for method, path, url, body, status in calls:
        response = getattr(planner, method)(url, json=body)
        assert response.status_code == status, (url, response.get_data(as_text=True))
        validator = jsonschema.Draft202012Validator(
            answer_schema(spec, path, method, status),
            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
        errors = [f"{list(e.absolute_path)}: {e.message}"[:300]
                  for e in validator.iter_errors(json.loads(response.data))]
        assert not errors, (url, errors[:5])


def test_the_plan_answer_documents_its_sites():
    site = schemas.Site.model_json_schema()
    assert {"rank", "id", "name", "lon", "lat", "source", "newly_covered"} <= set(
        site["properties"])
    assert site["additionalProperties"] == {"anyOf": [{"type": "number"}, {"type": "null"}]}


def test_every_answer_model_is_referenced_by_a_path(client):
    spec = client.get("/api/openapi.json").get_json()
    text = json.dumps(spec["paths"])
    for name in ("StationFeature", "StationCollection", "Nearest", "Coverage", "Plan", "Error",
                 "Session", "Report", "OffNetwork", "DemandProblems", "PlanParams",
                 "StationCreate", "StationPatch", "ReportBody"):
        assert f'"#/components/schemas/{name}"' in text, name
    assert not re.search(r'"\$ref": "#/\$defs', json.dumps(spec))
