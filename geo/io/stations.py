"""Reading and writing station lists: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030), XLSX, GeoJSON, GeoPackage.

Headers may be English (``id, name, kind, lon, lat, …``) or the Chinese a union office types
(``编号, 站点名称, 类型, 经度, 纬度, …``). Coordinates may be WGS-84, GCJ-02 (Amap, Tencent) or BD-09
(Baidu); everything read is converted to WGS-84. Validation collects every problem with the file,
the row number as Excel shows it, and the column.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from geo import coords, settings
from geo.errors import DataFileError, InputError, Problem
from geo.stations import (
    Station,
    normalize_hours,
    parse_access,
    parse_kind,
    parse_services,
    stable_id,
)

#: Column order of exported files (the English headers).
COLUMNS = ["id", "name", "kind", "lon", "lat", "address", "services", "hours", "capacity",
           "access", "phone", "operator", "notes"]

#: Header spellings accepted on import, folded (lower case, no spaces), mapped to our columns.
HEADER_ALIASES: dict[str, str] = {
    **{c: c for c in COLUMNS},
    "编号": "id", "序号id": "id", "站点编号": "id", "编码": "id",
    "名称": "name", "站点名称": "name", "驿站名称": "name", "站名": "name",
    "类型": "kind", "站点类型": "kind", "类别": "kind", "驿站类型": "kind",
    "经度": "lon", "longitude": "lon", "lng": "lon", "x": "lon",
    "纬度": "lat", "latitude": "lat", "y": "lat",
    "地址": "address", "详细地址": "address", "站点地址": "address",
    "服务": "services", "服务项目": "services", "服务内容": "services", "功能": "services",
    "配套设施": "services", "service": "services",
    "开放时间": "hours", "服务时间": "hours", "营业时间": "hours", "opening_hours": "hours",
    "openinghours": "hours",
    "容量": "capacity", "可容纳人数": "capacity", "容纳人数": "capacity", "车位数": "capacity",
    "开放对象": "access", "服务对象": "access",
    "电话": "phone", "联系电话": "phone", "联系方式": "phone",
    "运营单位": "operator", "管理单位": "operator", "建设单位": "operator", "承办单位": "operator",
    "备注": "notes", "说明": "notes", "note": "notes",
}

FORMATS = {".csv": "CSV", ".xlsx": "Excel", ".geojson": "GeoJSON", ".json": "GeoJSON",
           ".gpkg": "GeoPackage"}


@dataclass
class ReadResult:
    """What a station file held: the valid stations and every problem found."""

    file: str
    rows: int
    stations: list[Station] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _fold(text: str) -> str:
    return re.sub(r"[\s_\-（）()]+", "", str(text)).lower().lstrip("\ufeff")


def _check_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InputError(f"{path}: unknown file type {suffix!r}; use one of "
                         + ", ".join(sorted(FORMATS)), parameter="file")
    return suffix


def _read_csv(path: Path) -> tuple[pd.DataFrame, str]:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes almost anything
        raise DataFileError([Problem(str(path), None, None,
                                     "cannot read the text: save it as UTF-8 or GBK CSV")])
    import io

    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    return frame, encoding


def read_table(path: str | Path) -> tuple[pd.DataFrame, int]:
    """The raw table of a station file as strings, and the Excel row number of its first data row.

    For GeoJSON and GeoPackage, point geometries fill ``lon``/``lat`` and the "row" is the feature
    number (1-based), so the first data row is 1.

    Raises
    ------
    DataFileError
        When the file is missing, empty or not readable as its extension says.
    """
    path = Path(path)
    suffix = _check_format(path)
    if not path.exists():
        raise DataFileError([Problem(str(path), None, None, "file not found")])
    if path.stat().st_size == 0:
        raise DataFileError([Problem(str(path), None, None, "the file is empty")])
    try:
        if suffix == ".csv":
            frame, _ = _read_csv(path)
            return frame, 2
        if suffix == ".xlsx":
            frame = pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl")
            return frame, 2
        import geopandas as gpd

        gdf = gpd.read_file(path)
    except DataFileError:
        raise
    except Exception as exc:  # the readers raise many types; name the file and the format
        raise DataFileError([Problem(str(path), None, None,
                                     f"cannot read it as {FORMATS[suffix]}: {exc}")]) from exc
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    if gdf.crs is not None and not gdf.empty and gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    geom = gdf.geometry
    not_point = ~geom.isna() & (geom.geom_type != "Point")
    if not_point.any():
        first = int(np.flatnonzero(not_point)[0]) + 1
        raise DataFileError([Problem(str(path), first, "geometry",
                                     f"geometry is a {geom.iloc[first - 1].geom_type}, "
                                     "but stations must be points")])
    frame["lon"] = [None if g is None or g.is_empty else repr(g.x) for g in geom]
    frame["lat"] = [None if g is None or g.is_empty else repr(g.y) for g in geom]
    frame = frame.astype(object).where(frame.notna(), "")
    return frame.astype(str), 1


def _number(text: str) -> float | None:
    text = str(text).strip().replace("，", ".")
    if not text:
        return None
    return float(text)  # ValueError for non-numbers, handled by the caller


def read_stations(path: str | Path, *, crs: str = "wgs84") -> ReadResult:
    """Read and validate a station list.

    Parameters
    ----------
    path
        CSV, XLSX, GeoJSON or GeoPackage file.
    crs
        Coordinate system of the file's coordinates: ``wgs84``, ``gcj02`` or ``bd09``.
        Stations come back in WGS-84.

    Returns
    -------
    ReadResult
        The valid stations and every problem (file, Excel row, column, message). Rows with problems
        give no station.
    """
    if crs not in coords.CRS_NAMES:
        raise InputError(f"`crs` was {crs!r} but must be one of {list(coords.CRS_NAMES)}",
                         parameter="crs")
    path = Path(path)
    frame, first_row = read_table(path)
    name = str(path)
    columns: dict[str, str] = {}
    ignored = []
    problems: list[Problem] = []
    for header in frame.columns:
        target = HEADER_ALIASES.get(_fold(header))
        if target is None:
            ignored.append(str(header))
        elif target in columns.values():
            problems.append(Problem(name, first_row - 1 if first_row > 1 else None, str(header),
                                    f"a second column for {target!r}"))
        else:
            columns[str(header)] = target
    frame = frame.rename(columns=columns)[list(columns.values())]
    missing = [c for c in ("name", "kind", "lon", "lat") if c not in frame.columns]
    if missing:
        problems.append(Problem(name, first_row - 1 if first_row > 1 else None, None,
                                "missing column(s) " + ", ".join(missing)
                                + " (Chinese headers: 名称, 类型, 经度, 纬度)"))
        return ReadResult(name, len(frame), [], problems, ignored)

    result = ReadResult(name, 0, [], problems, ignored)
    seen_ids: dict[str, int] = {}
    placed: list[tuple[int, Station]] = []
    for offset, record in enumerate(frame.to_dict("records")):
        row = first_row + offset
        values = {k: ("" if v is None else str(v).strip()) for k, v in record.items()}
        if not any(values.values()):
            continue  # blank line at the end of a sheet
        result.rows += 1
        station = _station_from_row(values, name, row, crs, problems)
        if station is None:
            continue
        if station.id in seen_ids:
            problems.append(Problem(name, row, "id", f"duplicate id {station.id!r} "
                                                     f"(first used in row {seen_ids[station.id]})"))
            continue
        seen_ids[station.id] = row
        placed.append((row, station))
    problems.extend(_near_duplicates(placed, name))
    bad_rows = {p.row for p in problems}
    result.stations = [s for row, s in placed if row not in bad_rows]
    return result


def _station_from_row(values: dict, name: str, row: int, crs: str,
                      problems: list[Problem]) -> Station | None:
    before = len(problems)

    def problem(column: str, message: str) -> None:
        problems.append(Problem(name, row, column, message))

    station_name = values.get("name", "")
    if not station_name:
        problem("name", "the name is empty")
    kind = None
    try:
        kind = parse_kind(values.get("kind", ""))
    except InputError as exc:
        problem("kind", str(exc))
    lon = lat = None
    for column in ("lon", "lat"):
        try:
            value = _number(values.get(column, ""))
        except ValueError:
            problem(column, f"{values[column]!r} is not a number")
            continue
        if value is None or math.isnan(value):
            problem(column, "the coordinate is empty")
        elif column == "lon":
            lon = value
        else:
            lat = value
    if lon is not None and lat is not None:
        if _looks_swapped(lon, lat, crs):
            problem("lon", f"longitude {lon} and latitude {lat} look swapped; "
                           "经度 (lon) is the larger number in China")
            lon = lat = None
        else:
            if not -180 <= lon <= 180:
                problem("lon", f"longitude {lon} is out of range -180..180")
            if not -90 <= lat <= 90:
                problem("lat", f"latitude {lat} is out of range -90..90")
    services = frozenset()
    try:
        services = parse_services(values.get("services", ""))
    except InputError as exc:
        problem("services", str(exc))
    hours = ""
    try:
        hours = normalize_hours(values.get("hours", ""))
    except InputError as exc:
        problem("hours", str(exc))
    capacity = None
    if values.get("capacity"):
        try:
            number = float(values["capacity"])
            if number < 0 or number != int(number):
                raise ValueError
            capacity = int(number)
        except ValueError:
            problem("capacity", f"capacity {values['capacity']!r} must be a whole number ≥ 0")
    access = "public"
    try:
        access = parse_access(values.get("access"))
    except InputError as exc:
        problem("access", str(exc))
    if len(problems) > before:
        return None
    lon, lat = coords.to_wgs84(lon, lat, crs)
    station_id = values.get("id") or stable_id(kind, station_name, lon, lat)
    if station_id.endswith(".0") and station_id[:-2].isdigit():
        station_id = station_id[:-2]  # Excel turns 12 into 12.0
    return Station(
        id=station_id, name=station_name, kind=kind, lon=float(lon), lat=float(lat),
        address=values.get("address", ""), services=services, hours=hours, capacity=capacity,
        access=access, phone=values.get("phone", ""), operator=values.get("operator", ""),
        notes=values.get("notes", ""), timezone=settings.timezone,
    )


def _looks_swapped(lon: float, lat: float, crs: str) -> bool:
    if abs(lat) > 90 and abs(lon) <= 90:
        return True
    # Chinese coordinates (the only place GCJ-02/BD-09 exist) always have lon > lat.
    in_china = 72 <= lon <= 138 and 0.8 <= lat <= 56
    swapped_in_china = 72 <= lat <= 138 and 0.8 <= lon <= 56
    return crs != "wgs84" and swapped_in_china and not in_china


def _near_duplicates(placed: list[tuple[int, Station]], name: str) -> list[Problem]:
    """Two stations with the same name within ``settings.duplicate_name_radius_m``."""
    problems = []
    by_name: dict[str, list[tuple[int, Station]]] = {}
    for row, station in placed:
        by_name.setdefault(station.name, []).append((row, station))
    for group in by_name.values():
        for i, (row, station) in enumerate(group):
            for first_row, first in group[:i]:
                d = coords.haversine_m(first.lon, first.lat, station.lon, station.lat)
                if d < settings.duplicate_name_radius_m:
                    problems.append(Problem(
                        name, row, "name",
                        f"{station.name!r} is {d:.0f} m from the station of the same name in row "
                        f"{first_row}: the same station twice?"))
                    break
    return problems


def load_stations(path: str | Path, *, crs: str = "wgs84") -> list[Station]:
    """The stations of a file, or :class:`DataFileError` listing every problem."""
    result = read_stations(path, crs=crs)
    if result.problems:
        raise DataFileError(result.problems)
    return result.stations


# --- writing -------------------------------------------------------------------------------------

def stations_frame(stations: Iterable[Station], *, crs: str = "wgs84") -> pd.DataFrame:
    """Stations as a table with the English headers; coordinates converted to ``crs``."""
    records = []
    for s in stations:
        lon, lat = coords.from_wgs84(s.lon, s.lat, crs)
        records.append({
            "id": s.id, "name": s.name, "kind": s.kind, "lon": round(float(lon), 7),
            "lat": round(float(lat), 7), "address": s.address,
            "services": ";".join(sorted(s.services)), "hours": s.hours,
            "capacity": s.capacity, "access": s.access, "phone": s.phone,
            "operator": s.operator, "notes": s.notes,
        })
    frame = pd.DataFrame.from_records(records, columns=COLUMNS)
    frame["capacity"] = frame["capacity"].astype("Int64")
    return frame


def write_stations(stations: Iterable[Station], path: str | Path, *, crs: str = "wgs84") -> Path:
    """Write stations by extension: ``.csv`` (UTF-8 with BOM, so Excel shows Chinese), ``.xlsx``,
    ``.geojson`` (RFC 7946) or ``.gpkg``. Coordinates in ``crs`` (default WGS-84).
    """
    if crs not in coords.CRS_NAMES:
        raise InputError(f"`crs` was {crs!r} but must be one of {list(coords.CRS_NAMES)}",
                         parameter="crs")
    path = Path(path)
    suffix = _check_format(path)
    frame = stations_frame(stations, crs=crs)
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        frame.to_csv(path, index=False, encoding="utf-8-sig")
    elif suffix == ".xlsx":
        frame.to_excel(path, index=False, engine="openpyxl", sheet_name="stations")
    elif suffix in (".geojson", ".json"):
        features = [{
            "type": "Feature",
            "id": rec["id"],
            "geometry": {"type": "Point", "coordinates": [rec["lon"], rec["lat"]]},
            "properties": {k: (None if pd.isna(v) else v) for k, v in rec.items()
                           if k not in ("lon", "lat")},
        } for rec in frame.astype(object).to_dict("records")]
        for f in features:
            if f["properties"]["capacity"] is not None:
                f["properties"]["capacity"] = int(f["properties"]["capacity"])
        path.write_text(json.dumps({"type": "FeatureCollection", "features": features},
                                   ensure_ascii=False, indent=1), encoding="utf-8")
    else:
        import geopandas as gpd

        gdf = gpd.GeoDataFrame(frame.drop(columns=["lon", "lat"]),
                               geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
                               crs="EPSG:4326")
        if path.exists():
            path.unlink()
        gdf.to_file(path, layer="stations", driver="GPKG")
    return path
