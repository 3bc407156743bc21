"""The OpenAPI 3.1 description of the JSON API, served at ``/api/openapi.json``."""

from __future__ import annotations

from geo import settings
from geo.groups import DEFAULT_GROUPS
from geo.network import MODES
from geo.output.plan import PROPOSAL_FORMATS
from geo.feedback import MAX_TEXT, REPORT_KINDS
from geo.stations import ACCESS, KINDS, SERVICES


def _query(name: str, description: str, schema: dict, *, required: bool = False,
           repeat: bool = False) -> dict:
    if repeat:
        schema = {"type": "array", "items": schema}
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": schema, **({"explode": True} if repeat else {})}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERRORS = {
    "400": _json(_ref("Error"), "A bad parameter or body field, named in `parameter`."),
}
_PLANNER = {"401": _json(_ref("Error"), "Not signed in as a planner (POST /api/login)."),
            **_ERRORS}
_NOT_FOUND = {"404": _json(_ref("Error"), "No station with that id.")}
_ID = {"name": "station_id", "in": "path", "required": True, "schema": {"type": "string"}}

_KIND = {"type": "string", "enum": list(KINDS),
         "description": "Station kind: " + ", ".join(f"{k} ({zh}, {en})"
                                                     for k, (zh, en) in KINDS.items())
         + ". Chinese names such as 司机之家 are accepted too; comma-separated values work."}
_SERVICE = {"type": "string", "enum": list(SERVICES),
            "description": "Service id; Chinese names such as 厕所 are accepted too."}
_OPEN_AT = {"type": "string", "format": "date-time",
            "description": "ISO 8601; without an offset, the station's zone (Asia/Shanghai)."}
_GROUP = {"type": "string", "enum": list(DEFAULT_GROUPS),
          "description": "Worker group: " + ", ".join(f"{g} ({grp.zh}; {grp.mode}, "
                                                      f"{grp.budget_min:g} min)"
                                                      for g, grp in DEFAULT_GROUPS.items())
          + ". Chinese names such as 环卫工人 are accepted too; comma-separated values work."}
_MINUTES = {"type": "number", "exclusiveMinimum": 0, "maximum": 120,
            "description": "One travel budget in minutes for every group, instead of each "
                           "group's own."}
_DEMAND_ERRORS = {
    "404": _json(_ref("Error"), "The server has no worker demand file (DATA_DIR/demand.csv or "
                                "YIZHAN_DEMAND)."),
    "409": _json({"allOf": [_ref("Error"), {"type": "object", "properties": {
        "problems": {"type": "array", "items": {"type": "object"}}}}]},
        "The server's demand file has problems (file, row, column each)."),
}


def _group_summary() -> dict:
    share = {"type": "number", "minimum": 0, "maximum": 1}
    return {"type": "object", "description": "Per worker group id.", "additionalProperties": {
        "type": "object", "properties": {
            "zh": {"type": "string"}, "en": {"type": "string"},
            "mode": {"type": "string", "enum": list(MODES)},
            "budget": {"type": "number", "description": "Minutes."},
            "total": {"type": "number", "description": "Workers."},
            "covered": {"type": "number"}, "uncovered": {"type": "number"},
            "share": share,
            "off_network": {"type": "number", "description": "Workers farther than "
                            f"{settings.max_snap_m:.0f} m from the network (uncovered)."},
            "by_hour": {"type": "array", "items": share, "minItems": 24, "maxItems": 24,
                        "description": "Share covered at half past each hour of the day, "
                                       "counting only the stations open then."},
            "shift_hours": {"type": "array", "items": {"type": "integer"}}}}}


def _plan_body() -> dict:
    return {"type": "object", "required": ["kind"], "additionalProperties": False, "properties": {
        "kind": {"type": "string", "description": "Kind of the new stations: "
                                                  + _KIND["description"]},
        "add": {"type": "integer", "minimum": 1, "maximum": 50,
                "description": "How many new stations (maximal covering). Give this or "
                               "`target`."},
        "target": {"type": "number", "exclusiveMinimum": 0, "maximum": 1,
                   "description": "The share of the chosen groups' workers (together) to "
                                  "reach with the fewest new stations (set covering)."},
        "minutes": _MINUTES,
        "group": {"oneOf": [{"type": "array", "items": _GROUP}, _GROUP],
                  "description": "Only these groups (default: every group that uses `kind`)."},
        "curve": {"type": "integer", "minimum": 1, "maximum": 20,
                  "description": "Also the best share with 1 … curve new stations."}}}


def spec() -> dict:
    """The OpenAPI document (a plain dict)."""
    station_props = {
        "id": {"type": "string"}, "name": {"type": "string"}, "kind": _KIND,
        "address": {"type": "string"},
        "services": {"type": "array", "items": _SERVICE},
        "hours": {"type": "string", "description": "OpenStreetMap opening_hours syntax; '' when "
                                                   "unknown."},
        "capacity": {"type": ["integer", "null"]},
        "access": {"type": "string", "enum": list(ACCESS)},
        "phone": {"type": "string"}, "operator": {"type": "string"},
        "notes": {"type": "string", "description": "Demo stations say 演示数据 demo data."},
        "timezone": {"type": "string"},
        "open": {"type": ["boolean", "null"], "description": "Open now (or at open_at); null "
                                                             "when the hours are unknown."},
        "links": _ref("Links"),
    }
    body_props = {k: v for k, v in station_props.items()
                  if k not in ("open", "links", "timezone")}
    body_props |= {"lon": {"type": "number", "minimum": -180, "maximum": 180},
                   "lat": {"type": "number", "minimum": -90, "maximum": 90},
                   "services": {"oneOf": [{"type": "array", "items": {"type": "string"}},
                                          {"type": "string"}]},
                   "kind": {"type": "string", "description": _KIND["description"]}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "yizhan (驿站) API",
            "version": "1",
            "description": (
                "Rest stations for outdoor workers: 司机之家 driver homes, 环卫工人爱心驿站 "
                "sanitation worker stations and 户外劳动者服务站点 outdoor worker rest points. "
                "Coordinates are WGS-84 (EPSG:4326) degrees; distances metres; durations "
                "seconds. Errors are JSON {error, parameter} with a 4xx status."),
        },
        "paths": {
            "/api/stations": {
                "get": {
                    "summary": "Stations as GeoJSON",
                    "parameters": [
                        _query("kind", "Only these kinds (repeatable).", _KIND, repeat=True),
                        _query("service", "Only stations offering all of these (repeatable).",
                               _SERVICE, repeat=True),
                        _query("open_at", "Only stations open at this time.", _OPEN_AT),
                        _query("bbox", "west,south,east,north in degrees.",
                               {"type": "string", "example": "24.93,60.16,24.96,60.18"}),
                    ],
                    "responses": {"200": _json(_ref("FeatureCollection"), "The stations."),
                                  **_ERRORS},
                },
                "post": {
                    "summary": "Add a station (planners only)",
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": {"type": "object", "properties": body_props,
                                   "required": ["name", "kind", "lon", "lat"],
                                   "additionalProperties": False}}}},
                    "responses": {"201": _json(_ref("Feature"), "The new station."),
                                  "409": _json(_ref("Error"), "The id exists."), **_PLANNER},
                },
            },
            "/api/stations/{station_id}": {
                "parameters": [_ID],
                "get": {"summary": "One station",
                        "responses": {"200": _json(_ref("Feature"), "The station."),
                                      **_NOT_FOUND}},
                "patch": {
                    "summary": "Edit or move a station (planners only)",
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": {"type": "object", "properties": body_props,
                                   "additionalProperties": False}}}},
                    "responses": {"200": _json(_ref("Feature"), "The station as changed."),
                                  **_NOT_FOUND, **_PLANNER},
                },
                "delete": {
                    "summary": "Close a station: a soft delete kept in the history (planners "
                               "only)",
                    "responses": {"200": _json({"type": "object", "properties": {
                        "deleted": {"type": "string"}}}, "Closed."), **_NOT_FOUND, **_PLANNER},
                },
            },
            "/api/stations/{station_id}/history": {
                "parameters": [_ID],
                "get": {
                    "summary": "Every change to a station, oldest first (planners only)",
                    "responses": {"200": _json({"type": "object", "properties": {
                        "station_id": {"type": "string"},
                        "history": {"type": "array", "items": {"type": "object", "properties": {
                            "station_id": {"type": "string"},
                            "at": {"type": "string", "format": "date-time"},
                            "action": {"enum": ["create", "update", "delete", "restore"]},
                            "source": {"type": "string"},
                            "before": {"type": ["object", "null"]},
                            "after": {"type": ["object", "null"]}}}}}}, "The history."),
                        **_NOT_FOUND, **_PLANNER},
                },
            },
            "/api/nearest": {
                "get": {
                    "summary": "The k nearest stations by network distance",
                    "description": "Filters apply before the k are counted. A point farther "
                                   f"than {settings.max_snap_m:.0f} m from the network is off "
                                   "network: 422.",
                    "parameters": [
                        _query("lat", "Latitude, degrees.", {"type": "number", "minimum": -90,
                                                             "maximum": 90}, required=True),
                        _query("lon", "Longitude, degrees.", {"type": "number", "minimum": -180,
                                                              "maximum": 180}, required=True),
                        _query("mode", "Travel mode (default walk, when the server has it).",
                               {"type": "string", "enum": list(MODES)}),
                        _query("kind", "Only these kinds (repeatable).", _KIND, repeat=True),
                        _query("service", "Only stations offering all of these (repeatable).",
                               _SERVICE, repeat=True),
                        _query("open_at", "Only stations open at this time.", _OPEN_AT),
                        _query("open_now", "Only stations open now.",
                               {"type": "string", "enum": ["1", "0", "true", "false"]}),
                        _query("k", "How many stations.", {"type": "integer", "minimum": 1,
                                                           "maximum": settings.max_k,
                                                           "default": settings.default_k}),
                        _query("route", "Include each route as a GeoJSON LineString.",
                               {"type": "string", "enum": ["1", "0", "true", "false"]}),
                    ],
                    "responses": {
                        "200": _json(_ref("Nearest"), "Up to k stations, nearest first."),
                        "422": _json({"allOf": [_ref("Error"), {"type": "object", "properties": {
                            "distance_m": {"type": "number"}}}]},
                            "The point is off the network (distance_m from it)."),
                        **_ERRORS},
                },
            },
            "/api/networks": {
                "get": {"summary": "The travel modes this server has",
                        "responses": {"200": _json({"type": "object", "properties": {
                            "networks": {"type": "array", "items": {"type": "object"}}}},
                            "Modes with nodes, edges, source and bounds.")}},
            },
            "/api/networks/{mode}/lines": {
                "parameters": [{"name": "mode", "in": "path", "required": True,
                                "schema": {"type": "string", "enum": list(MODES)}}],
                "get": {"summary": "The streets of a network as a simplified GeoJSON "
                                   "MultiLineString (a basemap that needs no tiles)",
                        "responses": {"200": {"description": "A GeoJSON Feature.", "content": {
                            "application/geo+json": {"schema": _ref("Feature")}}},
                            "404": _json(_ref("Error"), "No such network here.")}},
            },
            "/api/reports": {
                "post": {
                    "summary": "Report a problem with a station",
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": {"type": "object", "required": ["station_id", "kind"],
                                   "additionalProperties": False, "properties": {
                                       "station_id": {"type": "string"},
                                       "kind": {"type": "string", "enum": list(REPORT_KINDS)},
                                       "text": {"type": "string", "maxLength": MAX_TEXT},
                                       "lon": {"type": "number"}, "lat": {"type": "number"}}}}}},
                    "responses": {"201": _json(_ref("Report"), "Stored."), **_ERRORS},
                },
                "get": {
                    "summary": "Problem reports, newest first (planners only)",
                    "parameters": [_query("station_id", "Only this station's.",
                                          {"type": "string"}),
                                   _query("limit", "At most this many.",
                                          {"type": "integer", "minimum": 1, "maximum": 5000})],
                    "responses": {"200": _json({"type": "object", "properties": {
                        "reports": {"type": "array", "items": _ref("Report")}}}, "Reports."),
                        **_PLANNER},
                },
            },
            "/api/login": {
                "post": {
                    "summary": "Planner sign-in; sets a session cookie",
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": {"type": "object", "required": ["password"], "properties": {
                            "password": {"type": "string"}}}}}},
                    "responses": {"200": _json(_ref("Session"), "Signed in."),
                                  "401": _json(_ref("Error"), "Wrong password."),
                                  "403": _json(_ref("Error"), "Sign-in is disabled."),
                                  "429": _json(_ref("Error"), "Too many failed sign-ins."),
                                  **_ERRORS},
                },
            },
            "/api/logout": {
                "post": {"summary": "Sign out",
                         "responses": {"200": _json(_ref("Session"), "Signed out.")}},
            },
            "/api/session": {
                "get": {"summary": "Whether sign-in is enabled and this session signed in",
                        "responses": {"200": _json(_ref("Session"), "The state.")}},
            },
            "/api/coverage": {
                "get": {
                    "summary": "Covered workers per group, H3 cells and gap areas",
                    "description": (
                        "geo.coverage.coverage on the server's networks, stations and worker "
                        "demand file: a worker is covered when a station of a kind their group "
                        "uses is within the group's travel budget on the group's network (and, "
                        "with `at`, open then). Every demand point is measured where it is; "
                        "`cells` pools them into H3 cells. Kept per registry version, so "
                        "repeated calls are fast."),
                    "parameters": [
                        _query("group", "Only these groups (repeatable).", _GROUP, repeat=True),
                        _query("at", "Count only the stations open at this time: HH:MM today "
                                     "(Asia/Shanghai) or an ISO time; `by_hour` is for that "
                                     "day.", {"type": "string", "example": "04:30"}),
                        _query("minutes", "One travel budget for every group.", _MINUTES),
                        _query("h3_res", "H3 resolution of the cells and gap areas.",
                               {"type": "integer", "minimum": 5, "maximum": 11,
                                "default": settings.h3_res}),
                    ],
                    "responses": {
                        "200": _json({"type": "object", "properties": {
                            "unit": {"const": "minutes"},
                            "budgets": {"type": "object", "additionalProperties": {
                                "type": "number"}},
                            "at": {"type": ["string", "null"], "format": "date-time"},
                            "day": {"type": "string", "format": "date"},
                            "h3_res": {"type": "integer"},
                            "version": {"type": "array", "items": {"type": "integer"},
                                        "description": "The station registry version."},
                            "stations": {"type": "integer"},
                            "groups": _group_summary(),
                            "skipped": {"type": "object", "description": "Groups in the demand "
                                        "that this server has no network for, with why."},
                            "cells": {"type": "object", "description": (
                                "A GeoJSON FeatureCollection of H3 cell polygons (EPSG:4326), "
                                "one per cell and group, with properties cell, group, workers, "
                                "covered (workers), share, off_network (workers), travel and "
                                "travel_max (minutes to the nearest station: worker-weighted "
                                "mean and largest; null when none is reachable) and by_hour "
                                "(24 shares).")},
                            "gaps": {"type": "array", "items": _ref("Gap")}}},
                            "Coverage."),
                        **_DEMAND_ERRORS, **_ERRORS},
                },
            },
            "/api/plan": {
                "post": {
                    "summary": "Where new stations should go (a siting run)",
                    "description": (
                        "The flow of `yizhan plan` without --candidates: candidate sites are "
                        "road nodes spread over the uncovered workers of the groups that use "
                        "`kind` (geo.siting.planning.gap_candidates), the existing stations are kept, "
                        "and geo.siting.planning.plan solves maximal covering (`add`) or set covering "
                        "(`target`) exactly with HiGHS within the server's time limit (10 s by "
                        "default). Anyone may run it: it changes nothing. At most two runs "
                        "compute at once per process (else 503)."),
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": _plan_body()}}},
                    "responses": {
                        "200": _json({"type": "object", "properties": {
                            "model": {"enum": ["max_coverage", "set_covering"]},
                            "kind": _KIND,
                            "sites": {"type": "array", "items": {"type": "object", "properties": {
                                "rank": {"type": "integer"}, "id": {"type": "string"},
                                "name": {"type": "string"}, "lon": {"type": "number"},
                                "lat": {"type": "number"}, "source": {"type": "string"},
                                "newly_covered": {"type": "number", "description": (
                                    "Workers this site newly covers (each counted at the "
                                    "nearest new site); new_<group> per group.")}}}},
                            "before": {"type": "object", "description": "Share covered per "
                                       "group before (existing stations)."},
                            "after": {"type": "object", "description": "Share covered per group "
                                      "with the new sites."},
                            "totals": {"type": "object", "description": "Workers per group."},
                            "optimal": {"type": "boolean"},
                            "gap": {"type": "number", "description": "Relative optimality gap "
                                                                     "(0 when optimal)."},
                            "method": {"type": "string"},
                            "curve": {"type": ["array", "null"], "items": {"type": "object"}},
                            "groups": {"type": "array", "items": _GROUP},
                            "budgets": {"type": "object"}, "candidates": {"type": "integer"},
                            "elapsed_s": {"type": "number"},
                            "note": {"type": "string", "description": "Present when no "
                                     "candidate is left (everyone reachable is covered)."},
                            "downloads": {"type": ["object", "null"], "description": (
                                "URLs of the proposal as geojson, csv and xlsx (GET "
                                "/api/plan/proposal.{fmt}).")}}}, "The proposal."),
                        "503": _json(_ref("Error"), "Too many siting runs at once; retry."),
                        **_DEMAND_ERRORS, **_ERRORS},
                },
            },
            "/api/plan/proposal.{fmt}": {
                "parameters": [{"name": "fmt", "in": "path", "required": True,
                                "schema": {"type": "string", "enum": list(PROPOSAL_FORMATS)}}],
                "get": {
                    "summary": "A siting run's proposal as a file",
                    "description": (
                        "The parameters of POST /api/plan in the query (as in its `downloads` "
                        "links; `group` repeatable) and `v`, the registry version the plan was "
                        "made at. The run is kept in memory, or run again (the same answer). "
                        "GeoJSON points (EPSG:4326); CSV in UTF-8 with a BOM for Excel; XLSX."),
                    "parameters": [
                        _query("kind", "Kind of the new stations.", _KIND, required=True),
                        _query("add", "How many new stations.", {"type": "integer"}),
                        _query("target", "Share to reach.", {"type": "number"}),
                        _query("minutes", "Travel budget.", _MINUTES),
                        _query("group", "Groups (repeatable).", _GROUP, repeat=True),
                        _query("curve", "As in the run.", {"type": "integer"}),
                        _query("v", "Registry version the plan was made at, e.g. 62-62.",
                               {"type": "string"}),
                    ],
                    "responses": {
                        "200": {"description": "The file (Content-Disposition: attachment).",
                                "content": {"application/geo+json": {}, "text/csv": {},
                                            "application/vnd.openxmlformats-officedocument."
                                            "spreadsheetml.sheet": {}}},
                        "404": _json(_ref("Error"), "No such format."),
                        "409": _json(_ref("Error"), "The stations changed since `v`, or there "
                                                    "is nothing to download."),
                        **_ERRORS},
                },
            },
            "/api/openapi.json": {
                "get": {"summary": "This document",
                        "responses": {"200": {"description": "OpenAPI 3.1"}}},
            },
        },
        "components": {"schemas": {
            "Error": {"type": "object", "required": ["error"], "properties": {
                "error": {"type": "string"}, "parameter": {"type": ["string", "null"]}}},
            "Links": {"type": "object", "description": "Open the station in a map app.",
                      "properties": {
                          "geo": {"type": "string", "description": "geo: URI (WGS-84)."},
                          "amap": {"type": "string", "description": "Amap marker (GCJ-02)."},
                          "baidu": {"type": "string", "description": "Baidu marker (BD-09)."}}},
            "Feature": {"type": "object", "properties": {
                "type": {"const": "Feature"}, "id": {"type": "string"},
                "geometry": {"type": "object"},
                "properties": {"type": "object", "properties": station_props}}},
            "FeatureCollection": {"type": "object", "properties": {
                "type": {"const": "FeatureCollection"},
                "features": {"type": "array", "items": _ref("Feature")}}},
            "Nearest": {"type": "object", "properties": {
                "mode": {"type": "string", "enum": list(MODES)},
                "results": {"type": "array", "items": {"type": "object", "properties": {
                    "rank": {"type": "integer"}, "id": {"type": "string"},
                    "name": {"type": "string"}, "kind": _KIND,
                    "distance_m": {"type": "number"}, "duration_s": {"type": "number"},
                    "lon": {"type": "number"}, "lat": {"type": "number"},
                    "open": {"type": ["boolean", "null"]},
                    "services": {"type": "array", "items": _SERVICE},
                    "hours": {"type": "string"}, "address": {"type": "string"},
                    "phone": {"type": "string"}, "capacity": {"type": ["integer", "null"]},
                    "links": _ref("Links"),
                    "route": {"type": "object", "description": "GeoJSON LineString from the "
                                                               "point to the station."}}}},
                "snapped": {"type": "object", "properties": {
                    "lon": {"type": "number"}, "lat": {"type": "number"},
                    "distance_m": {"type": "number"}}}}},
            "Report": {"type": "object", "properties": {
                "id": {"type": "integer"}, "station_id": {"type": "string"},
                "kind": {"type": "string", "enum": list(REPORT_KINDS)},
                "text": {"type": "string"}, "lon": {"type": ["number", "null"]},
                "lat": {"type": ["number", "null"]},
                "created_at": {"type": "string", "format": "date-time"}}},
            "Gap": {"type": "object", "description": "A gap area: neighbouring H3 cells of "
                    "uncovered workers, ranked by workers.", "properties": {
                "rank": {"type": "integer"}, "workers": {"type": "number"},
                "by_group": {"type": "object", "additionalProperties": {"type": "number"}},
                "cells": {"type": "integer"},
                "lon": {"type": "number"}, "lat": {"type": "number"},
                "nearest": {"type": "object", "description": "Per group, minutes from the "
                            "area's centre (on the road) to the nearest station it uses."},
                "polygon": {"type": "object", "description": "GeoJSON (EPSG:4326)."}}},
            "Session": {"type": "object", "properties": {
                "planner": {"type": "boolean"}, "enabled": {"type": "boolean"}}},
        }},
    }
