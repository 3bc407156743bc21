"""The OpenAPI 3.1 description of the JSON API, served at ``/api/openapi.json``, generated from
the routes and the pydantic models that check their requests (:mod:`app.schemas`).

Each view of :mod:`app.api` is wrapped by :func:`operation`, which names its query, body and
answer models: the wrapper parses the request with those models and the generator, :func:`spec`,
walks the app's URL map and writes every path from them, with the view's docstring as summary and
description. A bound is therefore written once, in a model, and what the API checks is what the
document says.

Why a generator of our own, about 150 lines, rather than spectree or flask-openapi3: OpenAPI 3.1
schemas *are* JSON Schema 2020-12, which pydantic writes itself
(:func:`pydantic.json_schema.models_json_schema` with ``#/components/schemas/{model}`` refs); what
is left is the paths, a loop over the URL map. flask-openapi3 replaces Flask's blueprint and
view-argument conventions with its own, spectree validates with its own error format (ours is
``{"error", "parameter"}`` naming the parameter as the client spelled it) and reads query lists
its own way (ours take repeated and comma-separated values, with Chinese names); both would be a
dependency for less than this module does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import wraps

from flask import Flask, request
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from app import schemas as s
from app.deployment import choose_region
from app.limits import LIMITED
from geo import settings
from geo.errors import InputError
from geo.network import MODES
from geo.output.plan import PROPOSAL_FORMATS

REF = "#/components/schemas/{model}"
JSON = "application/json"


@dataclass(frozen=True)
class Operation:
    """What one view takes and answers (status -> (model or None, description))."""

    query: type[s.Query] | None = None
    body: type[BaseModel] | None = None
    answers: dict[int, tuple[type[BaseModel] | None, str]] = field(default_factory=dict)
    media: str = JSON
    planner: bool = False
    path: dict[str, dict] = field(default_factory=dict)
    headers: dict[str, dict] = field(default_factory=dict)
    upload: str = ""  # the media type of a body that is a file (not JSON)


def operation(*, query: type[s.Query] | None = None, body: type[BaseModel] | None = None,
              answers: dict | None = None, media: str = JSON, planner: bool = False,
              path: dict | None = None, headers: dict | None = None, upload: str = ""):
    """Document a view and hand it its parsed request: ``query=`` (from the query string) and
    ``body=`` (from the JSON object body, :func:`json_object`) keyword arguments. ``headers``
    documents request headers the view reads itself (name -> OpenAPI parameter fields)."""
    spec_ = Operation(query, body, dict(answers or {}), media, planner, dict(path or {}),
                      dict(headers or {}), upload)

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if query is not None:
                kwargs["query"] = s.parse_query(query, request.args)
            if body is not None:
                kwargs["body"] = s.parse_body(body, json_object())
            choose_region(kwargs.get("query") or kwargs.get("body"))  # several regions
            return view(*args, **kwargs)

        wrapped.__contract__ = spec_
        return wrapped

    return decorate


def json_object() -> dict:
    """The request's JSON object body (not JSON, or nested too deep: a 400 naming ``body``,
    see :class:`app.limits.JSONRequest`)."""
    body = request.get_json()
    if not isinstance(body, dict):
        raise InputError("the body must be a JSON object", parameter="body")
    return body


#: The If-Match request header of a change to a station.
IF_MATCH = {"required": False,
            "schema": {"type": "string", "pattern": r'^(W/)?"?[1-9][0-9]{0,9}"?$',
                       "examples": ['"3"']},
            "description": "The version the change starts from (the ETag of GET "
                           "/api/stations/{station_id}); or `version` in the body. Required "
                           "one way or the other (428 without)."}

#: Path parameters, by name.
PATH = {"station_id": {"type": "string", "minLength": 1},
        "report_id": {"type": "integer", "minimum": 0, "maximum": s.MAX_SERIAL},
        "mode": {"type": "string", "enum": list(MODES)},
        "fmt": {"type": "string", "enum": list(PROPOSAL_FORMATS)}}
ERRORS = {400: "A bad parameter or body field, named in `parameter`.",
          401: "Not signed in as a planner (POST /api/login).",
          404: "Nothing there (no such station, network or format).",
          413: "The body is larger than the server takes (256 KiB by default).",
          429: "Too many requests from this client: wait Retry-After seconds (per-client "
               "limits, see app.limits).",
          503: "The server is busy with another such request: retry after Retry-After seconds."}
RETRY_AFTER = {"description": "Seconds to wait.", "schema": {"type": "integer", "minimum": 1}}


def _models(app: Flask) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = [s.Error]
    for view in app.view_functions.values():
        op = getattr(view, "__contract__", None)
        if op is None:
            continue
        found += [m for m in (op.body, *(m for m, _ in op.answers.values())) if m is not None]
    return list(dict.fromkeys(found))


def _parameters(model: type[s.Query], schemas: dict) -> list[dict]:
    out = []
    schema = model.model_json_schema(ref_template=REF)
    for name, prop in schema["properties"].items():
        prop = _not_null(prop)
        description = prop.pop("description", None)
        prop.pop("title", None)
        required = name in schema.get("required", ())
        if not required:
            prop = _empty_is_default(prop)
        param = {"name": name, "in": "query", "required": required, "schema": prop}
        if not required and prop.get("type") in ("integer", "number"):
            param["allowEmptyValue"] = True  # `limit=` is the default, as for the others
        if description:
            param["description"] = description
        if s.is_list(model, name):
            param |= {"style": "form", "explode": True}
        out.append(param)
    schemas.update(schema.get("$defs", {}))
    return out


def _empty_is_default(schema: dict) -> dict:
    """An optional query parameter's schema that takes an empty value too, as the API does (an
    empty value is an absent one: the default): a choice, a list of choices, a patterned text.
    Not a time, where an empty value is a 400, nor a number, whose bounds stay plain (its
    parameter says ``allowEmptyValue`` instead)."""
    kind = schema.get("type")
    if "enum" in schema:
        return {**schema, "enum": [*schema["enum"], ""]}
    if schema.get("format") == "date-time" or (kind == "string" and not (
            {"pattern", "minLength"} & set(schema))):
        return schema  # a time refuses it; plain text takes it already
    if kind == "array" and "enum" in schema.get("items", {}):
        items = schema["items"]
        return {**schema, "items": {**items, "enum": [*items["enum"], ""]}}
    if kind == "string" and "pattern" in schema:
        return {**schema, "pattern": f"^$|{schema['pattern']}"}
    return schema  # a number keeps its plain schema (clients read its bounds there)


def _not_null(schema: dict) -> dict:
    """A query parameter's schema: a parameter is absent or text, never null."""
    schema = {k: v for k, v in schema.items() if not (k == "default" and v is None)}
    options = [o for o in schema.pop("anyOf", []) if o.get("type") != "null"]
    if len(options) == 1:
        schema |= options[0]
    elif options:
        schema["anyOf"] = options
    return schema


def _content(model: type[BaseModel] | None, media: str) -> dict:
    if model is None:
        return {}
    return {"content": {media: {"schema": {"$ref": REF.format(model=model.__name__)}}}}


def _path_item(op: Operation, view, arguments: list[str], schemas: dict, *,
               limited: bool = False) -> dict:
    doc = (view.__doc__ or "").strip().split("\n\n", 1)
    item: dict = {"operationId": view.__name__, "summary": " ".join(doc[0].split())}
    if len(doc) > 1:
        item["description"] = " ".join(doc[1].split())
    params = [{"name": a, "in": "path", "required": True, "schema": op.path.get(a, PATH.get(
        a, {"type": "string"}))} for a in arguments]
    params += [{"name": name, "in": "header", **fields} for name, fields in op.headers.items()]
    if op.query is not None:
        params += _parameters(op.query, schemas)
    if params:
        item["parameters"] = params
    if op.body is not None:
        item["requestBody"] = {"required": True, **_content(op.body, JSON)}
    answers: dict[str, dict] = {}
    for status, (model, text) in sorted(op.answers.items()):
        media = op.media if 200 <= status < 300 else JSON
        if status == 200 and model is None:  # files: the media types name them
            answers["200"] = {"description": text, "content": {m: {} for m in op.media.split()}}
            continue
        if status == 304:
            answers["304"] = {"description": text}
            continue
        answers[str(status)] = {"description": text, **_content(model or s.Error, media)}
    if op.query is not None or op.body is not None or arguments:
        answers.setdefault("400", {"description": _bad_request(op), **_content(s.Error, JSON)})
    if op.upload:
        item["requestBody"] = {"required": True, "content": {op.upload: {"schema": {
            "type": "string", "format": "binary"}}}}
    if op.body is not None or op.upload:
        answers.setdefault("413", {"description": ERRORS[413], **_content(s.Error, JSON)})
    if op.planner:
        answers.setdefault("401", {"description": ERRORS[401], **_content(s.Error, JSON)})
    if arguments:
        answers.setdefault("404", {"description": ERRORS[404], **_content(s.Error, JSON)})
    waits = ([429] if limited else []) + ([503] if 503 in op.answers else [])
    for status in waits:  # answers that say how long to wait
        answers[str(status)] = {"description": op.answers.get(status, (None, ERRORS[status]))[1],
                                "headers": {"Retry-After": RETRY_AFTER},
                                **_content(s.Error, JSON)}
    item["responses"] = answers
    return item


def _bad_request(op: Operation) -> str:
    """The 400's description: a bad parameter, and the rules the parameters keep together
    (``rules`` of the request models), which no parameter's schema can say alone."""
    rules = [*(op.query.rules if op.query else ()), *(op.body.rules if op.body else ())]
    if not rules:
        return ERRORS[400]
    return f"{ERRORS[400]} Refused too, though each value alone fits its schema: " + "; ".join(
        rules) + "."


def spec(app: Flask) -> dict:
    """The OpenAPI document of ``app``'s routes under ``/api`` (a plain dict)."""
    models = _models(app)
    modes = [(m, "validation") for m in models]
    _, defs = models_json_schema(modes, ref_template=REF)
    schemas = dict(defs.get("$defs", {}))
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions.get(rule.endpoint)
        op = getattr(view, "__contract__", None)
        if not rule.rule.startswith("/api/") or op is None:
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)  # <int:id> too
        arguments = sorted(rule.arguments, key=path.index)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _path_item(
                op, view, arguments, schemas, limited=rule.endpoint in LIMITED)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "yizhan (驿站) API",
            "version": "1",
            "description": (
                "Rest stations for outdoor workers: 司机之家 driver homes, 环卫工人爱心驿站 "
                "sanitation worker stations and 户外劳动者服务站点 outdoor worker rest points. "
                "Coordinates are WGS-84 (EPSG:4326) degrees; distances metres; durations "
                "seconds; travel budgets minutes. Errors are JSON {error, parameter} with a 4xx "
                f"status. A point farther than {settings.max_snap_m:.0f} m from the road "
                "network is off network (422)."),
        },
        "paths": paths,
        "components": {"schemas": dict(sorted(schemas.items()))},
    }
