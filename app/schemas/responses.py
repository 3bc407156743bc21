"""The JSON API's answers as pydantic models: what the views send, for ``/api/openapi.json``.

The views build their answers with geo; these models describe them (:mod:`app.openapi` writes
them into the document) and the tests check real answers against them. :class:`Error` is every
4xx and 5xx answer, ``{"error", "parameter"}``, with a few that say more (:class:`OffNetwork`,
:class:`DemandProblems`, :class:`StaleVersion`). Coordinates are WGS-84 (EPSG:4326) degrees,
distances metres, durations seconds, budgets minutes.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app import settings as app_settings
from app.schemas.fields import (
    AccessId,
    GroupId,
    KindName,
    ModeId,
    ReportKind,
    ReportStatus,
    RoleId,
    ServiceName,
)
from geo import settings
from geo.basemap import ROAD_CLASSES


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Error(BaseModel):
    """A failed request: what was wrong, and the parameter or field at fault."""

    error: str
    parameter: str | None


class ServedRegion(Answer):
    id: str = Field(description="The region's name, as the `region` parameter takes it.")
    label: str = Field(description="Its name in the request's language.")


class OffNetwork(Error):
    distance_m: float = Field(description="From the point to the network, metres.")
    regions: list[ServedRegion] | None = Field(None, description=(
        "A deployment of several regions, when the point lies outside all of them: the "
        "regions it serves (the message names them too)."))


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
    kind: KindName
    address: str
    services: list[ServiceName]
    other_services: list[str] = Field(default_factory=list, description=(
        "Service words the station's list wrote that name no known service, as written "
        "(shown, never matched by a service filter)."))
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
    kind: KindName
    distance_m: float = Field(ge=0)
    duration_s: float = Field(ge=0)
    lon: float
    lat: float
    open: bool | None
    services: list[ServiceName]
    other_services: list[str] = Field(default_factory=list, description=(
        "Service words the station's list wrote that name no known service, as written."))
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


class ReportEntry(Answer):
    """One worker's words and position on a report."""

    text: str
    lon: float | None = Field(description="Where the worker was, EPSG:4326 degrees (or null).")
    lat: float | None
    at: datetime = Field(description="When they reported.")


class Report(Answer):
    """A report as planners read it."""

    id: int
    station_id: str
    kind: ReportKind
    text: str = Field(description="The first worker's words (all of them are in `entries`).")
    lon: float | None = Field(description="Where the first worker was, EPSG:4326 degrees.")
    lat: float | None
    created_at: datetime = Field(description="The first report of it.")
    count: int = Field(ge=1, description=(
        "How many times workers reported it: the same problem at the same station while the "
        f"report is open, within {app_settings.report_fold_hours:g} hours of the first, counts "
        "here instead of making a new report."))
    last_at: datetime | None = Field(description="The latest report of it.")
    status: ReportStatus
    handled_at: datetime | None = Field(description="When a planner marked it handled.")
    entries: list[ReportEntry] = Field(description=(
        "Each worker's words and position, first to last: those who wrote something or gave a "
        f"position, at most {app_settings.report_entries_max} per report (the first report "
        "counted among them)."))


class Reports(Answer):
    reports: list[Report]


class ReportNote(Answer):
    """Something the worker should know about their own report."""

    code: Literal["text_cleaned", "not_kept"] = Field(description=(
        "text_cleaned: characters no text may hold were removed from `text`; not_kept: the "
        "report counted, but the open report it counts on holds "
        f"{app_settings.report_entries_max} workers' words already, so this one's text and "
        "position were not kept."))
    message: str = Field(description="The note in the client's language (Accept-Language or "
                                     "?lang=).")


class ReportReceipt(Answer):
    """A worker's report was received. It says nothing of any other worker's report."""

    received: Literal[True]
    station_id: str
    kind: ReportKind
    counted_on_open_report: bool = Field(description=(
        "The same problem at this station was reported already and is open: this report "
        "counts on it."))
    notes: list[ReportNote] = Field(description="Empty when the words were kept as sent.")


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
    must_change: bool = Field(False, description=(
        "Whether the password was given by an administrator and must be changed (POST "
        "/api/password) before any change is accepted."))
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


class DistrictShare(Answer):
    total: float = Field(description="Workers.")
    covered: float
    share: Share


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
    by_district: dict[str, DistrictShare] | None = Field(None, description=(
        "Per district of the uploaded district boundaries (none uploaded: absent)."))


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
    name: str = Field(description="After the nearest named street: 双林巷附近, or its "
                                  "coordinates when none is near.")
    name_en: str = Field(description="The same in English: near 双林巷.")
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
    area: str | None = Field(None, description="The organisation whose area the workers were "
                                               "counted in (absent: everywhere).")
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
    name_en: str | None = Field(None, description="A gap site's name in English: near 双林巷.")
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
    kind: KindName
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
    area: str | None = Field(None, description="The organisation whose area the workers and new "
                                               "sites lie in (absent: everywhere).")
    downloads: Downloads | None = Field(description="The proposal as files (GET "
                                                    "/api/plan/proposal.{fmt}).")


class JobStage(Answer):
    """A step of an analysis job, named in both languages."""

    key: Literal["queued", "demand", "coverage", "gaps", "candidates", "matrix", "solving",
                 "done", "failed", "cancelled"]
    zh: str
    en: str


class JobFailure(Error):
    """What the synchronous endpoint would have answered instead of a result."""

    status: int = Field(ge=400, le=599, description="Its HTTP status (404: no demand file, "
                                                     "409: a bad demand file …).")
    problems: list[Problem] | None = Field(None, description="Each problem of the server's "
                                                             "demand file (status 409).")


class Job(Answer):
    """A coverage or siting run of a planner, as a job (poll GET /api/jobs/{job_id})."""

    id: str = Field(description="Name it in GET and DELETE /api/jobs/{job_id}.")
    analysis: Literal["coverage", "plan"]
    state: Literal["queued", "running", "cancelling", "done", "failed", "cancelled"] = Field(
        description="queued → running → done, failed or cancelled; cancelling while a cancel "
                    "waits for the analysis's next step.")
    stage: JobStage
    progress: float = Field(ge=0, le=1, description="Share of the work done, 0 to 1.")
    queue_position: int | None = Field(ge=0, description=(
        "While queued: analyses ahead of this one in its server process (the running one "
        "included); 0 while running; null once finished."))
    created_at: datetime
    finished_at: datetime | None
    expires_at: datetime = Field(description="The job and its result are deleted after this.")
    failure: JobFailure | None = Field(description="Why it failed (state `failed`).")
    result: Coverage | Plan | None = Field(description=(
        "The answer of GET /api/coverage or POST /api/plan for the same parameters (state "
        "`done`)."))
