"""Station lists a planner uploads: kept until applied, read by the one station reader, compared
with the registry; the column mappings remembered per set of headers.

An upload is a folder ``<IMPORT_DIR>/<upload id>/`` (default ``<DATA_DIR>/imports``) holding
the file as sent and ``meta.json`` (who sent it, its name, when); every worker process of the
server reads the same folder, and a day-old upload is removed at the next upload. The file is
read by :func:`geo.io.stations.read_stations` (what ``yizhan import`` reads) with the planner's
choices: a mapping of headers the reader does not know, a default kind, a coordinate system.
:func:`read_upload` passes them to the reader where it takes them, and otherwise gives the reader
a copy of the table with the mapped headers and the default kind filled in, with every problem
reported at the original file's rows and columns.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
import secrets
import shutil
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import JSON, Column, DateTime, MetaData, String, Table, Text, select
from sqlalchemy.exc import OperationalError

from app.sql import insert_new
from geo import coords
from geo.errors import DataFileError, NotFoundError, Problem
from geo.io import sheets, tables
from geo.io.stations import COLUMNS, HEADER_ALIASES, ReadResult, read_stations
from geo.stations import Station
from geo.text import fold

#: Seconds an upload is kept without being applied.
UPLOAD_KEEP_S = 24 * 3600
#: The fields a station list must fill (the kind may come from the default kind instead).
REQUIRED = ("name", "kind", "lon", "lat")
ID_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"

metadata = MetaData()
mappings_table = Table(
    "import_mappings", metadata,
    Column("headers", String(64), primary_key=True),  # SHA-256 of the folded, sorted headers
    Column("columns", JSON, nullable=False),
    Column("actor", Text, nullable=False, default=""),
    Column("at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class Upload:
    """One uploaded file: ``path`` on disk, ``file`` its name as the planner chose it."""

    id: str
    path: Path
    file: str
    user: str
    at: float


def save_upload(root: Path, data: bytes, name: str, user: str) -> Upload:
    """Keep ``data`` in folder ``root`` as an upload of ``user`` named ``name`` (its extension
    is checked by the caller); day-old uploads are removed first."""
    root.mkdir(parents=True, exist_ok=True)
    _remove_old(root)
    upload_id = "".join(secrets.choice(ID_CHARS) for _ in range(24))
    folder = root / upload_id
    folder.mkdir()
    path = folder / ("upload" + Path(name).suffix.lower())
    path.write_bytes(data)
    meta = {"file": name, "user": user, "at": time.time()}
    (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), "utf-8")
    return Upload(upload_id, path, name, user, meta["at"])


def get_upload(root: Path, upload_id: str, user: str) -> Upload:
    """The upload ``upload_id`` of ``user`` in folder ``root``; :class:`NotFoundError` for
    another's, an unknown or an applied one."""
    folder = Path(root) / upload_id
    if not (len(upload_id) == 24 and set(upload_id) <= set(ID_CHARS)) or not folder.is_dir():
        raise NotFoundError(f"no upload {upload_id!r}: it was applied, is older than a day, or "
                            "was never made; upload the file again")
    try:
        meta = json.loads((folder / "meta.json").read_text("utf-8"))
        path = next(p for p in folder.iterdir() if p.name.startswith("upload."))
    except (OSError, ValueError, StopIteration):
        raise NotFoundError(f"no upload {upload_id!r}: upload the file again") from None
    if meta.get("user") != user:
        raise NotFoundError(f"no upload {upload_id!r} of yours: upload the file again")
    return Upload(upload_id, path, str(meta["file"]), user, float(meta["at"]))


def remove_upload(upload: Upload) -> None:
    shutil.rmtree(upload.path.parent, ignore_errors=True)
    with _LOCK:
        for key in [k for k in _CACHE if k[0] == upload.id]:
            del _CACHE[key]


def _remove_old(root: Path) -> None:
    cutoff = time.time() - UPLOAD_KEEP_S
    for folder in root.iterdir():
        try:
            if folder.is_dir() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


# --- remembered mappings -------------------------------------------------------------------------

def header_key(headers: list[str]) -> str:
    """The key of a set of headers: order, case, spaces and full-width forms do not matter."""
    folded = sorted({fold(h) for h in headers if h.strip()})
    return hashlib.sha256("\x1f".join(folded).encode("utf-8")).hexdigest()


class Mappings:
    """Column mappings remembered per header set, in the registry's database."""

    def __init__(self, engine):
        self.engine = engine
        # a read-only database: the reads keep answering, an import answers 503 when it writes
        with contextlib.suppress(OperationalError):
            metadata.create_all(engine)

    def get(self, headers: list[str]) -> dict[str, str | None]:
        """The mapping remembered for ``headers`` (case, spaces, full-width forms aside), keyed
        by the headers as given; empty when none is."""
        with self.engine.connect() as conn:
            found = conn.execute(select(mappings_table.c.columns).where(
                mappings_table.c.headers == header_key(headers))).scalar()
        if not isinstance(found, dict):
            return {}
        folded = {fold(h): f for h, f in found.items()}  # the file's own spelling of each
        return {h: folded[fold(h)] for h in headers if fold(h) in folded}

    def remember(self, headers: list[str], columns: dict[str, str | None], actor: str) -> None:
        key, now = header_key(headers), datetime.now(UTC)
        with self.engine.begin() as conn:
            values = {"columns": dict(columns), "actor": actor, "at": now}
            if not insert_new(conn, mappings_table, {"headers": key, **values}):
                conn.execute(mappings_table.update().where(
                    mappings_table.c.headers == key).values(**values))


# --- reading -------------------------------------------------------------------------------------

@dataclass
class Reading:
    """An upload read with one set of choices: the raw table, the reader's result, the mapping
    and default kind as used."""

    table: tables.Table
    result: ReadResult
    columns: dict[str, str | None]
    kind: str | None
    crs: str  # the system the coordinates were read in
    raw_lonlat: np.ndarray  # the valid stations' coordinates as the file gives them


_LOCK = threading.Lock()
_CACHE: OrderedDict[tuple, object] = OrderedDict()
_CACHE_SIZE = 4


def _cached(key: tuple, make):
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    value = make()
    with _LOCK:
        _CACHE[key] = value
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return value


def raw_table(upload: Upload) -> tables.Table:
    """The upload's cells as text (header found as the reader finds it)."""
    return _cached((upload.id, "table"), lambda: tables.read_table(
        upload.path, known=set(HEADER_ALIASES)))


def field_of(header: str, columns: dict[str, str | None]) -> str | None:
    """The station field a header fills: the planner's mapping first (None: left out), then
    the reader's."""
    if header in columns:
        return columns[header]
    return HEADER_ALIASES.get(fold(header))


def read_upload(upload: Upload, *, crs: str | None, region: str,
                columns: dict[str, str | None], kind: str | None) -> Reading:
    """The upload read with these choices (cached per process for the last few choices);
    ``crs`` None: the system the coordinate headers name, else WGS-84."""
    table = raw_table(upload)
    columns = {h: f for h, f in columns.items() if h in table.header}
    key = (upload.id, crs, region, json.dumps(sorted(columns.items())), kind)
    return _cached(key, lambda: _read(upload, table, crs, region, columns, kind))


def _takes(*names: str) -> bool:
    return set(names) <= set(inspect.signature(read_stations).parameters)


def _read(upload: Upload, table: tables.Table, crs: str | None, region: str,
          columns: dict[str, str | None], kind: str | None) -> Reading:
    if _takes("columns", "kind"):
        result = read_stations(upload.path, crs=crs, region=region, columns=columns or None,
                               kind=kind)
    elif not columns and kind is None:
        result = read_stations(upload.path, crs=crs or "wgs84", region=region)
    else:
        result = _read_copy(upload, table, crs or "wgs84", region, columns, kind)
    result.file = upload.file
    result.problems = [replace(p, file=upload.file) for p in result.problems]
    used = crs or next((w.detail.get("crs") for w in getattr(result, "warnings", ())
                        if getattr(w, "key", "") == "coordinates_used"
                        and isinstance(getattr(w, "detail", None), dict)), None) or "wgs84"
    lon, lat = coords.from_wgs84(np.array([s.lon for s in result.stations], dtype=float),
                                 np.array([s.lat for s in result.stations], dtype=float), used)
    raw = np.column_stack([lon, lat]) if len(result.stations) else np.zeros((0, 2))
    return Reading(table, result, columns, kind, used, raw)


def _read_copy(upload: Upload, table: tables.Table, crs: str, region: str,
               columns: dict[str, str | None], kind: str | None) -> ReadResult:
    """The reader on a CSV copy of the table: mapped headers renamed to their field, the kind
    filled in where empty, each row at its row number (so problems name the file's rows), then
    the problems' columns named as the file names them."""
    header = [columns.get(h, h) or "" if h in columns else h for h in table.header]
    named = {new: h for new, h in zip(header, table.header, strict=True) if new}
    rows = {row: list(cells) for row, cells in table.rows}
    escape = table.format != "CSV"  # CSV cells are read back unescaped, as the file had them
    if table.geometry is not None:  # GeoJSON/GPKG: the point becomes two columns
        header += ["lon", "lat"]
        for (row, cells), point in zip(table.rows, table.geometry, strict=True):
            rows[row] = cells + (["", ""] if point is None or point.geom_type != "Point"
                                 else [repr(point.x), repr(point.y)])
        named.update(lon=tables.GEOMETRY, lat=tables.GEOMETRY)
    width = len(header)
    if kind is not None:
        if "kind" not in header:
            header.append("kind")
            named["kind"] = "kind"
        at = header.index("kind")
        for cells in rows.values():
            cells.extend([""] * (width + 1 - len(cells)))
            if not cells[at].strip():
                cells[at] = kind
    # GeoJSON features are numbered from 1 with no header row: shift them by one
    shift = 1 if table.header_row is None else 0
    header_row = table.header_row or 1
    lines = [[]] * (header_row - 1) + [header]
    for row in range(header_row + 1, max(rows, default=header_row) + 1 + shift):
        cells = rows.get(row - shift, [])
        lines.append([sheets.escape_text(c) if escape else c for c in cells])
    copy = upload.path.parent / "mapped.csv"
    import csv

    with copy.open("w", encoding="utf-8-sig", newline="") as out:
        csv.writer(out).writerows(lines)
    try:
        result = read_stations(copy, crs=crs, region=region)
    except DataFileError as exc:
        raise DataFileError([_renamed(p, named, shift) for p in exc.problems]) from None
    result.problems = [_renamed(p, named, shift) for p in result.problems]
    return result


def _renamed(problem: Problem, named: dict[str, str], shift: int) -> Problem:
    row = None if problem.row is None else problem.row - shift
    return replace(problem, row=row, column=named.get(problem.column or "", problem.column))


# --- against the registry ------------------------------------------------------------------------

@dataclass(frozen=True)
class Diff:
    added: list[str]
    updated: list[str]
    unchanged: list[str]
    closing: list[Station]


def diff(stations: list[Station], existing: list[Station], *, sync: bool) -> Diff:
    """What applying ``stations`` would do to the open stations ``existing``: ids added, updated,
    unchanged; with ``sync``, the stations of the list's operators it no longer holds (closed)."""
    by_id = {s.id: s for s in existing}
    added, updated, unchanged = [], [], []
    for station in stations:
        old = by_id.get(station.id)
        if old is None:
            added.append(station.id)
        elif _same(old, station):
            unchanged.append(station.id)
        else:
            updated.append(station.id)
    closing: list[Station] = []
    if sync:
        operators = {s.operator for s in stations if s.operator}
        ids = {s.id for s in stations}
        closing = [s for s in existing if s.operator in operators and s.id not in ids]
    return Diff(added, updated, unchanged, closing)


def _same(a: Station, b: Station) -> bool:
    ra, rb = a.to_record(), b.to_record()
    ra.pop("timezone", None), rb.pop("timezone", None)
    return ra == rb


def crs_hint(reading: Reading, existing: list[Station], networks) -> dict | None:
    """Whether the points fit another coordinate system better: compared with the registry's
    stations of the same ids (at least 3 of them), else with the streets (the nearest network
    node). None when the choice fits, or nothing to compare with."""
    stations = reading.result.stations
    if not len(stations):
        return None
    raw_lon, raw_lat = reading.raw_lonlat[:, 0], reading.raw_lonlat[:, 1]
    by_id = {s.id: s for s in existing}
    matched = [i for i, s in enumerate(stations) if s.id in by_id]
    against = "stations" if len(matched) >= 3 else "streets"
    if against == "stations":
        ref = np.array([[by_id[stations[i].id].lon, by_id[stations[i].id].lat] for i in matched])
        pick = np.array(matched)
    else:
        net = next(iter(networks.values()), None)
        if net is None:
            return None
        pick = np.linspace(0, len(stations) - 1, min(len(stations), 500)).astype(int)
        ref = None

    def median_m(crs: str) -> float:
        lon, lat = coords.to_wgs84(raw_lon[pick], raw_lat[pick], crs)
        if ref is not None:
            return float(np.median(coords.haversine_m(lon, lat, ref[:, 0], ref[:, 1])))
        return float(np.median(net.nearest_node(lon, lat)[1]))

    chosen = median_m(reading.crs)
    if chosen < 100:
        return None
    best = min((c for c in coords.CRS_NAMES if c != reading.crs), key=median_m)
    better = median_m(best)
    if better > chosen / 3:
        return None
    return {"crs": best, "metres": round(chosen, 1), "better_metres": round(better, 1),
            "against": against}


def evenly(items: list, most: int) -> list:
    """At most ``most`` of ``items``, evenly taken."""
    if len(items) <= most:
        return items
    step = len(items) / most
    return [items[int(i * step)] for i in range(most)]


def fields_needed(table: tables.Table, columns: dict[str, str | None],
                  kind: str | None) -> list[str]:
    """The required fields no column fills (a reader that takes a default kind, or reads kinds
    from names, reports rows without a kind itself)."""
    filled = {field_of(h, columns) for h in table.header}
    if table.geometry is not None:
        filled |= {"lon", "lat"}
    return [f for f in REQUIRED
            if f not in filled and not (f == "kind" and (kind or _takes("kind")))]


__all__ = ["COLUMNS", "Diff", "Mappings", "Reading", "Upload", "crs_hint", "diff", "evenly",
           "field_of", "fields_needed", "get_upload", "header_key", "raw_table", "read_upload",
           "remove_upload", "save_upload"]
