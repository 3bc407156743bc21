"""The request models and their validators (app.schemas): typed values, empty values, the rules
parameters keep together, and the 400 that names the parameter and says what is allowed."""

from __future__ import annotations

import ast
import inspect

import pytest
from werkzeug.datastructures import MultiDict

from app import schemas as s
from geo.errors import InputError

CENTRE = {"lat": "60.1705", "lon": "24.9440"}


def query(model, **args):
    return s.parse_query(model, MultiDict(args))


def refused(model, parameter: str, **args) -> str:
    with pytest.raises(InputError) as caught:
        query(model, **args)
    assert caught.value.parameter == parameter, str(caught.value)
    return str(caught.value)


def defined_names(module) -> set[str]:
    """The public names a module defines at its top level (classes, functions, constants)."""
    tree = ast.parse(inspect.getsource(module))
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return {n for n in names if not n.startswith("_")}


def test_every_name_is_exported_from_the_package():
    from app.schemas import fields, requests, responses, validation

    for module in (fields, requests, responses, validation):
        for name in defined_names(module):
            assert name in s.__all__ and getattr(s, name) is getattr(module, name), name
    assert s.NearestQuery is requests.NearestQuery and s.Plan is responses.Plan


@pytest.mark.parametrize("model, extra", [(s.NearestQuery, CENTRE), (s.StationsQuery, {})])
def test_an_empty_time_is_a_400_naming_it(model, extra):
    message = refused(model, "open_at", open_at="", **extra)
    assert message.startswith("`open_at` was empty but must be")


@pytest.mark.parametrize("model, parameter, default", [
    (s.ReportsQuery, "status", None), (s.ReportsQuery, "limit", s.DEFAULT_REPORTS),
    (s.StationsQuery, "bbox", None), (s.StationsQuery, "kind", None),
    (s.ProposalQuery, "lang", "en"),
])
def test_any_other_empty_value_is_absent(model, parameter, default):
    extra = {"kind": "sanitation_station", "add": "1"} if model is s.ProposalQuery else {}
    assert getattr(query(model, **{**extra, parameter: ""}), parameter) == default


def test_an_empty_open_at_says_what_a_time_looks_like():
    assert "ISO 8601 time such as '2026-11-25T08:30'" in refused(
        s.NearestQuery, "open_at", open_at="", **CENTRE)


@pytest.mark.parametrize("value", ["", "0", "off", "NO"])
def test_a_flag_is_off_when_empty_or_off(value):
    assert not query(s.NearestQuery, open_now=value, **CENTRE).open_now


def test_free_text_may_be_empty():
    assert query(s.ReportsQuery, station_id="").station_id is None
    assert query(s.CoverageQuery, at="").at is None


def test_an_unknown_empty_parameter_is_refused_with_the_known_ones():
    message = refused(s.ReportsQuery, "nope", nope="")
    assert "unknown parameter(s) ['nope']" in message and "'limit'" in message


def test_open_at_and_open_now_are_one_time():
    assert "not both" in refused(s.NearestQuery, "open_now", open_now="1",
                                 open_at="2026-11-25T12:00", **CENTRE)
    both_off = query(s.NearestQuery, open_now="off", open_at="2026-11-25T12:00", **CENTRE)
    assert both_off.open_at is not None and both_off.open_now is False


@pytest.mark.parametrize("bbox, problem", [
    ("1,0,1,1", "west 1 is not less than east 1"), ("0,2,1,1", "south 2 is not less than north 1"),
    ("0,0,200,1", "east 200 is outside -180 to 180"), ("0,0,nan,1", "east nan is outside"),
    ("0,0,1", "must be four numbers"),
])
def test_a_bbox_must_be_a_real_box(bbox, problem):
    assert problem in refused(s.StationsQuery, "bbox", bbox=bbox)


def test_a_bbox_is_read_as_west_south_east_north():
    assert query(s.StationsQuery, bbox="24.9,60.1,25,60.2").bbox == (24.9, 60.1, 25.0, 60.2)


@pytest.mark.parametrize("body, parameter", [
    ({"lon": 24.9}, "lat"), ({"lat": 60.1}, "lon"), ({"lon": None}, "lat"),
    ({"lon": 24.9, "lat": None}, "lat"),
])
def test_a_report_gives_both_lon_and_lat_or_neither(body, parameter):
    with pytest.raises(InputError, match="give both `lon` and `lat`, or neither") as caught:
        s.parse_body(s.ReportBody, {"station_id": "a", "kind": "closed", **body})
    assert caught.value.parameter == parameter


def test_a_report_without_a_place_or_with_both_nulls_is_fine():
    for extra in ({}, {"lon": None, "lat": None}, {"lon": 24.9, "lat": 60.1}):
        body = s.parse_body(s.ReportBody, {"station_id": "a", "kind": "closed", **extra})
        assert (body.lon is None) == (body.lat is None)


@pytest.mark.parametrize("body", [{"kind": "sanitation_station"},
                                  {"kind": "sanitation_station", "add": 2, "target": 0.9}])
def test_a_plan_gives_exactly_one_goal(body):
    with pytest.raises(InputError, match="give exactly one of `add`") as caught:
        s.parse_body(s.PlanParams, body)
    assert caught.value.parameter == "add"


def test_kinds_services_and_groups_take_chinese_names_and_lists():
    parsed = s.parse_query(s.NearestQuery, MultiDict([
        ("kind", "司机之家,sanitation_station"), ("service", "厕所、热水"), *CENTRE.items()]))
    assert parsed.kind == ["driver_home", "sanitation_station"]
    assert "toilet" in parsed.service
    assert s.is_list(s.NearestQuery, "kind") and not s.is_list(s.NearestQuery, "lat")


@pytest.mark.parametrize("schema, words", [
    ({"type": "number", "minimum": -90, "maximum": 90}, "a number from -90 to 90"),
    ({"type": "integer", "minimum": 1, "maximum": 2147483647},
     "a whole number from 1 to 2147483647"),
    ({"anyOf": [{"enum": ["open", "handled"]}, {"type": "null"}]}, "one of ['open', 'handled']"),
    ({"type": "string", "maxLength": 40}, "text of at most 40 characters"),
    ({"type": "string", "format": "date-time"}, "an ISO 8601 time such as '2026-11-25T08:30'"),
])
def test_describe_says_what_a_schema_allows(schema, words):
    assert s.describe(schema) == words


def test_a_number_parameter_says_its_bounds():
    message = refused(s.NearestQuery, "k", k="0", **CENTRE)
    assert "`k` was '0' but must be a whole number from 1 to" in message
