"""From a request to a model: a query string or a JSON body checked by its model, and a
:class:`pydantic.ValidationError` said as one :class:`geo.errors.InputError`.

The error is the API's 400 ``{"error", "parameter"}``: ``parameter`` is the first bad parameter
as the client spelled it, ``error`` says every problem with the bad value and what is allowed,
the allowed part read (by :func:`describe`) from the same JSON schema the document shows.
"""

from __future__ import annotations

from functools import cache

from pydantic import BaseModel, ValidationError

from app.schemas.fields import shown
from app.schemas.requests import Query
from geo.errors import InputError

# --- from a request to a model --------------------------------------------------------------------

def parse_query(model: type[Query], args) -> Query:
    """``model`` from a query string (a werkzeug MultiDict): list fields take every value,
    the others the first.

    An empty value counts as absent (the default), except for a time (``open_at=``): a time
    left empty is a mistake, refused with a 400 naming it."""
    data = {}
    for name in args:
        given = args.getlist(name)
        values = [v for v in given if v != ""]
        if values:
            data[name] = values if is_list(model, name) else values[0]
        elif name not in model.model_fields:
            data[name] = given[0]  # unknown: refused by the model, with the known ones
        elif _is_time(_property(model, name)):
            raise InputError(f"`{name}` was empty but must be {describe(_property(model, name))}"
                             "; leave it out for the default", parameter=name)
    return validate(model, data, where="parameter")


def _is_time(schema: dict) -> bool:
    return any(o.get("format") == "date-time" for o in schema.get("anyOf", [schema]))


def parse_body(model: type[BaseModel], body: dict) -> BaseModel:
    return validate(model, body, where="field")


def is_list(model: type[BaseModel], name: str) -> bool:
    field = model.model_fields.get(name)
    return field is not None and "list" in str(field.annotation)


def validate(model: type[BaseModel], data: dict, *, where: str) -> BaseModel:
    """``model.model_validate(data)``, its ValidationError as one InputError naming the first bad
    parameter and saying every problem."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _input_error(model, exc, where) from None


def _input_error(model: type[BaseModel], exc: ValidationError, where: str) -> InputError:
    errors = exc.errors(include_url=False)
    unknown = sorted(str(e["loc"][0]) for e in errors if e["type"] == "extra_forbidden")
    problems: list[tuple[str | None, str]] = []
    if unknown:
        allowed = sorted(model.model_fields)
        problems.append((unknown[0], f"unknown {where}(s) {unknown}; allowed: {allowed}"))
    for error in errors:
        if error["type"] == "extra_forbidden":
            continue
        name = str(error["loc"][0]) if error["loc"] else None
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, InputError):
            problems.append((name or cause.parameter, str(cause)))
            continue
        allowed = describe(_property(model, name)) if name else ""
        if error["type"] == "missing":
            problems.append((name, f"`{name}` is required: {allowed}"))
        elif name:
            problems.append((name, f"`{name}` was {shown(error['input'])} but must be {allowed}"))
        else:
            problems.append((None, error["msg"]))
    seen, messages = set(), []
    for _, message in problems:
        if message not in seen:
            seen.add(message)
            messages.append(message)
    return InputError("; ".join(messages), parameter=problems[0][0])



@cache
def _properties(model: type[BaseModel]) -> dict:
    return model.model_json_schema()["properties"]


def _property(model: type[BaseModel], name: str) -> dict:
    return _properties(model).get(name, {})


def describe(schema: dict) -> str:
    """What a JSON schema allows, in words: ``a number from -90 to 90``, ``one of [...]``."""
    alternatives = [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]
    return " or ".join(_describe_one(s) for s in alternatives) or "empty"


def _number(value: float) -> str:
    """A bound as written: whole numbers in full (2147483647), others shortest (0.5)."""
    return str(value) if isinstance(value, int) else f"{value:g}"


def _describe_one(schema: dict) -> str:
    if "enum" in schema or "const" in schema:
        values = [v for v in schema.get("enum", [schema.get("const")]) if v is not None]
        return f"one of {values}"
    kind = schema.get("type")
    if kind in ("number", "integer"):
        what = "a whole number" if kind == "integer" else "a number"
        low, high = schema.get("minimum"), schema.get("maximum")
        if "exclusiveMinimum" in schema:
            return f"{what} above {_number(schema['exclusiveMinimum'])} and up to {_number(high)}"
        if low is not None and high is not None:
            return f"{what} from {_number(low)} to {_number(high)}"
        return what
    if kind == "array":
        items = schema.get("items", {})
        if "enum" in items:
            return f"a list of values from {items['enum']}"
        return f"a list of {_describe_one(items)}"
    if kind == "string":
        if schema.get("format") == "date-time":
            return "an ISO 8601 time such as '2026-11-25T08:30'"
        if "pattern" in schema:
            example = f", e.g. {schema['examples'][0]!r}" if schema.get("examples") else ""
            return f"text matching {schema['pattern']}{example}"
        if "maxLength" in schema:
            low = schema.get("minLength", 0)
            size = f"{low} to {schema['maxLength']}" if low else f"at most {schema['maxLength']}"
            return f"text of {size} characters"
        return "text" + (f" such as {schema['examples'][0]!r}" if schema.get("examples") else "")
    return schema.get("description", "a valid value")
