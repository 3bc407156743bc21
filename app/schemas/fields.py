"""What a request field may hold: the API's limits and vocabularies, and the parsers of typed
values.

Every limit is written once here: the request models (:mod:`app.schemas.requests`) check it and
the document (:mod:`app.openapi`) shows it. Typed values reach the models through the geo parsers
as ``BeforeValidator``\\ s, so the Chinese names accepted today (``司机之家``, ``厕所``,
``环卫工人`` …) keep working, while the document lists the ids. A parser refuses a value with a
:class:`ValueError` (pydantic reports it as a bad value, see :mod:`app.schemas.validation`) or
with an :class:`geo.errors.InputError` that says the problem in full. Coordinates are WGS-84
(EPSG:4326) degrees, budgets minutes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo, WithJsonSchema

from app.accounts import ROLES
from app.reports import REPORT_KINDS, REPORT_STATUSES
from geo import settings
from geo.catalogue import ID_PATTERN as CATALOGUE_ID
from geo.coverage import parse_at
from geo.demand import parse_group
from geo.errors import InputError
from geo.groups import DEFAULT_GROUPS
from geo.network import MODES
from geo.siting.planning import parse_target
from geo.stations import (
    ACCESS,
    KINDS,
    SERVICE_SEPARATORS,
    SERVICE_WORD_CHARS,
    SERVICES,
    check_service_word,
    check_station_id,
    check_text,
    local_time,
    normalize_hours,
    parse_access,
    parse_kind,
    parse_services,
    read_services,
    station_id_pattern,
)
from geo.text import forbidden
from geo.text import shown as shown_char

# --- limits (each written once: the checks and the document read them) --------------------------

#: Largest travel budget, minutes; most new stations per plan; most points on a coverage curve.
MAX_MINUTES, MAX_ADD, MAX_CURVE = 120.0, 50, 20
#: H3 resolutions offered for coverage cells (5: about 250 km², 11: about 2,000 m²).
H3_RANGE = (5, 11)
#: Most problem reports one listing returns, and how many by default.
MAX_REPORTS, DEFAULT_REPORTS = 5000, 500
#: Longest text per station field, characters (the import reads the same settings).
TEXT_FIELDS = settings.station_text_chars
#: Station ids a planner may choose: what the import takes too (geo.stations.check_station_id).
ID_PATTERN = station_id_pattern()
#: Largest station capacity, people.
MAX_CAPACITY = settings.max_capacity
#: Largest station version or report id a client may name (32-bit serials).
MAX_SERIAL = 2**31 - 1
#: The corners a station box (`bbox`) may have: (west, south) and (east, north) limits, EPSG:4326.
BBOX_LIMITS = ((-180.0, -90.0), (180.0, 90.0))
BBOX_TEXT = (f"west,south,east,north in EPSG:4326 degrees (longitudes {BBOX_LIMITS[0][0]:g} to "
             f"{BBOX_LIMITS[1][0]:g}, latitudes {BBOX_LIMITS[0][1]:g} to {BBOX_LIMITS[1][1]:g}; "
             "west < east, south < north)")
BBOX_EXAMPLE = "24.93,60.16,24.96,60.18"
#: Most service words one station keeps as written (`other_services`).
MAX_OTHER_SERVICES = 50
#: Accepted on/off values of a flag (compared in lower case; absent or empty is off).
TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")



class _LiveIds:
    """In an ``Annotated``: the JSON schema of one id of ``ids`` as they are when the document
    is written (a deployment adds kinds and services while it runs, :mod:`geo.catalogue`)."""

    def __init__(self, ids: dict[str, Any]):
        self.ids = ids

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> dict:
        return {"type": "string", "enum": list(self.ids)}


def _member(ids: dict[str, Any], what: str):
    """An after-validator: the value is one of ``ids`` now."""
    def check(value: str) -> str:
        if value not in ids:
            _refuse(f"not a {what}; use one of {list(ids)}")
        return value

    return AfterValidator(check)


KindId = Annotated[str, _member(KINDS, "kind"), _LiveIds(KINDS)]
ServiceId = Annotated[str, _member(SERVICES, "service"), _LiveIds(SERVICES)]
#: A kind or service id in an answer: one the server knew when it answered, which may be newer
#: than the document a client read (administrators add kinds while the server runs).
KindName = Annotated[str, Field(pattern=CATALOGUE_ID, description=(
    "A kind id: the built-in ones or this deployment's own (GET /api/catalogue)."))]
ServiceName = Annotated[str, Field(pattern=CATALOGUE_ID, description=(
    "A service id: the built-in ones or this deployment's own (GET /api/catalogue)."))]
GroupId = Literal[tuple(DEFAULT_GROUPS)]  # type: ignore[valid-type]
ModeId = Literal[tuple(MODES)]  # type: ignore[valid-type]
AccessId = Literal[tuple(ACCESS)]  # type: ignore[valid-type]
ReportKind = Literal[tuple(REPORT_KINDS)]  # type: ignore[valid-type]
RoleId = Literal[tuple(ROLES)]  # type: ignore[valid-type]
ReportStatus = Literal[REPORT_STATUSES]  # type: ignore[valid-type]

KINDS_TEXT = ", ".join(f"{k} ({zh}, {en})" for k, (zh, en) in KINDS.items())
GROUPS_TEXT = ", ".join(f"{g} ({grp.zh}; {grp.mode}, {grp.budget_min:g} min)"
                         for g, grp in DEFAULT_GROUPS.items())


# --- the text policy -----------------------------------------------------------------------------

#: What the text policy refuses, in words (as the 400s say it).
_REFUSED_TEXT = "control and bidirectional characters, lone surrogates, noncharacters"


def _refused_text(field: str, chars: list[str]) -> InputError:
    """The error for text of ``field`` that holds ``chars``, which the text policy refuses."""
    bad = ", ".join(shown_char(c) for c in chars)
    return InputError(f"`{field}` holds {bad}, which no text may hold ({_REFUSED_TEXT}); "
                      f"remove {'it' if len(chars) == 1 else 'them'}", parameter=field)


def _plain(value: Any, info: ValidationInfo) -> Any:
    """Text, or a list of texts, without a character the text policy refuses
    (:func:`geo.text.forbidden`); checked before anything else reads it, so the 400 names the
    field and the character (``U+D800``) whatever the field's type."""
    texts = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    refused = sorted({c for text in texts if isinstance(text, str) for c in forbidden(text)})
    if refused:
        raise _refused_text(info.field_name or "body", refused)
    return value


def _encodable(value: Any, info: ValidationInfo) -> Any:
    """Text without lone surrogates (which no encoding writes), for a field whose value is never
    shown back (a password): any other character is the client's choice."""
    if isinstance(value, str):
        refused = sorted({c for c in forbidden(value) if 0xD800 <= ord(c) <= 0xDFFF})
        if refused:
            raise _refused_text(info.field_name or "body", refused)
    return value


#: Put last in an ``Annotated`` (before-validators run last first): refuses what the text
#: policy refuses in any text value of the field.
Plain = BeforeValidator(_plain)
#: Refuses lone surrogates only.
Encodable = BeforeValidator(_encodable)


# --- typed values ---------------------------------------------------------------------------------

def _refuse(why: str):
    """Fail a value (pydantic reports a ValueError as a bad value; any other error is a bug)."""
    raise ValueError(why)


def _words(value: Any, separators=None) -> list[str]:
    """Non-blank parts of a text or a list of texts, split at commas (or ``separators``)."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        _refuse("not text")
    split = separators.split if separators is not None else (lambda raw: raw.split(","))
    return [part.strip() for raw in value for part in split(raw) if part.strip()]


def _kinds(value: Any) -> list[str] | None:
    return sorted({parse_kind(v[:100]) for v in _words(value)}) or None


def _services(value: Any) -> list[str] | None:
    words = _words(value, SERVICE_SEPARATORS)
    found = sorted(parse_services(words))
    if words and not found:  # only numbering such as "1." or "①": no filter was meant
        raise InputError(f"`service` was {shown(value)} but names no service; give ids such as "
                         "toilet or names such as 厕所", parameter="service")
    return found or None


def _groups(value: Any) -> list[str] | None:
    if value is None:
        return None
    return sorted({parse_group(v[:100]) for v in _words(value)}) or None


def _kind(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"`kind` is required: one of {KINDS_TEXT}", parameter="kind")
    return parse_kind(value[:100])


def _flag(value: Any) -> str:
    return value.strip().lower() if isinstance(value, str) else value


def _open_at(value: Any) -> datetime | None:
    """An aware time in the default zone (a ZoneInfo, which opening_hours needs: a fixed offset
    such as ``+08:00`` is converted to the same instant there)."""
    if value is None or isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        _refuse("not text")
    when = local_time(value[:64])
    try:
        when = when.astimezone(ZoneInfo(settings.timezone))
        when + timedelta(days=8)  # opening hours look ahead; keep clear of year 9999
    except OverflowError:
        raise InputError(f"`open_at` was {value!r}, too far from today",
                         parameter="open_at") from None
    return when


def _at(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        _refuse("not text")
    when = parse_at(value[:64])
    if not 1970 <= when.year <= 2200:
        raise InputError(f"`at` was {value!r}, too far from today", parameter="at")
    return when.astimezone(ZoneInfo(settings.timezone))


def _target(value: Any) -> float | None:
    """``target`` as a share: 0.9 or 90 (:func:`geo.siting.planning.parse_target`)."""
    if value is None:
        return None
    value = _number_or_text(value)
    return None if value is None else parse_target(value[:40] if isinstance(value, str)
                                                   else value)


def _bbox(value: Any):
    if value is None or isinstance(value, tuple):
        return value
    text = str(value)
    try:
        west, south, east, north = (float(v) for v in text.split(","))
    except ValueError:
        raise InputError(f"`bbox` was {shown(text)} but must be four numbers {BBOX_TEXT}, e.g. "
                         f"{BBOX_EXAMPLE!r}", parameter="bbox") from None
    (low_lon, low_lat), (high_lon, high_lat) = BBOX_LIMITS
    problems = [f"{name} {v:g} is outside {low:g} to {high:g}" for name, v, low, high in [
        ("west", west, low_lon, high_lon), ("south", south, low_lat, high_lat),
        ("east", east, low_lon, high_lon), ("north", north, low_lat, high_lat)]
        if not low <= v <= high]  # NaN is outside too
    if not problems and not west < east:
        problems.append(f"west {west:g} is not less than east {east:g}")
    if not problems and not south < north:
        problems.append(f"south {south:g} is not less than north {north:g}")
    if problems:
        raise InputError(f"`bbox` was {shown(text)}: {'; '.join(problems)}. Give {BBOX_TEXT}, "
                         f"e.g. {BBOX_EXAMPLE!r}", parameter="bbox")
    return west, south, east, north


#: A number written as text, as a query string gives it and as the JSON bodies take it too
#: (empty or blank: none).
_NUMBER_TEXT = r"^\s*([+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)?\s*$"


def _loose_number(schema: dict[str, Any], *, text: str = _NUMBER_TEXT) -> dict[str, Any]:
    """The JSON schema of a number that may come as ``schema`` says, or as text (``"3"``; empty
    text is none), or null: what :func:`_number_or_text` lets through, so the document says
    what the server takes."""
    return {"anyOf": [schema, {"type": "string", "pattern": text, "maxLength": 40},
                      {"type": "null"}]}


def _number_or_text(value: Any) -> Any:
    """A number from JSON or a query string: never a boolean; empty text is None."""
    if isinstance(value, bool):
        _refuse("a boolean")
    if isinstance(value, str):
        if not value.strip():
            return None
        if len(value) > 40:
            _refuse("too long")
    return value


def _json_number(value: Any) -> Any:
    """A JSON number: not a boolean, not text."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        _refuse("not a number")
    return value


def _text(value: Any) -> Any:
    return "" if value is None else value


Lat = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False,
                             description="Latitude, EPSG:4326 degrees.")]
Lon = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False,
                             description="Longitude, EPSG:4326 degrees.")]
Minutes = Annotated[Annotated[float, Field(gt=0, le=MAX_MINUTES, allow_inf_nan=False)] | None,
                    BeforeValidator(_number_or_text), WithJsonSchema(_loose_number(
                        {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_MINUTES})),
                    Field(description=(
                        "One travel budget in minutes for every group, instead of each "
                        "group's own.")), Plain]
Kinds = Annotated[list[KindId] | None, BeforeValidator(_kinds), Field(description=(
    f"Only these kinds: {KINDS_TEXT}. Chinese names such as 司机之家 are accepted too; "
    "repeat the parameter or separate with commas.")), Plain]
Services = Annotated[list[ServiceId] | None, BeforeValidator(_services), Field(description=(
    "Only stations offering all of these. Chinese names such as 厕所 are accepted too; repeat "
    "the parameter or separate with commas or 、.")), Plain]
Groups = Annotated[list[GroupId] | None, BeforeValidator(_groups), Field(description=(
    f"Only these worker groups: {GROUPS_TEXT}. Chinese names such as 环卫工人 are accepted "
    "too; repeat the parameter or separate with commas.")), Plain]
OpenAt = Annotated[datetime | None, BeforeValidator(_open_at), Field(description=(
    "Only stations open at this time: ISO 8601, without an offset in the stations' zone "
    f"({settings.timezone}).")), Plain]
Flag = Annotated[Literal[TRUE + FALSE] | None, BeforeValidator(_flag),  # type: ignore[misc]
                 AfterValidator(lambda v: v in TRUE), Field(description=(
                     f"On with {', '.join(TRUE)}; off with {', '.join(FALSE)} (any case), or "
                     "empty.")), Plain]
StrictLon = Annotated[Lon, BeforeValidator(_json_number)]
StrictLat = Annotated[Lat, BeforeValidator(_json_number)]


def _station_text(name: str):
    """A before-validator of station field ``name``: text the station model refuses
    (:func:`geo.stations.check_text`: its length, the text policy) is a 400 naming the field
    and the characters before pydantic reads it."""
    def check(value: Any) -> Any:
        if isinstance(value, str):
            check_text(name, value.strip())
        return value

    return BeforeValidator(check)


def text_field(name: str) -> Any:
    """Station text field ``name``: null is empty, surrounding space dropped, at most
    :data:`TEXT_FIELDS` characters, none the text policy refuses; line breaks as ``\\n``."""
    return Annotated[str, BeforeValidator(_text), AfterValidator(str.strip),
                     AfterValidator(lambda value: check_text(name, value)),
                     Field(max_length=TEXT_FIELDS[name], strict=True), _station_text(name)]


def _named(value: str) -> str:
    if not value:
        raise InputError("`name` is required: the station's name", parameter="name")
    return value


Name = Annotated[text_field("name"), AfterValidator(_named), Field(min_length=1)]


def _station_services(value: Any) -> list[str]:
    if value is not None and not isinstance(value, (str, list)):
        _refuse("not a list or text")
    return sorted(parse_services(value))


def _other_services(value: Any) -> list[str]:
    """Service words kept as written, checked as the station list reader checks them
    (:func:`geo.stations.check_service_word`); a word that names a known service belongs in
    ``services``."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(w, str) for w in value):
        _refuse("not a list of texts")
    if len(value) > MAX_OTHER_SERVICES:
        raise InputError(f"`other_services` holds {len(value)} words but at most "
                         f"{MAX_OTHER_SERVICES} are kept", parameter="other_services")
    for word in value:
        check_service_word(word)
        known = sorted(read_services(word)[0])
        if known:
            raise InputError(f"the service word {word!r} names the service {known[0]}: put it "
                             "in `services`", parameter="other_services")
    return list(dict.fromkeys(value))


def _hours(value: Any) -> str:
    if value is not None and not isinstance(value, str):
        _refuse("not text")
    return normalize_hours(value if value is None else check_text("hours", value.strip()))


def _access(value: Any) -> str:
    if value is not None and not isinstance(value, str):
        _refuse("not text")
    return parse_access(value)



def shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"



class _StationServicesSchema:
    """The JSON schema of a station's services: ids (as they are when the document is written,
    :class:`_LiveIds`), a text, or null."""

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> dict:
        return {"anyOf": [{"type": "array", "items": {"anyOf": [
            {"enum": list(SERVICES)},
            {"type": "string", "description": "a name people write for a service, such as 厕所 "
                                              "(one that names none is a 400); empty: none"}]}},
            {"type": "string"}, {"type": "null"}]}


# --- field types the request models share -----------------------------------------------------

#: A station kind: an id or a name people write for it.
Kind = Annotated[KindId, BeforeValidator(_kind), Plain]
#: A time of day today or an ISO time, in :data:`geo.settings.timezone`.
At = Annotated[datetime | None, BeforeValidator(_at), WithJsonSchema({
    "type": "string", "examples": ["04:30", "2026-11-25T04:30+08:00"]}), Plain]
#: A box of stations, (west, south, east, north).
Bbox = Annotated[tuple[float, float, float, float] | None, BeforeValidator(_bbox),
                 WithJsonSchema({"type": "string", "pattern": r"^[^,]+(,[^,]+){3}$",
                                 "examples": [BBOX_EXAMPLE]}), Plain]
#: A share to reach: 0.9 or 90.
Target = Annotated[float | None, BeforeValidator(_target), WithJsonSchema({
    **_loose_number({"type": "number", "exclusiveMinimum": 0, "maximum": 100},
                   text=_NUMBER_TEXT.replace(r"\s*$", r"\s*%?\s*$")),
    "examples": [0.9, 90, "90%"]}), Plain]
#: Free text where null means empty.
Text = Annotated[str, BeforeValidator(_text)]
#: A station's services: ids, or a text such as '休息、厕所、热水'.
StationServices = Annotated[list[ServiceId], BeforeValidator(_station_services),
                            _StationServicesSchema(), Plain]
#: A station's service words that name no known service, kept as written.
OtherServices = Annotated[list[str], BeforeValidator(_other_services), WithJsonSchema({
    "anyOf": [{"type": "array", "maxItems": MAX_OTHER_SERVICES, "items": {
        "type": "string", "minLength": 1, "maxLength": SERVICE_WORD_CHARS}}, {"type": "null"}]}),
    Field(max_length=MAX_OTHER_SERVICES), Plain]
#: Opening hours, OSM or Chinese.
Hours = Annotated[str, BeforeValidator(_hours), WithJsonSchema({"type": ["string", "null"]})]
#: Who may use a station.
Access = Annotated[AccessId, BeforeValidator(_access), WithJsonSchema({"enum": [*ACCESS, None]}),
                   Plain]
#: A station id a planner may choose (what the import takes too).
StationId = Annotated[str, AfterValidator(check_station_id),
                      Field(strict=True, max_length=settings.station_id_chars,
                            json_schema_extra={"pattern": ID_PATTERN})]
Version = Annotated[int | None, Field(ge=1, le=MAX_SERIAL, strict=True, description=(
    "The version of the station this change starts from (as GET /api/stations/{station_id} "
    "gave it), instead of an If-Match header; a stale one is 409."))]


def count(high: int) -> Any:
    """A whole number from 1 to ``high`` from JSON or a query string; empty text is None."""
    return Annotated[Annotated[int, Field(ge=1, le=high)] | None,
                     BeforeValidator(_number_or_text),
                     WithJsonSchema(_loose_number({"type": "integer", "minimum": 1,
                                                  "maximum": high})), Plain]
