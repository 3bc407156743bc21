"""The OpenAPI 3.1 description of the JSON API, served at ``/api/openapi.json``."""

from __future__ import annotations

from geo import settings
from geo.network import MODES
from geo.reports import MAX_TEXT, REPORT_KINDS
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
            "Session": {"type": "object", "properties": {
                "planner": {"type": "boolean"}, "enabled": {"type": "boolean"}}},
        }},
    }
