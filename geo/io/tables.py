"""One reader for every table people bring: station lists, worker counts, candidate sites, points.

Files
    CSV in UTF-8 (with or without BOM), GBK/GB18030 or UTF-16 (Excel's "Unicode text", tab
    separated); the separator (``,``, tab or ``;``) is detected. XLSX (the first sheet). GeoJSON
    and GeoPackage, whose point geometry gives ``lon``/``lat`` (EPSG:4326 degrees after
    reprojection of the layer, before any GCJ-02/BD-09 conversion the caller asks for).
Schemas
    Each kind of table declares its :class:`Column` s (canonical name, English and Chinese
    header aliases, required or optional, a parser) and whole-row :class:`Check` s in a
    :class:`Schema`. Headers are matched after :func:`fold` (case, spaces, ``_``/``-``,
    brackets, full-width forms, BOM).
Problems
    Every problem is collected, not the first only, as :class:`geo.errors.Problem` with the file,
    the row as Excel shows it (the header is row 1; a CSV record with a multi-line cell is still
    one row) and the column as the file names it (``经度``, not ``lon``).
    :meth:`Parsed.raise_problems` raises them together as :class:`geo.errors.DataFileError`.

>>> from geo.io.tables import Column, Schema, number, read
>>> schema = Schema("points", (Column("lon", ("经度",), number, required=True),
...                            Column("lat", ("纬度",), number, required=True)))
>>> parsed = read("points.csv", schema)                                  # doctest: +SKIP
>>> [(r.row, r.values) for r in parsed.records]                          # doctest: +SKIP
[(2, {'lon': 104.06, 'lat': 30.66})]
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
import os
import re
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from geo import coords
from geo.errors import DataFileError, InputError, Message, Problem, message_of
from geo.io._cells import quick_parser
from geo.io._headers import CRS_WORDS as CRS_WORDS
from geo.io._headers import CellProblem as CellProblem
from geo.io._headers import check_columns as check_columns
from geo.io._headers import coordinate_header as coordinate_header
from geo.text import fold

#: File types the reader takes, by extension, with the name used in messages.
FORMATS = {".csv": "CSV", ".tsv": "CSV", ".xlsx": "Excel", ".geojson": "GeoJSON",
           ".json": "GeoJSON", ".gpkg": "GeoPackage"}

#: How many non-empty rows at the top of a CSV or sheet may be titles above the header.
HEADER_SEARCH_ROWS = 10

#: Column separators a CSV may use, tried on its first lines.
SEPARATORS = (",", "\t", ";")

#: The column name problems use for values that come from a GeoJSON/GeoPackage geometry.
GEOMETRY = "geometry"

_CJK = re.compile(r"[\u4e00-\u9fff]")

_BOMS = (  # UTF-32 first: its little-endian BOM starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)



# --- parsers: text of one cell (never empty) -> value, ValueError with a message for the user ---

def text(value: str) -> str:
    """The cell as it is (stripped)."""
    return value


def number(value: str) -> float:
    """A finite number; full-width digits (``１１６．４``) are accepted."""
    folded = unicodedata.normalize("NFKC", value).strip()
    try:
        result = float(folded)
    except ValueError:
        raise InputError(Message(f"{value!r} is not a number", "not_a_number",
                                 value=value)) from None
    if not math.isfinite(result):
        raise InputError(Message(f"{value!r} is not a number", "not_a_number", value=value))
    return result


def coordinate(value: str) -> float:
    """A longitude or latitude in degrees; a full-width comma typed for the decimal point
    (``116，4551``) is read as one."""
    return number(value.replace("，", "."))


_NUMBERS = (number, coordinate)  # parsers that are float() on a plain finite decimal


def at_least(low: float, what: str, *, zh: str = "") -> Callable[[str], float]:
    """A parser for numbers ≥ ``low``: ``at_least(0, "the cost", zh="成本")`` (``zh``: what in
    Chinese, for the message's ``what_zh``)."""

    def parse(value: str) -> float:
        result = number(value)
        if result < low:
            raise InputError(Message(f"{what} must be ≥ {low:g}, not {result:g}", "too_small",
                                     what=what, what_zh=zh or what, low=f"{low:g}",
                                     value=f"{result:g}"))
        return result

    parse.at_least = low  # type: ignore[attr-defined]  # read by quick_parser (the fast path)
    return parse


def whole_number(value: str) -> int:
    """A whole number ≥ 0 (``12`` or ``12.0``, as Excel may store it)."""
    try:
        result = number(value)
    except ValueError:
        result = -1.0
    if result < 0 or result != int(result):
        raise InputError(Message(f"{value!r} must be a whole number ≥ 0", "not_whole",
                                 value=value))
    return int(result)


def identifier(value: str) -> str:
    """An id as typed; ``12.0`` (Excel's way of storing the number 12) becomes ``12``."""
    if value.endswith(".0") and value[:-2].isdigit():
        return value[:-2]
    return value


# --- declarations --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    """One column of a kind of table.

    Parameters
    ----------
    name
        Canonical name, also accepted as a header (``lon``).
    aliases
        Other accepted headers, English and Chinese (``经度``, ``longitude``, …).
    parse
        Cell text (stripped, never empty) to value; raises :class:`ValueError` (or
        :class:`geo.errors.InputError`) whose message is reported for the cell.
    required
        The file must have the column.
    default
        The value of an empty cell, or of every row when an optional column is absent.
    if_empty
        When set, an empty cell is a problem with this message instead of taking ``default``.
    zh
        The column's Chinese name in messages (``经度``); default: its first Chinese alias.
    """

    name: str
    aliases: tuple[str, ...] = ()
    parse: Callable[[str], Any] = text
    required: bool = False
    default: Any = None
    if_empty: str | None = None
    zh: str = ""

    @property
    def label_zh(self) -> str:
        """The Chinese name a message gives the column: :attr:`zh`, else the first alias in
        Chinese, else :attr:`name`."""
        return self.zh or next((a for a in self.aliases if _CJK.search(a)), self.name)

    @property
    def headers(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class Check:
    """A whole-row check, run when every column in ``needs`` parsed without a problem.

    ``func`` takes the row's values by canonical column name and yields ``(column, message)``
    for each problem.
    """

    needs: tuple[str, ...]
    func: Callable[[dict], Iterable[tuple[str, str]]]


@dataclass(frozen=True)
class Schema:
    """A kind of table: its columns and whole-row checks.

    Parameters
    ----------
    noun
        What a row is, plural, for messages (``stations``).
    points
        A GeoJSON/GeoPackage geometry must be a point and gives ``lon``/``lat``. When false, any
        geometry is kept on :attr:`Record.geometry` and ``lon``/``lat`` are ordinary columns.
    """

    noun: str
    columns: tuple[Column, ...]
    checks: tuple[Check, ...] = ()
    points: bool = True
    lookup: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lookup: dict[str, str] = {}
        for column in self.columns:
            for header in column.headers:
                key = fold(header)
                if lookup.get(key, column.name) != column.name:
                    raise ValueError(f"header {header!r} is declared for both {lookup[key]!r} "
                                     f"and {column.name!r}")
                lookup[key] = column.name
        object.__setattr__(self, "lookup", lookup)

    def column(self, name: str) -> Column:
        """The column named ``name``."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    def with_default(self, name: str, value: Any) -> Schema:
        """The same schema with column ``name`` optional and ``value`` for its empty cells."""
        columns = tuple(replace(c, required=False, default=value, if_empty=None)
                        if c.name == name else c for c in self.columns)
        return replace(self, columns=columns)

    def without(self, *names: str) -> Schema:
        """The same schema without the named columns and the checks that need them."""
        return replace(self, columns=tuple(c for c in self.columns if c.name not in names),
                       checks=tuple(k for k in self.checks if not set(k.needs) & set(names)))


# --- reading files -------------------------------------------------------------------------------

@dataclass
class Table:
    """The cells of a file as text, before any schema.

    ``rows`` holds the non-empty rows after the header as ``(row, cells)``, ``row`` as Excel
    shows it (the feature number, from 1, for GeoJSON/GeoPackage, whose ``header_row`` is None).
    ``geometry`` holds one shapely geometry (or None) per row of a GeoJSON/GeoPackage layer.
    """

    file: str
    format: str
    header: list[str]
    header_row: int | None
    rows: list[tuple[int, list[str]]]
    geometry: list | None = None


def check_format(path: str | os.PathLike[str]) -> str:
    """The extension of ``path``, lower case, or :class:`InputError` naming the accepted ones."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        hint = (" (Excel's \"Unicode text\" saves .txt: rename it to .tsv)"
                if suffix == ".txt" else "")
        raise InputError(f"{path}: unknown file type {suffix!r}; use one of "
                         + ", ".join(sorted(FORMATS)) + hint, parameter="file")
    return suffix


def read_table(path: str | os.PathLike[str], *,
               known: Iterable[str] | Callable[[str], bool] = ()) -> Table:
    """The cells of a CSV, XLSX, GeoJSON or GeoPackage file as text.

    Parameters
    ----------
    known
        Folded headers (:func:`fold`) of the expected columns, or a test of a folded header.
        The header of a CSV or sheet is the first of its first :data:`HEADER_SEARCH_ROWS`
        non-empty rows that names one of them (so title rows above it are passed over), else
        its first non-empty row.

    Raises
    ------
    InputError
        For an unknown extension.
    DataFileError
        When the file is missing, empty or not readable as its extension says.
    """
    path = Path(path)
    suffix = check_format(path)
    name = str(path)
    if not path.exists():
        raise DataFileError([Problem(name, None, None,
                                     Message("file not found", "file_not_found"))])
    if path.stat().st_size == 0:
        raise DataFileError([Problem(name, None, None,
                                     Message("the file is empty", "file_empty"))])
    fmt = FORMATS[suffix]
    try:
        if fmt == "CSV":
            lines = _csv_lines(path)
        elif fmt == "Excel":
            lines = _xlsx_lines(path)
        else:
            return _geo_table(path, fmt)
    except DataFileError:
        raise
    except Exception as exc:  # the readers raise many types; name the file and the format
        raise DataFileError([Problem(name, None, None, Message(
            f"cannot read it as {fmt}: {exc}", "cannot_read", format=fmt,
            error=str(exc)))]) from exc
    lines = [(row, cells) for row, cells in lines if any(cells)]
    if not lines:
        raise DataFileError([Problem(name, None, None, Message(
            "the file holds no table (no header row)", "no_table"))])
    names = known if callable(known) else set(known).__contains__
    start = next((i for i, (_, cells) in enumerate(lines[:HEADER_SEARCH_ROWS])
                  if any(names(fold(c)) for c in cells)), 0)
    header_row, header = lines[start]
    return Table(name, fmt, header, header_row, lines[start + 1:])


def _decode(raw: bytes) -> str:
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return raw.decode(encoding)
    head = raw[:4096]
    if head.count(0) * 4 >= len(head):  # UTF-16 without a BOM: ASCII characters have a zero byte
        odd = head[1::2].count(0) > head[0::2].count(0)
        return raw.decode("utf-16-le" if odd else "utf-16-be")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("gb18030")  # a superset of GBK and GB2312


def _separator(text: str) -> str:
    for line in text.splitlines()[:HEADER_SEARCH_ROWS]:
        counts = {sep: line.count(sep) for sep in SEPARATORS}
        best = max(counts, key=counts.__getitem__)
        if counts[best]:
            return best
    return ","


def _csv_lines(path: Path) -> list[tuple[int, list[str]]]:
    try:
        text = _decode(path.read_bytes())
    except UnicodeDecodeError:
        raise DataFileError([Problem(str(path), None, None, Message(
            "cannot read the text: save it as CSV UTF-8, GBK CSV or Unicode text",
            "cannot_decode"))]) from None
    # a cell may be as long as the file (the schema then says it is too long, for its row)
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_separator(text),
                        skipinitialspace=True)
    # Excel shows each record as one row, however many lines its quoted cells span, and a
    # blank line as an empty row: the record number is the row number.
    strip = str.strip
    return [(number, list(map(strip, cells))) for number, cells in enumerate(reader, start=1)]


def _xlsx_lines(path: Path) -> list[tuple[int, list[str]]]:
    import openpyxl

    with warnings.catch_warnings():  # e.g. "Workbook contains no default style" from WPS files
        warnings.simplefilter("ignore", UserWarning)
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        return [(number, [cell_text(v) for v in values])
                for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)]
    finally:
        book.close()


def _geo_table(path: Path, fmt: str) -> Table:
    import geopandas as gpd

    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises its own types for every kind of damage
        raise DataFileError([Problem(str(path), None, None, Message(
            f"cannot read it as {fmt}: {exc}", "cannot_read", format=fmt,
            error=str(exc)))]) from exc
    geometry = None
    if isinstance(frame, gpd.GeoDataFrame) and frame.active_geometry_name is not None:
        if frame.crs is not None and not frame.empty and frame.crs.to_epsg() != 4326:
            frame = frame.to_crs(4326)
        geometry = [None if g is None or g.is_empty else g for g in frame.geometry]
        frame = frame.drop(columns=frame.geometry.name)
    if fmt == "GeoJSON":
        frame = _json_texts(path, frame)
    rows = [(number, [cell_text(v) for v in values])
            for number, values in enumerate(frame.itertuples(index=False), start=1)]
    return Table(str(path), fmt, [str(c) for c in frame.columns], None, rows, geometry)


def _json_texts(path: Path, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text property as Python's JSON reads it from the file.

    GDAL turns a lone surrogate (``"\\ud800"``) into U+FFFD, ends a text at ``"\\u0000"`` and
    may take a date-like text for a date; the file's own text reaches the schema instead, so
    its checks see what the file holds (and refuse it, naming the row and column)."""
    try:
        features = json.loads(path.read_bytes()).get("features")
    except (ValueError, AttributeError):  # GDAL read it; leave its reading
        return frame
    if not isinstance(features, list) or len(features) != len(frame):
        return frame
    frame = frame.astype(object)
    columns = {str(c): i for i, c in enumerate(frame.columns)}
    for number, feature in enumerate(features):
        properties = feature.get("properties") if isinstance(feature, dict) else None
        for key, value in (properties.items() if isinstance(properties, dict) else ()):
            if isinstance(value, str) and key in columns:
                frame.iat[number, columns[key]] = value
    return frame


def cell_text(value: object) -> str:
    """A cell value as text: empty for None/NaN, ``12`` for the float 12.0."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if value is pd.NaT or value is pd.NA:
        return ""
    return str(value).strip()


# --- parsing with a schema -----------------------------------------------------------------------

@dataclass
class Record:
    """One row without problems: its Excel row number and its values by canonical column."""

    row: int
    values: dict[str, Any]
    geometry: Any = None


@dataclass
class Parsed:
    """A table read with a schema: the good rows and every problem.

    ``columns`` maps each canonical column found to the header the file gives it (``geometry``
    for ``lon``/``lat`` taken from a geometry). ``rows`` counts the non-empty rows.
    """

    file: str
    schema: Schema
    columns: dict[str, str]
    header_row: int | None
    rows: int = 0
    records: list[Record] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def problem(self, row: int | None, column: str | None, message: str) -> Problem:
        """Record a problem; ``column`` is canonical and reported as the file names it (a
        :class:`CellProblem` whose ``field`` is ``column``)."""
        problem = CellProblem(self.file, row, None if column is None
                              else self.columns.get(column, column), message, column)
        self.problems.append(problem)
        return problem

    def raise_problems(self) -> None:
        """Raise :class:`DataFileError` with every problem, if there are any."""
        if self.problems:
            raise DataFileError(self.problems)


def read(path: str | os.PathLike[str], schema: Schema) -> Parsed:
    """Read a file with a schema: :func:`read_table`, then :func:`parse`.

    Raises
    ------
    InputError
        For an unknown extension.
    DataFileError
        When the file cannot be read at all, or a GeoJSON/GeoPackage holds other geometries
        than points where the schema wants points. Problems in rows and columns do not raise:
        they are in :attr:`Parsed.problems`.
    """
    return parse(read_table(path, known=schema.lookup), schema)


def parse(table: Table, schema: Schema, *,
          columns: Mapping[str, str | None] | None = None) -> Parsed:
    """Match the headers of ``table`` to ``schema``, parse every cell and run the row checks.

    ``columns`` maps headers as the file names them to the schema's column names, before and
    over the aliases (a header mapped to None is passed over without being reported as
    unrecognised); :func:`check_columns` checks such a mapping.
    """
    parsed = Parsed(table.file, schema, {}, table.header_row)
    from_geometry = schema.points and table.geometry is not None and any(
        g is not None for g in table.geometry)
    where = _match_headers(table, schema, parsed, from_geometry=from_geometry,
                           columns=columns or {})
    if from_geometry:
        check_points(table, schema.noun)
        parsed.columns.update(lon=GEOMETRY, lat=GEOMETRY)
    missing = [c for c in schema.columns if c.required and c.name not in parsed.columns]
    if missing:
        parsed.problems.append(missing_columns(table, missing))
        parsed.rows = len(table.rows)
        return parsed

    quick = {c.name: quick_parser(c.parse, numbers=_NUMBERS, same=text) for c in schema.columns}
    for number, (row, cells) in enumerate(table.rows):
        geometry = table.geometry[number] if table.geometry is not None else None
        texts = {c: cells[i] if i < len(cells) else "" for c, i in where.items()}
        if from_geometry and geometry is not None:
            texts.update(lon=repr(geometry.x), lat=repr(geometry.y))
        if not any(texts.values()) and geometry is None:
            continue  # an empty row: skipped
        parsed.rows += 1
        before = len(parsed.problems)
        values, bad = _parse_cells(parsed, row, texts, quick)
        for check in schema.checks:
            if not bad & set(check.needs):
                for name, message in check.func(values):
                    parsed.problem(row, name, message)
        if len(parsed.problems) == before:
            parsed.records.append(Record(row, values, geometry))
    return parsed


def missing_columns(table: Table, missing: Iterable[Column]) -> CellProblem:
    """The problem of a table without the ``missing`` columns, at its header row: their names
    (English and Chinese, ``columns`` and ``columns_zh``) and the headers each accepts."""
    missing = list(missing)
    accepted = "; ".join(f"{c.name}: " + ", ".join(c.headers) for c in missing)
    accepted_zh = "；".join(f"{c.label_zh}：" + "、".join(c.headers) for c in missing)
    names = ", ".join(c.name for c in missing)
    return CellProblem(table.file, table.header_row, None, Message(
        f"missing column(s) {names} (accepted headers: {accepted})", "missing_columns",
        columns=names, accepted=accepted, columns_zh="、".join(c.label_zh for c in missing),
        accepted_zh=accepted_zh), missing[0].name if len(missing) == 1 else None)


def _match_headers(table: Table, schema: Schema, parsed: Parsed, *, from_geometry: bool,
                   columns: Mapping[str, str | None]) -> dict[str, int]:
    """Canonical column -> index in the row; fills ``parsed.columns`` and ``parsed.ignored``
    and reports a second column for the same name. ``columns`` (header -> column) comes
    before the aliases: a header an alias would give a column ``columns`` gives to another
    header is unrecognised."""
    where: dict[str, int] = {}
    given = {name for name in columns.values() if name is not None}
    for index, header in enumerate(table.header):
        if header in columns:
            target = columns[header]
            if target is None:
                continue
        else:
            target = schema.lookup.get(fold(header))
            if target in given:
                target = None
        if target is None or (from_geometry and target in ("lon", "lat")):
            if header.strip():
                parsed.ignored.append(header)
        elif target in where:
            parsed.problems.append(CellProblem(
                table.file, table.header_row, header,
                Message(f"a second column for {target!r} (the first is "
                        f"{parsed.columns[target]!r})", "second_column", column=target,
                        first=parsed.columns[target]), target))
        else:
            where[target] = index
            parsed.columns[target] = header
    return where


def _parse_cells(parsed: Parsed, row: int, texts: dict[str, str],
                 quick: Mapping[str, Callable[[str], Any]] | None = None
                 ) -> tuple[dict[str, Any], set[str]]:
    """The values of one row by canonical column, and the columns whose cell has a problem
    (reported on ``parsed``); ``quick`` holds the parsers of :func:`_quick` by column."""
    values: dict[str, Any] = {}
    bad: set[str] = set()
    for column in parsed.schema.columns:
        cell = texts.get(column.name, "")
        if not cell:
            if column.if_empty and column.name in parsed.columns:
                parsed.problem(row, column.name, column.if_empty)
                bad.add(column.name)
            else:
                values[column.name] = column.default
            continue
        try:
            values[column.name] = (column.parse if quick is None else quick[column.name])(cell)
        except (ValueError, ArithmeticError) as exc:  # InputError is a ValueError too
            parsed.problem(row, column.name, message_of(exc))
            bad.add(column.name)
    return values, bad


def check_points(table: Table, noun: str) -> None:
    """:class:`DataFileError` naming every feature whose geometry is not a point."""
    if table.geometry is None:
        return
    problems = [Problem(table.file, row, GEOMETRY,
                        f"geometry is a {g.geom_type}, but {noun} must be points")
                for (row, _), g in zip(table.rows, table.geometry, strict=True)
                if g is not None and g.geom_type != "Point"]
    if problems:  # not a bad row but the wrong kind of file: nothing else is worth reading
        raise DataFileError(problems)


# --- shared columns and checks -------------------------------------------------------------------

LON = Column("lon", ("经度", "longitude", "lng", "long", "x", "东经"), coordinate, required=True,
             if_empty=Message("the coordinate is empty", "empty_coordinate"), zh="经度")
LAT = Column("lat", ("纬度", "latitude", "y", "北纬"), coordinate, required=True,
             if_empty=Message("the coordinate is empty", "empty_coordinate"), zh="纬度")

def lonlat_check(crs: str = "wgs84", area: coords.Area | None = None) -> Check:
    """Longitude and latitude in range, and not swapped (in GCJ-02/BD-09, which exist only in
    China, the longitude is the larger number); with ``area`` (the deployment's, see
    :func:`geo.coords.deployment_area`), inside it."""

    def check(values: dict) -> Iterable[tuple[str, str]]:
        lon, lat = values["lon"], values["lat"]
        if lon is None or lat is None:
            return
        if looks_swapped(lon, lat, crs):
            yield "lon", Message(f"longitude {lon} and latitude {lat} look swapped; "
                                 "经度 (lon) is the larger number in China", "swapped", lon=lon,
                                 lat=lat)
            return
        if not -180 <= lon <= 180:
            yield "lon", Message(f"longitude {lon} is out of range -180..180", "lon_range",
                                 lon=lon)
        if not -90 <= lat <= 90:
            yield "lat", Message(f"latitude {lat} is out of range -90..90", "lat_range", lat=lat)
        elif area is not None and -180 <= lon <= 180:
            outside = area.outside(lon, lat)
            if outside:
                yield "lon", outside

    return Check(("lon", "lat"), check)


def looks_swapped(lon: float, lat: float, crs: str) -> bool:
    """Whether a longitude and latitude were typed into each other's column."""
    if abs(lat) > 90 and abs(lon) <= 90:
        return True
    in_china = 72 <= lon <= 138 and 0.8 <= lat <= 56
    swapped_in_china = 72 <= lat <= 138 and 0.8 <= lon <= 56
    return crs != "wgs84" and swapped_in_china and not in_china


def check_crs(crs: str) -> coords.CRS:
    """``crs``, typed as one of :data:`geo.coords.CRS`; :class:`InputError` unless it is
    ``wgs84``, ``gcj02`` or ``bd09``."""
    for name in coords.CRS_NAMES:
        if crs == name:
            return name
    raise InputError(f"`crs` was {crs!r} but must be one of {list(coords.CRS_NAMES)}",
                     parameter="crs")


def duplicates(parsed: Parsed, keyed: Iterable[tuple[int, str]], column: str = "id") -> set[int]:
    """Report every key used a second time (``(row, key)`` pairs in file order); the rows."""
    first: dict[str, int] = {}
    rows = set()
    for row, key in keyed:
        if key in first:
            parsed.problem(row, column, Message(
                f"duplicate {column} {key!r} (first used in row {first[key]})", "duplicate",
                column=column, value=key, first_row=first[key]))
            rows.add(row)
        else:
            first[key] = row
    return rows
