"""The JSON API's requests as pydantic models: query strings (:class:`Query`) and JSON object
bodies (:class:`Body`).

Each model both checks a request (:func:`app.schemas.validation.parse_query`,
:func:`~app.schemas.validation.parse_body`) and writes its part of ``/api/openapi.json``
(:mod:`app.openapi`); the limits and the parsers of typed values are in
:mod:`app.schemas.fields`. Unknown parameters and fields are refused. Coordinates are WGS-84
(EPSG:4326) degrees, budgets minutes.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.accounts import MAX_NAME, MAX_PASSWORD
from app.reports import MAX_TEXT, REPORT_KINDS
from app.schemas.fields import (
    BBOX_TEXT,
    DEFAULT_REPORTS,
    H3_RANGE,
    KINDS_TEXT,
    MAX_ADD,
    MAX_CAPACITY,
    MAX_CURVE,
    MAX_REPORTS,
    Access,
    At,
    Bbox,
    Encodable,
    Flag,
    Groups,
    Hours,
    Kind,
    Kinds,
    Lat,
    Lon,
    Minutes,
    ModeId,
    Name,
    OpenAt,
    OtherServices,
    Plain,
    ReportKind,
    ReportStatus,
    Services,
    StationId,
    StationServices,
    StrictLat,
    StrictLon,
    Target,
    Text,
    Version,
    count,
    text_field,
)
from geo import settings
from geo.errors import InputError
from geo.output.plan import PROPOSAL_LANGS
from geo.stations import SERVICE_WORD_CHARS


class Query(BaseModel):
    """Query parameters; unknown ones are refused.

    ``rules`` says in words what the parameters must be together, beyond each one's schema
    (OpenAPI cannot relate two query parameters); the document lists them with the 400."""

    model_config = ConfigDict(extra="forbid")
    rules: ClassVar[tuple[str, ...]] = ()


class Body(BaseModel):
    """A JSON object body; unknown fields are refused. ``rules`` as for :class:`Query`."""

    model_config = ConfigDict(extra="forbid")
    rules: ClassVar[tuple[str, ...]] = ()


#: The region of a deployment of several regions (app.deployment) a request is for.
RegionName = Annotated[str | None, Field(max_length=100, description=(
    "On a server of several regions (`yizhan serve --deployment`): the region's name, one of "
    "those the finder page offers (400 naming `region` for another). Default: the region "
    "holding the point (or the box's centre), else the deployment's first. A server of one "
    "region takes none (400).")), Plain]


class RegionQuery(Query):
    """The query of what belongs to one region: its basemap, networks and streets."""

    region: RegionName = None


class StationsQuery(Query):
    rules = ("a `bbox` with west ≥ east or south ≥ north (an empty box)",)

    kind: Kinds = None
    service: Services = None
    open_at: OpenAt = None
    bbox: Annotated[Bbox, Field(description=f"Only the stations in this box, edges included: "
                                             f"{BBOX_TEXT}.")] = None
    region: RegionName = None


class NearestQuery(Query):
    rules = ("`open_at` together with `open_now` on (one time, please)",)

    lat: Lat
    lon: Lon
    mode: Annotated[ModeId | None, Plain] = Field(None, description=(
        "Travel mode (default walk, when the server has it)."))
    kind: Kinds = None
    service: Services = None
    open_at: Annotated[OpenAt, Field(description=(
        "Only stations open at this time: ISO 8601, without an offset in the stations' zone "
        f"({settings.timezone}). Not together with `open_now` on (400)."))] = None
    open_now: Flag = Field(None, description="Only stations open now. Not together with "
                                             "`open_at` (400).")
    k: int = Field(settings.default_k, ge=1, le=settings.max_k, description="How many stations.")
    route: Flag = Field(None, description="Include each route as a GeoJSON LineString.")
    region: RegionName = None

    @model_validator(mode="after")
    def _one_time(self):
        if self.open_now and self.open_at is not None:
            raise InputError("give `open_at` or `open_now`, not both", parameter="open_now")
        return self


class _CoverageFields(BaseModel):
    """The parameters of a coverage run, written once for the query and the job's body."""

    group: Groups = None
    at: Annotated[At, Field(description=(
            "Count only the stations open at this time: HH:MM today "
            f"({settings.timezone}) or an ISO time; `by_hour` is for that day."))] = None
    minutes: Minutes = None
    h3_res: int = Field(settings.h3_res, ge=H3_RANGE[0], le=H3_RANGE[1],
                        description="H3 resolution of the cells and gap areas.")
    region: RegionName = None


class CoverageQuery(_CoverageFields, Query):
    """The query of GET /api/coverage."""


class CoverageParams(_CoverageFields, Body):
    """The parameters of a coverage run as a job (the body of POST /api/jobs/coverage): those of
    GET /api/coverage."""


class ReportsQuery(Query):
    station_id: str | None = Field(None, description="Only this station's.")
    status: ReportStatus | None = Field(None, description="Only the open or the handled ones.")
    limit: int = Field(DEFAULT_REPORTS, ge=1, le=MAX_REPORTS, description="At most this many.")


class PlanParams(Body):
    """The parameters of a siting run (the body of POST /api/plan)."""

    rules = ("both `add` and `target`, or neither: give exactly one",)

    kind: Annotated[Kind, Field(description=(
        f"Kind of the new stations: {KINDS_TEXT}. Chinese names are accepted too."))]
    add: Annotated[count(MAX_ADD), Field(description=(  # type: ignore[valid-type]
        "How many new stations (maximal covering). Give this or `target`."))] = None
    target: Annotated[Target, Field(description=(
            "The share of the workers of the groups planned for (`group`, together; not of every "
            "group) to reach with the fewest new stations (set covering): 0.9 or 90 — a number "
            "above 0 and up to 1 is a share, above 1 and up to 100 a percentage. Give this or "
            "`add`."))] = None
    minutes: Minutes = None
    group: Groups = None
    curve: Annotated[count(MAX_CURVE), Field(description=(  # type: ignore[valid-type]
        "Also the best share with 1 … curve new stations."))] = None
    at: Annotated[At, Field(description=(
            "Plan for this time: the existing stations count only if open then (HH:MM today, "
            f"{settings.timezone}, or an ISO time; the planner view sends the hour shown). "
            "Default: every station counted open."))] = None
    region: RegionName = None

    @model_validator(mode="after")
    def _one_goal(self):
        if (self.add is None) == (self.target is None):
            raise InputError(f"give exactly one of `add` (how many new stations, 1 to {MAX_ADD}) "
                             "or `target` (the share of workers to reach: 0.9 or 90)",
                             parameter="add")
        return self

    def plan_args(self) -> dict:
        """Keyword arguments of :meth:`app.state.AppState.plan` (``target`` as a share)."""
        return {"kind": self.kind, "add": self.add, "target": self.target,
                "minutes": self.minutes, "groups": self.group, "curve": self.curve,
                "at": self.at}


class ProposalQuery(PlanParams):
    v: Annotated[str | None, Plain] = Field(None, max_length=40, description=(
        "The registry version the plan was made at, e.g. 62-62 (409 when the stations changed "
        "since)."))
    lang: Annotated[Literal[PROPOSAL_LANGS], Plain] = Field(  # type: ignore[valid-type]
        "en", description=(
        "Language of the file's headers: en (rank, id, name, lon, lat …) or zh (排名, 编号, 名称, "
        "经度, 纬度 …, for a union office's Excel or WPS)."))


class ReportBody(Body):
    model_config = ConfigDict(json_schema_extra={
        "dependentRequired": {"lon": ["lat"], "lat": ["lon"]}})
    rules = ("`lon` without `lat` or `lat` without `lon` (give both or neither)",
             "a `station_id` that is no open station's")

    station_id: Annotated[str, Field(min_length=1, max_length=200, strict=True,
                                     description="The station reported.")]
    kind: ReportKind = Field(description="What is wrong: " + ", ".join(
        f"{k} ({zh})" for k, (zh, _) in REPORT_KINDS.items()))
    text: Annotated[Text, Field(max_length=MAX_TEXT, strict=True, description=(
        "What the worker wants the planners to know (planners only read it). Control and "
        "bidirectional characters, lone surrogates and noncharacters are removed, and the answer "
        "says so (`notes`)."))] = ""
    lon: StrictLon | None = Field(None, description="Where the worker was (with `lat`; both "
                                                    "numbers or both null; planners only see "
                                                    "it).")
    lat: StrictLat | None = Field(None, description="With `lon`.")

    @model_validator(mode="after")
    def _both(self):
        given = {"lon", "lat"} & self.model_fields_set
        if len(given) == 1 or (self.lon is None) != (self.lat is None):
            raise InputError("give both `lon` and `lat`, or neither",
                             parameter="lat" if self.lat is None else "lon")
        return self


class ReportPatch(Body):
    status: ReportStatus = Field(description="handled: a planner has dealt with it; open: not "
                                             "yet (again).")


class LoginBody(Body):
    user: Annotated[str, Plain] = Field(min_length=1, max_length=MAX_NAME, strict=True,
                                        description="The user name (`yizhan user add NAME`).")
    password: Annotated[str, Encodable] = Field(min_length=1, max_length=MAX_PASSWORD, strict=True)


class StationFields(Body):
    """Fields of a station; in a PATCH, those left out keep their values."""

    rules = ("a `crs` other than wgs84 with only one of `lon` and `lat`",
             "a position outside this server's region (are `lon` and `lat` swapped?)",
             "text holding control or bidirectional characters, lone surrogates or "
             "noncharacters (any text field; the 400 names the field and the character, e.g. "
             "U+D800), opening hours or services that cannot be read",
             "a service word in `other_services` that is too long, holds a separator or names "
             "a known service")

    id: StationId | None = Field(None, description=(
        "Letters (Chinese too), digits, '-', '_' and '.'; leave it out for a stable id made "
        "from kind, name and place."))
    name: Name = None
    kind: Annotated[Kind, Field(description=(
        f"{KINDS_TEXT}; Chinese names such as 司机之家 are accepted too."))] = None
    lon: StrictLon = None
    lat: StrictLat = None
    crs: Annotated[Literal["wgs84", "gcj02", "bd09"], Plain] = Field("wgs84", description=(
        "The coordinate system of `lon`/`lat`: 'gcj02' for coordinates copied from Amap or "
        "Tencent, 'bd09' from Baidu; stored as WGS-84."))
    services: Annotated[StationServices, Field(description=(
        "Service ids, or a text such as '休息、厕所、热水'."))] = None
    other_services: Annotated[OtherServices, Field(description=(
        "Service words that name no known service, kept and shown as written (never matched "
        "by a service filter), such as ['母婴室', '一台冰箱']: each at most "
        f"{SERVICE_WORD_CHARS} characters, without separators (、 , ; /) or spaces around it, "
        "none naming a known service (those go in `services`); null or [] for none."))] = None
    hours: Annotated[Hours, Field(description="OpenStreetMap opening_hours, or Chinese such as "
                                         "'周一至周五 8:30-18:00'.")] = None
    capacity: int | None = Field(None, ge=0, le=MAX_CAPACITY, strict=True,
                                 description="People; null when unknown.")
    access: Access = None
    address: text_field("address") = None  # type: ignore[valid-type]
    phone: text_field("phone") = None  # type: ignore[valid-type]
    operator: text_field("operator") = None  # type: ignore[valid-type]
    notes: text_field("notes") = None  # type: ignore[valid-type]


class StationPatch(StationFields):
    """Fields of a station to change (those left out keep their values), and the version the
    change starts from (here or in If-Match)."""

    rules = (*StationFields.rules, "an `id` other than the station's (ids do not change)",
             "a `version` that differs from If-Match")

    version: Version = None


class StationCreate(StationFields):
    """A new station."""

    name: Name
    kind: Annotated[Kind, Field(description=(
        f"{KINDS_TEXT}; Chinese names such as 司机之家 are accepted too."))]
    lon: StrictLon
    lat: StrictLat


class DeleteBody(Body):
    """Optional body of DELETE /api/stations/{station_id}: the version closed (or If-Match)."""

    version: Version = None

