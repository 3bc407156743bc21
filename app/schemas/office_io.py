"""Requests and answers of the planner view's station import and export (:mod:`app.office_io`).

An import is three steps on one uploaded file: ``POST /api/imports`` (the file as the body),
``POST /api/imports/{upload_id}/preview`` (how it reads with a column mapping, a default kind,
a coordinate system and the monthly sync) and ``POST /api/imports/{upload_id}/apply`` (all or
nothing). ``GET /api/export/stations.{fmt}`` writes the registry, or what the filters show.
Coordinates are WGS-84 (EPSG:4326) degrees unless a field says otherwise.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from app.schemas.fields import KindId, Kinds, Plain
from app.schemas.requests import Body, Query
from app.schemas.responses import Answer
from geo.coords import CRS_NAMES
from geo.io.sheets import CSV_ENCODINGS
from geo.io.stations import COLUMNS

#: What a file's column may be mapped to: a station field.
FieldId = Literal[tuple(COLUMNS)]  # type: ignore[valid-type]
CrsId = Literal[tuple(CRS_NAMES)]  # type: ignore[valid-type]
#: Upload names: the extensions the station reader takes.
NAME_PATTERN = r"^[^/\\]{0,200}\.(?i:csv|tsv|xlsx|geojson|json|gpkg)$"
#: The most columns a mapping names, and rows a preview page shows.
MAX_MAPPED, MAX_PAGE_ROWS = 60, 200

Header = Annotated[str, Field(min_length=1, max_length=200), Plain]


class UploadQuery(Query):
    name: Annotated[str, Field(pattern=NAME_PATTERN, description=(
        "The file's name as the planner chose it (its extension says how to read it: .csv, "
        ".tsv, .xlsx, .geojson, .json, .gpkg); kept in the history."), examples=["驿站.xlsx"]),
        Plain]
    lang: Literal["zh", "en"] | None = Field(None, description=(
        "The language of messages (default: the browser's, Chinese first)."))


class ImportOptions(Body):
    """How to read the uploaded file."""

    columns: dict[Header, FieldId | None] = Field(
        default_factory=dict, max_length=MAX_MAPPED, description=(
            "The file's headers, each mapped to the station field it holds (e.g. {\"X坐标\": "
            "\"lon\"}), or null to leave a column out; over the headers the reader knows. "
            "Remembered for files with the same headers once applied."))
    kind: KindId | None = Field(None, description=(
        "The kind of rows that give none (or of every row when the file has no kind column)."))
    crs: CrsId | None = Field(None, description=(
        "The coordinate system of the file: wgs84 (GPS, OSM), gcj02 (Amap, Tencent), "
        "bd09 (Baidu); null: the one the coordinate headers name (高德经度 …), else wgs84."))
    sync: bool = Field(False, description=(
        "The monthly refresh: stations of the list's operators (管理单位) that the list no "
        "longer holds are closed."))


class PreviewBody(ImportOptions):
    page: int = Field(1, ge=1, le=100_000, description="Page of rows to show, from 1.")
    per_page: int = Field(50, ge=1, le=MAX_PAGE_ROWS, description="Rows per page.")
    only_problems: bool = Field(False, description="Show only the rows with a problem.")


class ApplyBody(ImportOptions):
    pass


class ExportQuery(Query):
    crs: CrsId | None = Field(None, description="Coordinates written in (default wgs84).")
    encoding: Literal[tuple(CSV_ENCODINGS)] | None = Field(  # type: ignore[valid-type]
        None, description="Of a CSV: utf-8 (with a BOM, the default), gbk or gb18030.")
    lang: Literal["zh", "en"] | None = Field(None, description=(
        "Headers and values in Chinese (the default, as union offices write them) or English."))
    kind: Kinds = None
    q: Annotated[str | None, Field(max_length=100, description=(
        "Only stations whose name, address, id or operator holds this text (the planner "
        "view's station search)."))] = None


# --- answers --------------------------------------------------------------------------------------

class CellProblem(Answer):
    row: int | None = Field(description="The row as Excel shows it (the header is row 1).")
    column: str | None = Field(description="The column as the file names it.")
    message: str = Field(description="In the planner's language.")
    key: str | None = Field(description="The message's catalogue key.")


class PreviewRow(Answer):
    row: int
    cells: list[str] = Field(description="The file's cells, in the order of `headers`.")
    problems: dict[str, str] = Field(description="Column index (text) -> the problem there.")


class HeaderInfo(Answer):
    header: str
    field: str | None = Field(description="The station field it fills; null: not read.")
    known: bool = Field(description="The reader knows this header by itself.")


class FieldInfo(Answer):
    field: str
    label: str
    required: bool


class Closing(Answer):
    id: str
    name: str
    operator: str


class CrsHint(Answer):
    crs: str = Field(description="The coordinate system the points fit better.")
    metres: float = Field(description="Median distance to the references as chosen, metres.")
    better_metres: float = Field(description="The same, read in `crs`.")
    against: Literal["stations", "streets"]
    message: str


class Changes(Answer):
    added: int
    updated: int
    unchanged: int
    closed: int
    closing: list[Closing] = Field(description="The stations the sync closes (the first 500).")


class Preview(Answer):
    upload_id: str
    file: str
    format: str
    rows: int
    valid: int
    invalid_rows: int
    headers: list[HeaderInfo]
    fields: list[FieldInfo]
    missing: list[str] = Field(description="Required fields no column fills.")
    columns: dict[str, str | None] = Field(description="The mapping used.")
    remembered: bool = Field(description="The mapping was the one remembered for these headers.")
    problems: list[CellProblem] = Field(description="The first 1,000 problems.")
    problem_count: int
    warnings: list[str]
    page: int
    pages: int
    page_rows: list[PreviewRow]
    points: list[list[float]] = Field(description=(
        "[lon, lat] in WGS-84 of the valid stations as read (at most 5,000, evenly taken)."))
    crs: str = Field(description="The coordinate system the file was read in.")
    crs_hint: CrsHint | None
    changes: Changes | None = Field(description="Against the registry; null with problems.")


class ApplyResult(Answer):
    file: str
    added: int
    updated: int
    unchanged: int
    closed: int
    source: str = Field(description="As the station history records it.")
    actor: str


class ImportProblems(Answer):
    """A refusal; when it is the file's, every problem (the first 1,000) and how many."""

    error: str
    parameter: str | None
    problems: list[CellProblem] = Field(default_factory=list)
    problem_count: int = 0
