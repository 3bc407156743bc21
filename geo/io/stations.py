"""Reading and writing station lists: CSV (UTF-8, GBK/GB18030, UTF-16), XLSX, GeoJSON,
GeoPackage.

Headers may be English (``id, name, kind, lon, lat, …``) or the Chinese a union office types
(``编号, 站点名称, 类型, 经度, 纬度, …``). Coordinates may be WGS-84, GCJ-02 (Amap, Tencent) or
BD-09 (Baidu), said by the caller or by the headers (``gcj02_lon``, ``百度纬度``); everything read
is converted to WGS-84. Reading is :mod:`geo.io.tables` with the station schema: every problem is
collected with the file, the row number as Excel shows it, and the column as the file names it.

Lists as offices keep them import the first time: a default kind for rows without one, kinds
read from names that say them (``XX司机之家``), service words outside the vocabulary kept as
written, hours that cannot be read kept in the notes — each said in a :class:`ReadWarning`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from geo import coords, settings
from geo.catalogue import active_catalogue
from geo.errors import DataFileError, InputError, Message, Problem, message_of
from geo.io import sheets, tables
from geo.io._station_columns import (
    ColumnPlan,
    ReadWarning,
    has_column,
    names_say_kinds,
    plan_columns,
    rows_text,
)
from geo.stations import (
    ACCESS,
    KINDS,
    SERVICES,
    Station,
    check_service_word,
    check_station_id,
    check_text,
    format_hours_zh,
    normalize_hours,
    parse_access,
    parse_kind,
    read_services,
    stable_id,
)
from geo.vocabulary import kind_from_name

__all__ = ["COLUMNS", "FORMATS", "LANGS", "ZH_HEADERS", "ReadResult", "ReadWarning",
           "load_stations", "read_stations", "read_table", "stations_frame", "unreadable_text",
           "write_stations"]

#: Column order of exported files (the English headers).
COLUMNS = ["id", "name", "kind", "lon", "lat", "address", "services", "hours", "capacity",
           "access", "phone", "operator", "notes"]

#: The headers of an export in Chinese (``lang="zh"``), as union offices write them; every one is
#: also a header the reader accepts.
ZH_HEADERS = {"id": "编号", "name": "站点名称", "kind": "站点类型", "lon": "经度", "lat": "纬度",
              "address": "地址", "services": "服务项目", "hours": "开放时间", "capacity": "容量",
              "access": "开放对象", "phone": "联系电话", "operator": "管理单位", "notes": "备注"}

#: Languages of an export's headers and values.
LANGS = ("en", "zh")

FORMATS = tables.FORMATS


def _unescaping(column: tables.Column) -> tables.Column:
    """``column`` reading cells that :func:`geo.io.sheets.escape_text` wrote (``'=…`` → ``=…``)."""
    parse = column.parse
    return replace(column, parse=lambda text: parse(sheets.unescape_text(text)))


def _station_schema(crs: str, *, escaped: bool = False, area: coords.Area | None = None,
                    kind_required: bool = True) -> tables.Schema:
    """The station columns; ``escaped``: the cells of a CSV whose formula-like text was written
    with a leading ``'`` (see :mod:`geo.io.sheets`); ``area``: the deployment's, which every
    station must lie in; ``kind_required``: a file must have a kind column (else an empty
    kind is given by the reader: from the name, or the default kind)."""
    schema = _station_columns(crs, area)
    if not kind_required:
        schema = schema.with_default("kind", None)
    if escaped:
        schema = replace(schema, columns=tuple(_unescaping(c) for c in schema.columns))
    return schema


def _text(field: str) -> Callable[[str], str]:
    """A parser for the text of station field ``field``: bounded, no control characters
    (:func:`geo.stations.check_text`)."""
    return lambda text: check_text(field, text)


class _KeptHours(str):
    """Hours as written that :func:`geo.stations.normalize_hours` cannot read: kept in the
    notes, the hours unknown."""


@lru_cache(maxsize=4096)  # a list repeats a few hours and service cells over thousands of rows
def _hours(text: str) -> str:
    text = check_text("hours", text)
    try:
        return normalize_hours(text)
    except InputError:
        return _KeptHours(text)


@lru_cache(maxsize=4096)
def _services(text: str) -> tuple[frozenset[str], tuple[str, ...]]:
    ids, words = read_services(text)
    for word in words:
        check_service_word(word)
    return ids, words


def _station_id(text: str) -> str:
    return check_station_id(tables.identifier(text))


def _station_columns(crs: str, area: coords.Area | None = None) -> tables.Schema:
    kinds = ", ".join(f"{k} ({zh})" for k, (zh, _) in KINDS.items())
    lon = replace(tables.LON, aliases=("经度", "longitude", "lng", "x"))
    lat = replace(tables.LAT, aliases=("纬度", "latitude", "y"))
    columns: tuple[tables.Column, ...] = (
        tables.Column("id", ("编号", "序号id", "站点编号", "编码", "站点id"), _station_id,
                      default=""),
        tables.Column("name", ("名称", "站点名称", "驿站名称", "站名", "服务站名称",
                               "站点全称", "阵地名称"), _text("name"),
                      required=True, if_empty=Message("the name is empty", "empty_name")),
        tables.Column("kind", ("类型", "站点类型", "类别", "驿站类型", "站点类别"), parse_kind,
                      required=True,
                      if_empty=Message(f"the kind is empty; use one of {kinds}", "empty_kind",
                                       allowed=kinds)),
        lon, lat,
        tables.Column("address", ("地址", "详细地址", "站点地址", "具体地址", "所在位置",
                                  "位置"), _text("address"), default=""),
        tables.Column("services", ("服务", "服务项目", "服务内容", "功能", "配套设施", "service",
                                   "服务功能", "配备设施", "设施配备", "站内设施", "服务设施",
                                   "提供服务"), _services, default=(frozenset(), ())),
        tables.Column("hours", ("开放时间", "服务时间", "营业时间", "opening_hours",
                                "开放时段", "服务时段", "开放时长"), _hours, default=""),
        tables.Column("capacity", ("容量", "可容纳人数", "容纳人数", "车位数"), _capacity),
        tables.Column("access", ("开放对象", "服务对象"), parse_access, default="public"),
        tables.Column("phone", ("电话", "联系电话", "联系方式", "服务电话", "咨询电话", "tel",
                                "telephone", "电话号码"),
                      _text("phone"), default=""),
        tables.Column("operator", ("运营单位", "管理单位", "建设单位", "承办单位", "所属单位",
                                   "责任单位", "主管单位"), _text("operator"), default=""),
        tables.Column("notes", ("备注", "说明", "note"), _text("notes"), default=""),
    )
    columns = tuple(replace(c, zh=ZH_HEADERS[c.name]) for c in columns)
    return tables.Schema("stations", columns, checks=(tables.lonlat_check(crs, area),))


def _capacity(text: str) -> int:
    limit = settings.max_capacity
    try:
        value = tables.whole_number(text)
    except ValueError:
        value = -1
    if not 0 <= value <= limit:
        raise ValueError(Message(f"capacity {text[:40]!r} must be a whole number from 0 to "
                                 f"{limit:,}", "capacity_range", value=repr(text[:40]),
                                 max=f"{limit:,}"))
    return value


#: Every accepted header (folded, see :func:`geo.io.tables.fold`) and the column it fills.
HEADER_ALIASES: dict[str, str] = dict(_station_schema("wgs84").lookup)


@dataclass
class ReadResult:
    """What a station file held: the valid stations, every problem and every warning.

    Attributes
    ----------
    rows
        The non-empty data rows.
    problems
        Each with the file, its Excel row, the column as the file names it and, for a problem
        of a cell, its field id (a :class:`geo.io.tables.CellProblem`: ``field``); the message
        is a :class:`geo.errors.Message` (``key``, ``params``) when it can be translated. A row
        with a problem gives no station.
    warnings
        What was read differently from how it was written, refusing nothing
        (:class:`ReadWarning`: service words kept, hours kept in the notes, kinds read from
        names or given by default, which coordinate columns gave the position).
    ignored_columns
        The headers the reader did not recognise, as the file names them.
    columns
        Field id -> the header that gave it (``geometry`` for a GeoJSON/GeoPackage position).
    crs
        The system the coordinates were read in (converted to WGS-84).
    """

    file: str
    rows: int
    stations: list[Station] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    warnings: list[ReadWarning] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    crs: str = "wgs84"

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        """JSON-ready: file, rows, valid, crs, columns, ignored_columns, problems (each with
        file, row, column, field, message and, when keyed, key and params) and warnings
        (:meth:`ReadWarning.as_dict`)."""
        return {"file": self.file, "rows": self.rows, "valid": len(self.stations),
                "crs": self.crs, "columns": self.columns,
                "ignored_columns": self.ignored_columns,
                "problems": [p.as_dict() for p in self.problems],
                "warnings": [w.as_dict() for w in self.warnings]}


def read_table(path: str | os.PathLike[str]) -> tuple[pd.DataFrame, int]:
    """The raw cells of a table file as strings, and the Excel row number of its first data row.

    Kept for callers written before :mod:`geo.io.tables`; new code reads with
    :func:`geo.io.tables.read` and a schema, which numbers every row as Excel shows it.
    Rows missing between data rows (empty rows) come back empty, so ``first_row + offset`` is
    the row number. For GeoJSON and GeoPackage, point geometries fill ``lon``/``lat`` and the
    first data row is 1.

    Raises
    ------
    DataFileError
        When the file is missing, empty or not readable as its extension says.
    """
    table = tables.read_table(path)
    header = [h if h else f"Unnamed: {i}" for i, h in enumerate(table.header)]
    first = table.rows[0][0] if table.rows else (table.header_row or 0) + 1
    last = table.rows[-1][0] if table.rows else first - 1
    cells = {row: values for row, values in table.rows}
    width = len(header)
    records = [(cells.get(row, []) + [""] * width)[:width] for row in range(first, last + 1)]
    frame = pd.DataFrame(records, columns=header, dtype=str)
    if table.geometry is not None:
        tables.check_points(table, "stations")
        frame["lon"] = ["" if g is None else repr(g.x) for g in table.geometry]
        frame["lat"] = ["" if g is None else repr(g.y) for g in table.geometry]
    return frame, first


def read_stations(path: str | os.PathLike[str], *, crs: str | None = None,
                  kind: str | None = None, columns: Mapping[str, str | None] | None = None,
                  region: str | None = "any") -> ReadResult:
    """Read and validate a station list.

    Parameters
    ----------
    path
        CSV, XLSX, GeoJSON or GeoPackage file.
    crs
        Coordinate system of the file's coordinates: ``wgs84``, ``gcj02`` or ``bd09``. None
        (the default): the system the coordinate headers name (``gcj02_lon``, ``高德经度``,
        ``bd09_lat``, ``百度纬度``, ``wgs84_lon`` …), else WGS-84. Given, it is the system every
        coordinate is read in, whatever the headers name (a ``crs_override`` warning says so
        when they name another), and it picks the pair of that name when a file has several.
        A file with several pairs and no ``crs`` is read from its WGS-84 pair, else a pair
        naming no system, else GCJ-02, else BD-09 (a ``coordinates_used`` warning says which).
        Stations come back in WGS-84.
    kind
        The default kind (an id or a name such as ``工会驿站``) of rows without one: no kind
        column, or an empty cell, and a name that does not say the kind (``XX司机之家``,
        ``XX环卫工人爱心驿站``, ``XX工会驿站`` do: such rows take the kind their name says,
        reported as ``kind_inferred``). None: such rows are problems (a file without a kind
        column whose names all say their kind needs none).
    columns
        A header as the file names it -> the field it gives (``id``, ``name``, ``kind``,
        ``lon``, ``lat``, ``address``, ``services``, ``hours``, ``capacity``, ``access``,
        ``phone``, ``operator``, ``notes``), or None to pass a column over; before and over the
        recognised headers (:data:`HEADER_ALIASES`), and a header it names that another field
        would also take is not used for that field.
    region
        The deployment's region (:func:`geo.coords.deployment_area`): ``china``, a box
        ``west,south,east,north``, None for ``$YIZHAN_BOUNDS`` or :data:`geo.settings.bounds`;
        a station outside it is a problem of its row (are longitude and latitude swapped?).
        ``any`` (the default here; the command line and the API use the deployment's) checks
        nothing.

    Returns
    -------
    ReadResult
        The valid stations, every problem (file, Excel row, column as the file names it, field
        id, message) and every warning. Rows with problems give no station. Every cell is
        checked against the limits of :mod:`geo.settings` (``station_text_chars``,
        ``station_id_chars``, ``max_capacity``). A service word that names no known service
        is kept as written (:attr:`geo.stations.Station.other_services`, ``services_kept``);
        hours that cannot be read are added to the notes as ``<hours header>：<text>`` and the
        hours are unknown (``hours_kept``).

    Raises
    ------
    DataFileError
        When the file cannot be read at all, or holds other geometries than points.
    InputError
        For an unknown ``crs``, ``kind`` or ``region``, or ``columns`` naming a header the file
        lacks or a field that does not exist (parameter ``columns``).
    """
    asked = None if crs is None else tables.check_crs(crs)
    default_kind = None if kind is None else parse_kind(kind)
    area = coords.deployment_area(region)
    base = _station_schema("wgs84")
    table = tables.read_table(path, known=lambda h: h in base.lookup or bool(
        tables.coordinate_header(h)))
    plan = plan_columns(table, base, columns, asked)
    kind_required = default_kind is None and not has_column(table, base, plan.columns, "kind") \
        and not names_say_kinds(table, base, plan.columns)
    csv = Path(path).suffix.lower() in (".csv", ".tsv")
    schema = _station_schema(plan.crs, escaped=csv, area=area, kind_required=kind_required)
    if not kind_required:
        schema = replace(schema, checks=(*schema.checks, _kind_check(default_kind)))
    parsed = tables.parse(table, schema, columns=plan.columns)
    result = ReadResult(parsed.file, parsed.rows, [], parsed.problems, parsed.ignored,
                        plan.warnings, dict(parsed.columns), plan.crs)
    placed = _placed(parsed, plan)
    repeated = tables.duplicates(parsed, ((row, s.id) for row, s in placed))
    placed = [(row, s) for row, s in placed if row not in repeated]
    _near_duplicates(placed, parsed)
    bad_rows = {p.row for p in parsed.problems}
    result.stations = [s for row, s in placed if row not in bad_rows]
    result.warnings += _warnings(parsed, default_kind)
    return result


def _kind_check(default: str | None) -> tables.Check:
    """A row without a kind takes the one its name says, else ``default``; else its empty kind
    is a problem. Marks how (``values["kind_from"]``: ``name`` or ``default``)."""
    kinds = ", ".join(f"{k} ({zh})" for k, (zh, _) in KINDS.items())

    def check(values: dict) -> Iterable[tuple[str, str]]:
        if values["kind"] is not None:
            return
        inferred = kind_from_name(values["name"])
        if inferred is not None:
            values["kind"], values["kind_from"] = inferred, "name"
        elif default is not None:
            values["kind"], values["kind_from"] = default, "default"
        else:
            yield "kind", Message(f"the kind is empty; use one of {kinds}", "empty_kind",
                                  allowed=kinds)

    return tables.Check(("name", "kind"), check)


def _placed(parsed: tables.Parsed, plan: ColumnPlan) -> list[tuple[int, Station]]:
    """The stations of the rows without problems, in WGS-84, by Excel row; hours that could
    not be read go to the notes (a note too long then is a problem of its row)."""
    records = parsed.records
    lons, lats = coords.to_wgs84(np.array([r.values["lon"] for r in records], dtype=float),
                                 np.array([r.values["lat"] for r in records], dtype=float),
                                 plan.crs)
    placed: list[tuple[int, Station]] = []
    for record, lon, lat in zip(records, lons.tolist(), lats.tolist(), strict=True):
        v = record.values
        hours, notes = v["hours"], v["notes"]
        if isinstance(hours, _KeptHours):
            kept = f"{parsed.columns['hours']}：{hours}"
            notes, hours = (f"{notes}\n{kept}" if notes else kept), ""
            try:
                check_text("notes", notes)
            except InputError as exc:
                parsed.problem(record.row, "hours", message_of(exc))
                continue
        services, words = v["services"]
        if not services and not words:  # a row that names no services: its kind's, if any
            services = frozenset(_kind_services(v["kind"]))
            if services:
                v["services_from"] = "kind"
        station_id = v["id"] or stable_id(v["kind"], v["name"], lon, lat)
        placed.append((record.row, Station(
            id=station_id, name=v["name"], kind=v["kind"], lon=lon, lat=lat,
            address=v["address"], services=services, other_services=words, hours=hours,
            capacity=v["capacity"], access=v["access"], phone=v["phone"],
            operator=v["operator"], notes=notes, timezone=settings.timezone)))
    return placed


def _kind_services(kind: str) -> tuple[str, ...]:
    """The services a kind of the deployment's catalogue offers (:mod:`geo.catalogue`; none
    for the built-in kinds)."""
    entry = active_catalogue().kinds.get(kind)
    return entry.services if entry is not None else ()


def _services_of_kind(records: list[tables.Record]) -> ReadWarning | None:
    """The warning that rows naming no services were given their kind's."""
    given: dict[str, list[int]] = {}
    for record in records:
        if record.values.get("services_from") == "kind":
            given.setdefault(record.values["kind"], []).append(record.row)
    if not given:
        return None
    n = sum(len(r) for r in given.values())
    listed = "; ".join(f"{k} ({KINDS[k][0]}): {', '.join(_kind_services(k))} in rows "
                       f"{rows_text(r)}" for k, r in given.items())
    listed_zh = "；".join(f"{KINDS[k][0]}（{'、'.join(SERVICES[s][0] for s in _kind_services(k))}"
                         f"）：第 {rows_text(r)} 行" for k, r in given.items())
    return ReadWarning("services_of_kind", Message(
        f"{n} row(s) name no services and were given the services of their kind: {listed}",
        "services_of_kind", n=n, kinds=listed, kinds_zh=listed_zh),
        tuple(sorted(r for rows in given.values() for r in rows)), None, "services",
        {"kinds": {k: list(_kind_services(k)) for k in given}})


def _warnings(parsed: tables.Parsed, default_kind: str | None) -> list[ReadWarning]:
    """What the rows that gave stations had read differently: service words kept, hours kept,
    kinds from names or by default."""
    bad = {p.row for p in parsed.problems}
    records = [r for r in parsed.records if r.row not in bad]
    warnings = []
    words: dict[str, list[int]] = {}
    for record in records:
        for word in record.values["services"][1]:
            words.setdefault(word, []).append(record.row)
    if words:
        listed = ", ".join(f"{w!r} ({len(r)} row{'s' if len(r) > 1 else ''})"
                           for w, r in words.items())
        listed_zh = "、".join(f"“{w}”（{len(r)} 行）" for w, r in words.items())
        column = parsed.columns.get("services")
        warnings.append(ReadWarning("services_kept", Message(
            f"{len(words)} service word(s) name no known service and are kept as written: "
            f"{listed}", "services_kept", n=len(words), words=listed, words_zh=listed_zh,
            column=column), tuple(sorted({r for rows in words.values() for r in rows})),
            column, "services", {"words": words}))
    kept = {r.row: str(r.values["hours"]) for r in records
            if isinstance(r.values["hours"], _KeptHours)}
    if kept:
        column = parsed.columns.get("hours")
        warnings.append(ReadWarning("hours_kept", Message(
            f"the hours of {len(kept)} row(s) cannot be read; they are kept in the notes and "
            f"the hours are unknown (rows {rows_text(kept)})", "hours_kept", n=len(kept),
            rows=rows_text(kept), column=column), tuple(kept), column, "hours",
            {"hours": kept}))
    inferred: dict[str, list[int]] = {}
    for record in records:
        if record.values.get("kind_from") == "name":
            inferred.setdefault(record.values["kind"], []).append(record.row)
    if inferred:
        n = sum(len(r) for r in inferred.values())
        listed = "; ".join(f"{k} ({KINDS[k][0]}) in rows {rows_text(r)}"
                           for k, r in inferred.items())
        listed_zh = "；".join(f"{KINDS[k][0]}：第 {rows_text(r)} 行" for k, r in inferred.items())
        warnings.append(ReadWarning("kind_inferred", Message(
            f"the kind of {n} row(s) was read from the station's name: {listed}",
            "kind_inferred", n=n, kinds=listed, kinds_zh=listed_zh),
            tuple(sorted(r for rows in inferred.values() for r in rows)),
            parsed.columns.get("name"), "kind", {"kinds": inferred}))
    defaulted = [r.row for r in records if r.values.get("kind_from") == "default"]
    if defaulted and default_kind is not None:
        zh = KINDS[default_kind][0]
        warnings.append(ReadWarning("kind_default", Message(
            f"{len(defaulted)} row(s) without a kind were given the default kind {default_kind} "
            f"({zh}): rows {rows_text(defaulted)}", "kind_default", n=len(defaulted),
            kind=default_kind, kind_zh=zh, rows=rows_text(defaulted)), tuple(defaulted),
            parsed.columns.get("kind"), "kind", {"kind": default_kind}))
    of_kind = _services_of_kind(records)
    return [*warnings, of_kind] if of_kind else warnings


def _near_duplicates(placed: list[tuple[int, Station]], parsed: tables.Parsed) -> None:
    """A station within ``settings.duplicate_name_radius_m`` of an earlier one of the same name
    is a problem of its row ("the same station twice?").

    In file order, each station is compared with the earlier stations of its name that were not
    duplicates themselves, found through a grid of cubes one radius wide over Earth-centred
    coordinates (:func:`geo.coords.unit_vectors`): a station looks into its own cube and the 26
    around it, and each holds at most a few stations of one name (they are a radius apart), so
    the check costs the same per row for 100 or 100,000 rows.
    """
    radius = float(settings.duplicate_name_radius_m)
    if not placed or radius <= 0:
        return
    xyz = coords.unit_vectors([s.lon for _, s in placed], [s.lat for _, s in placed])
    cells = np.floor(xyz / radius).astype(np.int64).tolist()
    kept: dict[tuple, list[tuple[int, Station]]] = {}
    near = [(i, j, k) for i in (-1, 0, 1) for j in (-1, 0, 1) for k in (-1, 0, 1)]
    for (row, station), (cx, cy, cz) in zip(placed, cells, strict=True):
        first = None
        for dx, dy, dz in near:
            for first_row, other in kept.get((station.name, cx + dx, cy + dy, cz + dz), ()):
                d = coords.haversine_m(other.lon, other.lat, station.lon, station.lat)
                if d < radius and (first is None or first_row < first[0]):
                    first = (first_row, d)
        if first is None:
            kept.setdefault((station.name, cx, cy, cz), []).append((row, station))
        else:
            parsed.problem(row, "name", Message(
                f"{station.name!r} is {first[1]:.0f} m from the station of the same name in "
                f"row {first[0]}: the same station twice?", "near_duplicate",
                name=station.name, metres=f"{first[1]:.0f}", first_row=first[0]))


def load_stations(path: str | os.PathLike[str], *, crs: str | None = None,
                  kind: str | None = None) -> list[Station]:
    """The stations of a file (read as :func:`read_stations` reads it), or
    :class:`DataFileError` listing every problem."""
    result = read_stations(path, crs=crs, kind=kind)
    if result.problems:
        raise DataFileError(result.problems)
    return result.stations


# --- writing -------------------------------------------------------------------------------------

#: The station fields that hold free text, checked by :func:`geo.stations.check_text`.
TEXT_FIELDS = ("name", "address", "hours", "phone", "operator", "notes")


def unreadable_text(stations: Iterable[Station]) -> list[tuple[str, str, str]]:
    """The text of ``stations`` that :func:`read_stations` would refuse, so that an export
    holding it would not read back: ``(station id, field, message)`` for each station field
    too long or holding what the text policy refuses (a registry written before the policy
    may hold such text; the API and the import no longer store it)."""
    found = []
    for station in stations:
        try:
            check_station_id(station.id)
        except InputError as exc:
            found.append((station.id, "id", message_of(exc)))
        for name in TEXT_FIELDS:
            try:
                check_text(name, getattr(station, name))
            except InputError as exc:
                found.append((station.id, name, message_of(exc)))
    return found


def stations_frame(stations: Iterable[Station], *, crs: str = "wgs84",
                   lang: Literal["en", "zh"] = "en") -> pd.DataFrame:
    """Stations as a table; coordinates converted to ``crs``.

    ``lang="en"``: the English headers (:data:`COLUMNS`), kind, service and access ids, services
    joined by ``;`` (the words kept as written after the ids,
    :attr:`geo.stations.Station.other_services`), hours in OSM ``opening_hours`` syntax.
    ``lang="zh"``: the Chinese headers (:data:`ZH_HEADERS`), kinds, services and access as a
    union office writes them (services joined by ``、``, the kept words last), hours as people
    write them (:func:`geo.stations.format_hours_zh`).
    Either reads back to the same stations with :func:`read_stations`.
    """
    if lang not in LANGS:
        raise InputError(f"`lang` was {lang!r} but must be one of {list(LANGS)}",
                         parameter="lang")
    crs = tables.check_crs(crs)
    zh = lang == "zh"
    records = []
    for s in stations:
        lon, lat = coords.from_wgs84(s.lon, s.lat, crs)
        if zh:
            kind, access, hours = KINDS[s.kind][0], ACCESS[s.access][0], format_hours_zh(s.hours)
            services = "、".join([*(zh for key, (zh, _) in SERVICES.items() if key in s.services),
                                 *s.other_services])
        else:
            kind, access, hours = s.kind, s.access, s.hours
            services = ";".join([*sorted(s.services), *s.other_services])
        records.append({
            "id": s.id, "name": s.name, "kind": kind, "lon": round(float(lon), 7),
            "lat": round(float(lat), 7), "address": s.address, "services": services,
            "hours": hours, "capacity": s.capacity, "access": access, "phone": s.phone,
            "operator": s.operator, "notes": s.notes,
        })
    frame = pd.DataFrame.from_records(records, columns=COLUMNS)
    frame["capacity"] = frame["capacity"].astype("Int64")
    return frame.rename(columns=ZH_HEADERS) if zh else frame


def write_stations(stations: Iterable[Station], path: str | os.PathLike[str], *, crs: str = "wgs84",
                   lang: Literal["en", "zh"] = "en",
                   encoding: sheets.CsvEncoding = "utf-8") -> Path:
    """Write stations by extension: ``.csv``, ``.xlsx``, ``.geojson`` (RFC 7946) or ``.gpkg``.

    Parameters
    ----------
    crs
        Coordinate system of the written coordinates (default WGS-84). GeoJSON and GeoPackage
        files always say EPSG:4326, so write them in another only for a tool that expects it.
    lang
        ``en``: English headers and ids; ``zh``: the Chinese a union office writes (see
        :func:`stations_frame`).
    encoding
        Of a CSV: ``utf-8`` (with a BOM, so Excel shows Chinese), ``gbk`` or ``gb18030``.

    CSV and XLSX text cells a spreadsheet would run as a formula (``=…``, ``+…``, ``-…``,
    ``@…``) are written as text (:mod:`geo.io.sheets`); :func:`read_stations` reads them back
    as they were.

    Raises
    ------
    InputError
        For an unknown ``crs``, ``lang``, ``encoding`` or extension; a character GBK cannot
        write (named, with its row and column); text the import would refuse
        (:func:`unreadable_text`: each station and field named), so that every file written
        reads back. Nothing is written then.
    """
    tables.check_crs(crs)
    path = Path(path)
    suffix = tables.check_format(path)
    stations = list(stations)
    unreadable = unreadable_text(stations)
    if unreadable:
        items = "; ".join(f"station {sid!r}, {name}: {message}"
                          for sid, name, message in unreadable[:20])
        more = f"; and {len(unreadable) - 20} more" if len(unreadable) > 20 else ""
        raise InputError(Message(
            f"{len(unreadable)} station field(s) hold text the import refuses, so the file "
            f"would not read back: {items}{more}. Correct them (the planner view, or import a "
            "corrected list) and export again", "export_unreadable", n=len(unreadable),
            items=items + more), parameter="stations")
    frame = stations_frame(stations, crs=crs, lang=lang)
    data = None
    if suffix == ".csv":
        data = sheets.csv_bytes(frame, encoding=encoding)
    elif suffix == ".xlsx":
        data = sheets.xlsx_bytes(frame, sheet="驿站" if lang == "zh" else "stations")
    path.parent.mkdir(parents=True, exist_ok=True)
    if data is not None:
        path.write_bytes(data)
        return path
    lon, lat = frame.columns[3], frame.columns[4]
    if suffix in (".geojson", ".json"):
        import geopandas as gpd

        properties = frame.drop(columns=[lon, lat]).astype(object)
        gdf = gpd.GeoDataFrame(properties.where(properties.notna(), None),
                               geometry=gpd.points_from_xy(frame[lon], frame[lat]),
                               crs="EPSG:4326").set_index(frame.iloc[:, 0].rename(None))
        # the feature id is the station id; a reader takes it for a column `id`, which the
        # Chinese header 编号 already gives
        text = gdf.to_json(ensure_ascii=False, indent=1, drop_id=lang == "zh")
        path.write_text(text, encoding="utf-8")
    else:
        import geopandas as gpd

        gdf = gpd.GeoDataFrame(frame.drop(columns=[lon, lat]),
                               geometry=gpd.points_from_xy(frame[lon], frame[lat]),
                               crs="EPSG:4326")
        if path.exists():
            path.unlink()
        gdf.to_file(path, layer="stations", driver="GPKG")
    return path
