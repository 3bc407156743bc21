"""The JSON API's requests and answers as pydantic models: one source for every limit.

A request model both checks a request (:func:`parse_query`, :func:`parse_body`) and writes its
part of ``/api/openapi.json`` (:mod:`app.openapi`), so a bound such as :data:`MAX_MINUTES` is
written once. Typed values reach the models through the geo parsers as ``BeforeValidator``\\ s,
so the Chinese names accepted today (``司机之家``, ``厕所``, ``环卫工人`` …) keep working, while the
document lists the ids. Answer models describe what the views send; the views build their
answers with geo and the tests check the answers against these models.

A :class:`pydantic.ValidationError` becomes one :class:`geo.errors.InputError` (the API's 400
``{"error", "parameter"}``): ``parameter`` is the first bad parameter as the client spelled it,
``error`` says every problem with the bad value and what is allowed, the allowed part read from
the same JSON schema the document shows. Coordinates are WGS-84 (EPSG:4326) degrees, distances
metres, durations seconds, budgets minutes.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    model_validator,
)

from app import settings as app_settings
from app.accounts import MAX_NAME, MAX_PASSWORD, ROLES
from app.reports import MAX_TEXT, REPORT_KINDS, REPORT_STATUSES
from geo import settings
from geo.basemap import ROAD_CLASSES
from geo.coverage import parse_at
from geo.demand import parse_group
from geo.errors import InputError
from geo.groups import DEFAULT_GROUPS
from geo.network import MODES
from geo.output.plan import PROPOSAL_LANGS
from geo.siting.planning import parse_target
from geo.stations import (
    ACCESS,
    KINDS,
    SERVICE_SEPARATORS,
    SERVICES,
    check_station_id,
    check_text,
    local_time,
    normalize_hours,
    parse_access,
    parse_kind,
    parse_services,
    station_id_pattern,
)

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
#: Accepted on/off values of a flag (compared in lower case; absent or empty is off).
TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")

KindId = Literal[tuple(KINDS)]  # type: ignore[valid-type]
ServiceId = Literal[tuple(SERVICES)]  # type: ignore[valid-type]
GroupId = Literal[tuple(DEFAULT_GROUPS)]  # type: ignore[valid-type]
ModeId = Literal[tuple(MODES)]  # type: ignore[valid-type]
AccessId = Literal[tuple(ACCESS)]  # type: ignore[valid-type]
ReportKind = Literal[tuple(REPORT_KINDS)]  # type: ignore[valid-type]
RoleId = Literal[tuple(ROLES)]  # type: ignore[valid-type]
ReportStatus = Literal[REPORT_STATUSES]  # type: ignore[valid-type]

_KINDS_TEXT = ", ".join(f"{k} ({zh}, {en})" for k, (zh, en) in KINDS.items())
_GROUPS_TEXT = ", ".join(f"{g} ({grp.zh}; {grp.mode}, {grp.budget_min:g} min)"
                         for g, grp in DEFAULT_GROUPS.items())


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
    return sorted(parse_services(_words(value, SERVICE_SEPARATORS))) or None


def _groups(value: Any) -> list[str] | None:
    if value is None:
        return None
    return sorted({parse_group(v[:100]) for v in _words(value)}) or None


def _kind(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"`kind` is required: one of {_KINDS_TEXT}", parameter="kind")
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
        raise InputError(f"`bbox` was {_shown(text)} but must be four numbers {BBOX_TEXT}, e.g. "
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
        raise InputError(f"`bbox` was {_shown(text)}: {'; '.join(problems)}. Give {BBOX_TEXT}, "
                         f"e.g. {BBOX_EXAMPLE!r}", parameter="bbox")
    return west, south, east, north


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
                    BeforeValidator(_number_or_text), Field(description=(
                        "One travel budget in minutes for every group, instead of each "
                        "group's own."))]
Kinds = Annotated[list[KindId] | None, BeforeValidator(_kinds), Field(description=(
    f"Only these kinds: {_KINDS_TEXT}. Chinese names such as 司机之家 are accepted too; "
    "repeat the parameter or separate with commas."))]
Services = Annotated[list[ServiceId] | None, BeforeValidator(_services), Field(description=(
    "Only stations offering all of these. Chinese names such as 厕所 are accepted too; repeat "
    "the parameter or separate with commas or 、."))]
Groups = Annotated[list[GroupId] | None, BeforeValidator(_groups), Field(description=(
    f"Only these worker groups: {_GROUPS_TEXT}. Chinese names such as 环卫工人 are accepted "
    "too; repeat the parameter or separate with commas."))]
OpenAt = Annotated[datetime | None, BeforeValidator(_open_at), Field(description=(
    "Only stations open at this time: ISO 8601, without an offset in the stations' zone "
    f"({settings.timezone})."))]
Flag = Annotated[Literal[TRUE + FALSE] | None, BeforeValidator(_flag),  # type: ignore[misc]
                 AfterValidator(lambda v: v in TRUE), Field(description=(
                     f"On with {', '.join(TRUE)}; off with {', '.join(FALSE)} (any case)."))]
StrictLon = Annotated[Lon, BeforeValidator(_json_number)]
StrictLat = Annotated[Lat, BeforeValidator(_json_number)]


def _text_field(name: str) -> Any:
    return Annotated[str, BeforeValidator(_text), AfterValidator(str.strip),
                     AfterValidator(lambda value: check_text(name, value)),
                     Field(max_length=TEXT_FIELDS[name], strict=True)]


def _named(value: str) -> str:
    if not value:
        raise InputError("`name` is required: the station's name", parameter="name")
    return value


Name = Annotated[_text_field("name"), AfterValidator(_named), Field(min_length=1)]


# --- requests -------------------------------------------------------------------------------------

class Query(BaseModel):
    """Query parameters; unknown ones are refused."""

    model_config = ConfigDict(extra="forbid")


class Body(BaseModel):
    """A JSON object body; unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class StationsQuery(Query):
    kind: Kinds = None
    service: Services = None
    open_at: OpenAt = None
    bbox: Annotated[tuple[float, float, float, float] | None, BeforeValidator(_bbox),
                    WithJsonSchema({"type": "string", "pattern": r"^[^,]+(,[^,]+){3}$",
                                    "examples": [BBOX_EXAMPLE]}),
                    Field(description=f"Only the stations in this box, edges included: "
                                      f"{BBOX_TEXT}.")] = None


class NearestQuery(Query):
    lat: Lat
    lon: Lon
    mode: ModeId | None = Field(None, description="Travel mode (default walk, when the server "
                                                  "has it).")
    kind: Kinds = None
    service: Services = None
    open_at: OpenAt = None
    open_now: Flag = Field(None, description="Only stations open now.")
    k: int = Field(settings.default_k, ge=1, le=settings.max_k, description="How many stations.")
    route: Flag = Field(None, description="Include each route as a GeoJSON LineString.")

    @model_validator(mode="after")
    def _one_time(self):
        if self.open_now and self.open_at is not None:
            raise InputError("give `open_at` or `open_now`, not both", parameter="open_now")
        return self


class CoverageQuery(Query):
    group: Groups = None
    at: Annotated[datetime | None, BeforeValidator(_at), WithJsonSchema({
        "type": "string", "examples": ["04:30", "2026-11-25T04:30+08:00"]}), Field(description=(
            "Count only the stations open at this time: HH:MM today "
            f"({settings.timezone}) or an ISO time; `by_hour` is for that day."))] = None
    minutes: Minutes = None
    h3_res: int = Field(settings.h3_res, ge=H3_RANGE[0], le=H3_RANGE[1],
                        description="H3 resolution of the cells and gap areas.")


class ReportsQuery(Query):
    station_id: str | None = Field(None, description="Only this station's.")
    status: ReportStatus | None = Field(None, description="Only the open or the handled ones.")
    limit: int = Field(DEFAULT_REPORTS, ge=1, le=MAX_REPORTS, description="At most this many.")


class PlanParams(Body):
    """The parameters of a siting run (the body of POST /api/plan)."""

    kind: Annotated[KindId, BeforeValidator(_kind), Field(description=(
        f"Kind of the new stations: {_KINDS_TEXT}. Chinese names are accepted too."))]
    add: Annotated[Annotated[int, Field(ge=1, le=MAX_ADD)] | None,
                   BeforeValidator(_number_or_text), Field(description="How many new stations (maximal covering). Give this or "
                                      "`target`.")] = None
    target: Annotated[float | None, BeforeValidator(_target), WithJsonSchema({
        "type": "number", "exclusiveMinimum": 0, "maximum": 100, "examples": [0.9, 90]}),
        Field(description=(
            "The share of the workers of the groups planned for (`group`, together; not of every "
            "group) to reach with the fewest new stations (set covering): 0.9 or 90 — a number "
            "above 0 and up to 1 is a share, above 1 and up to 100 a percentage. Give this or "
            "`add`."))] = None
    minutes: Minutes = None
    group: Groups = None
    curve: Annotated[Annotated[int, Field(ge=1, le=MAX_CURVE)] | None,
                     BeforeValidator(_number_or_text), Field(description="Also the best share with 1 … curve new stations.")] = None
    at: Annotated[datetime | None, BeforeValidator(_at), WithJsonSchema({
        "type": "string", "examples": ["04:30", "2026-11-25T04:30+08:00"]}), Field(description=(
            "Plan for this time: the existing stations count only if open then (HH:MM today, "
            f"{settings.timezone}, or an ISO time; the planner view sends the hour shown). "
            "Default: every station counted open."))] = None

    @model_validator(mode="after")
    def _one_goal(self):
        if (self.add is None) == (self.target is None):
            raise InputError(f"give exactly one of `add` (how many new stations, 1 to {MAX_ADD}) "
                             "or `target` (the share of workers to reach: 0.9 or 90)",
                             parameter="add")
        return self

    def engine_args(self) -> dict:
        """Keyword arguments of :meth:`app.engine.Engine.plan` (``target`` as a share)."""
        return {"kind": self.kind, "add": self.add, "target": self.target,
                "minutes": self.minutes, "groups": self.group, "curve": self.curve,
                "at": self.at}


class ProposalQuery(PlanParams):
    v: str | None = Field(None, max_length=40, description=(
        "The registry version the plan was made at, e.g. 62-62 (409 when the stations changed "
        "since)."))
    lang: Literal[PROPOSAL_LANGS] = Field("en", description=(  # type: ignore[valid-type]
        "Language of the file's headers: en (rank, id, name, lon, lat …) or zh (排名, 编号, 名称, "
        "经度, 纬度 …, for a union office's Excel or WPS)."))


class ReportBody(Body):
    station_id: Annotated[str, Field(min_length=1, max_length=200, strict=True,
                                     description="The station reported.")]
    kind: ReportKind = Field(description="What is wrong: " + ", ".join(
        f"{k} ({zh})" for k, (zh, _) in REPORT_KINDS.items()))
    text: Annotated[str, BeforeValidator(_text), Field(max_length=MAX_TEXT, strict=True)] = ""
    lon: StrictLon | None = Field(None, description="Where the worker was (with `lat`).")
    lat: StrictLat | None = None

    @model_validator(mode="after")
    def _both(self):
        if (self.lon is None) != (self.lat is None):
            raise InputError("give both `lon` and `lat`, or neither",
                             parameter="lat" if self.lat is None else "lon")
        return self


class ReportPatch(Body):
    status: ReportStatus = Field(description="handled: a planner has dealt with it; open: not "
                                             "yet (again).")


class LoginBody(Body):
    user: str = Field(min_length=1, max_length=MAX_NAME, strict=True, description=(
        "The user name (`yizhan user add NAME`)."))
    password: str = Field(min_length=1, max_length=MAX_PASSWORD, strict=True)


def _station_services(value: Any) -> list[str]:
    if value is not None and not isinstance(value, (str, list)):
        _refuse("not a list or text")
    return sorted(parse_services(value))


def _hours(value: Any) -> str:
    if value is not None and not isinstance(value, str):
        _refuse("not text")
    return normalize_hours(value)


def _access(value: Any) -> str:
    if value is not None and not isinstance(value, str):
        _refuse("not text")
    return parse_access(value)


class StationFields(Body):
    """Fields of a station; in a PATCH, those left out keep their values."""

    id: Annotated[str, AfterValidator(check_station_id),
                  Field(strict=True, max_length=settings.station_id_chars,
                        json_schema_extra={"pattern": ID_PATTERN})] | None = Field(None, description=(
        "Letters (Chinese too), digits, '-', '_' and '.'; leave it out for a stable id made "
        "from kind, name and place."))
    name: Name = None
    kind: Annotated[KindId, BeforeValidator(_kind), Field(description=(
        f"{_KINDS_TEXT}; Chinese names such as 司机之家 are accepted too."))] = None
    lon: StrictLon = None
    lat: StrictLat = None
    crs: Literal["wgs84", "gcj02", "bd09"] = Field("wgs84", description=(
        "The coordinate system of `lon`/`lat`: 'gcj02' for coordinates copied from Amap or "
        "Tencent, 'bd09' from Baidu; stored as WGS-84."))
    services: Annotated[list[ServiceId], BeforeValidator(_station_services), WithJsonSchema({
        "anyOf": [{"type": "array", "items": {"enum": list(SERVICES)}}, {"type": "string"},
                  {"type": "null"}]}), Field(description=(
                      "Service ids, or a text such as '休息、厕所、热水'."))] = None
    hours: Annotated[str, BeforeValidator(_hours), WithJsonSchema({"type": ["string", "null"]}),
                     Field(description="OpenStreetMap opening_hours, or Chinese such as "
                                       "'周一至周五 8:30-18:00'.")] = None
    capacity: int | None = Field(None, ge=0, le=MAX_CAPACITY, strict=True,
                                 description="People; null when unknown.")
    access: Annotated[AccessId, BeforeValidator(_access),
                      WithJsonSchema({"enum": [*ACCESS, None]})] = None
    address: _text_field("address") = None  # type: ignore[valid-type]
    phone: _text_field("phone") = None  # type: ignore[valid-type]
    operator: _text_field("operator") = None  # type: ignore[valid-type]
    notes: _text_field("notes") = None  # type: ignore[valid-type]


Version = Annotated[int | None, Field(ge=1, le=MAX_SERIAL, strict=True, description=(
    "The version of the station this change starts from (as GET /api/stations/{station_id} "
    "gave it), instead of an If-Match header; a stale one is 409."))]


class StationPatch(StationFields):
    """Fields of a station to change (those left out keep their values), and the version the
    change starts from (here or in If-Match)."""

    version: Version = None


class StationCreate(StationFields):
    """A new station."""

    name: Name
    kind: Annotated[KindId, BeforeValidator(_kind), Field(description=(
        f"{_KINDS_TEXT}; Chinese names such as 司机之家 are accepted too."))]
    lon: StrictLon
    lat: StrictLat


class DeleteBody(Body):
    """Optional body of DELETE /api/stations/{station_id}: the version closed (or If-Match)."""

    version: Version = None


# --- answers --------------------------------------------------------------------------------------

class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Error(BaseModel):
    """A failed request: what was wrong, and the parameter or field at fault."""

    error: str
    parameter: str | None


class OffNetwork(Error):
    distance_m: float = Field(description="From the point to the network, metres.")


class Problem(Answer):
    file: str
    row: int | None
    column: str | None
    message: str


class DemandProblems(Error):
    problems: list[Problem] = Field(description="Each problem of the server's demand file.")


class Links(Answer):
    """Open the station in a map app."""

    amap: str = Field(description="Amap marker (GCJ-02); opens in WeChat too.")
    baidu: str = Field(description="Baidu marker (BD-09); opens in WeChat too.")
    apple: str = Field(description="Apple Maps on an iPhone (GCJ-02 inside China).")
    geo: str = Field(description="geo: URI (WGS-84), for Android map apps.")


class Point(Answer):
    type: Literal["Point"]
    coordinates: list[float] = Field(min_length=2, max_length=2, description="lon, lat")


class LineString(Answer):
    type: Literal["LineString"]
    coordinates: list[list[float]]


class Polygon(Answer):
    type: Literal["Polygon"]
    coordinates: list[list[list[float]]]


class StationProperties(Answer):
    id: str
    name: str
    kind: KindId
    address: str
    services: list[ServiceId]
    hours: str = Field(description="OpenStreetMap opening_hours; '' when unknown.")
    timezone: str
    capacity: int | None
    access: AccessId
    phone: str
    operator: str
    notes: str = Field(description="Demo stations say 演示数据 demo data.")
    links: Links
    open: bool | None = Field(description="Open now (or at open_at); null when the hours are "
                                          "unknown.")
    version: int | None = Field(None, ge=1, description=(
        "The station's version: 1 when created, one more on every change (one station and "
        "the answers to planner edits; also its ETag). Send it back with a change (If-Match)."))


class StationFeature(Answer):
    type: Literal["Feature"]
    id: str
    geometry: Point
    properties: StationProperties


class StationCollection(Answer):
    type: Literal["FeatureCollection"]
    features: list[StationFeature]


class Hit(Answer):
    rank: int = Field(ge=1)
    id: str
    name: str
    kind: KindId
    distance_m: float = Field(ge=0)
    duration_s: float = Field(ge=0)
    lon: float
    lat: float
    open: bool | None
    services: list[ServiceId]
    hours: str
    address: str
    phone: str
    capacity: int | None
    changes_at: datetime | None = Field(
        None, description="When the station next closes (if open) or opens (if closed), local "
                          "time with its offset; null for hours unknown or round the clock.")
    route: LineString | None = Field(None, description="From the point to the station (with "
                                                       "`route`).")
    links: Links


class Snapped(Answer):
    lon: float = Field(description="The foot on the nearest road, where the point joins it.")
    lat: float
    distance_m: float = Field(ge=0, description="From the point to the road (the foot).")


class LeftOut(Answer):
    id: str
    name: str


class Nearest(Answer):
    mode: ModeId
    results: list[Hit]
    snapped: Snapped
    off_network: list[LeftOut] = Field(
        description="Stations left out because they lie farther than the snap distance from "
                    "this mode's roads (fix their coordinates).")


class NetworkInfo(Answer):
    mode: ModeId
    nodes: int
    edges: int
    source: str
    bounds: list[float] | None = Field(description="west, south, east, north")


class Networks(Answer):
    networks: list[NetworkInfo]


class StreetLines(Answer):
    type: Literal["Feature"]
    geometry: dict[str, Any] = Field(description="A GeoJSON MultiLineString (EPSG:4326).")
    properties: dict[str, Any]


class BasemapProperties(Answer):
    layer: Literal["green", "water", "road", "label"]
    # the class of each layer: see geo.basemap (road classes ROAD_CLASSES, green GREEN …)
    class_: str = Field(alias="class", description=(
        "green: park, grass, wood, pitch; water: area, river, canal, stream; road: "
        + ", ".join(ROAD_CLASSES) + "; label: the road class, water or park."))
    name: str | None = Field(None, description="label: the name to print (Chinese preferred).")
    angle: float | None = Field(None, ge=-90, le=90, description=(
        "label: the street's direction on screen, degrees clockwise from east."))
    size: float | None = Field(None, description=(
        "label: length (metres) or area (m²) of the named feature, to rank labels."))


class BasemapFeature(Answer):
    type: Literal["Feature"]
    geometry: dict[str, Any] = Field(description="A GeoJSON geometry (EPSG:4326).")
    properties: BasemapProperties


class Basemap(Answer):
    type: Literal["FeatureCollection"]
    bbox: list[float] = Field(description="west, south, east, north")
    features: list[BasemapFeature]


class Report(Answer):
    id: int
    station_id: str
    kind: ReportKind
    text: str
    lon: float | None
    lat: float | None
    created_at: datetime = Field(description="The first report of it.")
    count: int = Field(ge=1, description=(
        "How many times workers reported it: the same problem at the same station while the "
        f"report is open, within {app_settings.report_fold_hours:g} hours of the first, counts here "
        "instead of making a new report."))
    last_at: datetime | None = Field(description="The latest report of it.")
    status: ReportStatus
    handled_at: datetime | None = Field(description="When a planner marked it handled.")


class Reports(Answer):
    reports: list[Report]


class Change(Answer):
    station_id: str
    at: datetime
    action: Literal["create", "update", "delete", "restore"]
    source: str
    actor: str = Field(description="Who: the planner's user name, or the system user of an "
                                   "import ('' before this was recorded).")
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class History(Answer):
    station_id: str
    history: list[Change]


class Deleted(Answer):
    deleted: str


class StaleVersion(Error):
    """A change that started from an old version: the station as it is now, and who changed it
    last and when."""

    version: int = Field(description="The station's current version (send it to overwrite).")
    changed_by: str | None = Field(description="Who made the last change (the person, else "
                                               "the source, such as planner or an import).")
    changed_at: datetime | None = Field(description="When, with its offset.")
    current: StationFeature


class Session(Answer):
    planner: bool = Field(description="Whether signed in (as a planner or an admin).")
    user: str | None = Field(description="The user name, when signed in.")
    display_name: str | None
    role: RoleId | None
    enabled: bool = Field(True, description=(
        "Whether any account can sign in here (GET only); none until `yizhan user add`."))


class UserInfo(Answer):
    name: str
    display_name: str
    role: RoleId
    disabled: bool
    created_at: datetime


class Users(Answer):
    users: list[UserInfo]


Share = Annotated[float, Field(ge=0, le=1)]


class GroupCoverage(Answer):
    zh: str
    en: str
    mode: ModeId
    budget: float = Field(description="Minutes.")
    total: float = Field(description="Workers.")
    covered: float
    uncovered: float
    share: Share
    off_network: float = Field(description=f"Workers farther than {settings.max_snap_m:.0f} m "
                                           "from the network (uncovered).")
    by_hour: list[Share] = Field(min_length=24, max_length=24, description=(
        "Share covered at half past each hour of the day, counting only the stations open "
        "then."))
    shift_hours: list[int]


class CellProperties(Answer):
    cell: str
    group: GroupId
    workers: float
    covered: float
    share: Share
    off_network: float
    travel: float | None = Field(description="Minutes to the nearest station, worker-weighted "
                                             "mean; null when none is reachable.")
    travel_max: float | None
    by_hour: list[Share]


class Cell(Answer):
    type: Literal["Feature"]
    id: str
    geometry: Polygon
    properties: CellProperties


class Cells(Answer):
    type: Literal["FeatureCollection"]
    features: list[Cell]


class Gap(Answer):
    """A gap area: neighbouring H3 cells of uncovered workers, ranked by workers."""

    rank: int
    workers: float
    by_group: dict[str, float]
    cells: int
    lon: float
    lat: float
    nearest: dict[str, float | None] = Field(description="Per group, minutes from the area's "
                                                         "centre to the nearest station it uses.")
    polygon: dict[str, Any] = Field(description="GeoJSON (EPSG:4326).")


class Coverage(Answer):
    unit: Literal["minutes"]
    budgets: dict[str, float]
    at: datetime | None
    day: date
    h3_res: int
    version: list[int] = Field(description="The station registry version.")
    stations: int
    groups: dict[GroupId, GroupCoverage]
    skipped: dict[str, str] = Field(description="Groups in the demand that this server has no "
                                                "network for, with why.")
    cells: Cells
    gaps: list[Gap]
    stations_off_network: dict[ModeId, list[str]] = Field(
        description="Per travel mode, the ids of stations left out because they lie farther "
                    "than the snap distance from its roads.")


class Site(BaseModel):
    """A proposed site; ``new_<group>``: the workers of each group it newly covers."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, float | None]

    rank: int = Field(ge=1)
    id: str
    name: str
    lon: float
    lat: float
    source: str
    cost: float | None = None
    newly_covered: float = Field(description="Workers this site newly covers (each counted at "
                                             "the nearest new site): a sum of demand weights, "
                                             "not rounded; round it to show people.")


class CurvePoint(Answer):
    new_stations: int
    share: Share = Field(description="Share covered, the groups together.")
    by_group: dict[str, Share] | None = Field(None, description="Share covered per group.")
    optimal: bool


class Downloads(Answer):
    geojson: str
    csv: str
    xlsx: str


class Plan(Answer):
    model: Literal["max_coverage", "set_covering"]
    kind: KindId
    sites: list[Site]
    before: dict[str, Share] = Field(description="Share covered per group by the existing "
                                                 "stations.")
    after: dict[str, Share] = Field(description="Share covered per group with the new sites.")
    optimal: bool
    gap: float = Field(description="Relative optimality gap (0 when optimal).")
    method: str
    greedy_weight: float | None = None
    covered_weight: float | None = None
    curve: list[CurvePoint] | None
    note: str | None = Field(None, description=(
        "Why there are no sites: the target is met already (`already_met`), or every reachable "
        "worker of these groups is covered already within their budgets at `at`."))
    already_met: bool = Field(False, description="The existing stations reach `target` already.")
    target: Share | None = Field(None, description="The target as a share (90 is 0.9).")
    at: datetime | None = Field(None, description="The time the stations' hours were read at "
                                                  "(null: every station counted open).")
    groups: list[GroupId] = Field(description="The groups planned for; `target` is a share of "
                                              "their workers together.")
    skipped: dict[str, str]
    totals: dict[str, float] = Field(description="Workers per group (sums of demand weights, "
                                                 "not rounded).")
    budgets: dict[str, float]
    candidates: int
    version: list[int]
    elapsed_s: float
    downloads: Downloads | None = Field(description="The proposal as files (GET "
                                                    "/api/plan/proposal.{fmt}).")


# --- from a request to a model --------------------------------------------------------------------

def parse_query(model: type[Query], args) -> Query:
    """``model`` from a query string (a werkzeug MultiDict): list fields take every value,
    the others the first; empty values count as absent."""
    data = {}
    for name in args:
        values = [v for v in args.getlist(name) if v.strip()]
        if values:
            data[name] = values if _is_list(model, name) else values[0]
    return validate(model, data, where="parameter")


def parse_body(model: type[BaseModel], body: dict) -> BaseModel:
    return validate(model, body, where="field")


def _is_list(model: type[BaseModel], name: str) -> bool:
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
            problems.append((name, f"`{name}` was {_shown(error['input'])} but must be {allowed}"))
        else:
            problems.append((None, error["msg"]))
    seen, messages = set(), []
    for _, message in problems:
        if message not in seen:
            seen.add(message)
            messages.append(message)
    return InputError("; ".join(messages), parameter=problems[0][0])


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


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
        if "pattern" in schema:
            example = f", e.g. {schema['examples'][0]!r}" if schema.get("examples") else ""
            return f"text matching {schema['pattern']}{example}"
        if "maxLength" in schema:
            low = schema.get("minLength", 0)
            size = f"{low} to {schema['maxLength']}" if low else f"at most {schema['maxLength']}"
            return f"text of {size} characters"
        return "text" + (f" such as {schema['examples'][0]!r}" if schema.get("examples") else "")
    return schema.get("description", "a valid value")
