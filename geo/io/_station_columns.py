"""Which columns of a station list give what, decided before its rows are read: the position
(a pair of coordinate columns, in the system the headers name) and whether the kind column is
needed; and the warnings a read reports (:class:`ReadWarning`).

Machinery of :func:`geo.io.stations.read_stations`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from geo import coords
from geo.errors import Message
from geo.io import tables
from geo.text import fold
from geo.vocabulary import kind_from_name

#: How the messages name the coordinate systems.
CRS_LABELS = {"wgs84": "WGS-84", "gcj02": "GCJ-02", "bd09": "BD-09"}
CRS_LABELS_ZH = {"wgs84": "WGS-84（GPS、天地图）", "gcj02": "GCJ-02（高德、腾讯）",
                 "bd09": "BD-09（百度）"}

#: Which pair of coordinate columns a file with several gives the position: WGS-84 first (no
#: conversion), then a pair that names no system, then GCJ-02, then BD-09.
PAIR_ORDER: tuple[coords.CRS | None, ...] = ("wgs84", None, "gcj02", "bd09")

#: How many rows a warning's message lists (the warning's ``rows`` holds them all).
LISTED_ROWS = 10


@dataclass(frozen=True)
class ReadWarning:
    """Something the reader did that the person importing should know; it refuses no row.

    Attributes
    ----------
    key
        What happened, also the catalogue key of :attr:`message`: ``services_kept`` (service
        words that name no known service, kept as written), ``hours_kept`` (hours that could
        not be read, kept in the notes, the hours unknown), ``kind_inferred`` (kinds read from
        station names), ``kind_default`` (rows given the default kind), ``coordinates_used``
        (which columns gave the position, read in which system), ``crs_override`` (the system
        asked for is not the one the headers name; the one asked for is used),
        ``services_of_kind`` (rows naming no services given those their kind offers, a kind
        of the deployment's catalogue, :mod:`geo.catalogue`).
    message
        English, a :class:`geo.errors.Message` with the key and the parameters to say it in
        another language (each list in it also as ``…_zh``).
    rows
        The Excel rows concerned, all of them.
    column, field
        The column as the file names it, and its field id (``services``), when one concerns it.
    detail
        The same as data: ``services_kept`` ``{"words": {word: [rows]}}``; ``hours_kept``
        ``{"hours": {row: text}}``; ``kind_inferred`` ``{"kinds": {kind: [rows]}}``;
        ``kind_default`` ``{"kind": kind}``; ``coordinates_used`` ``{"lon": header, "lat":
        header, "crs": system, "unused": [headers]}``; ``crs_override`` ``{"named": system,
        "crs": system}``; ``services_of_kind`` ``{"kinds": {kind: [services]}}``.
    """

    key: str
    message: Message
    rows: tuple[int, ...] = ()
    column: str | None = None
    field: str | None = None
    detail: dict[str, Any] = dataclasses.field(default_factory=dict)

    def as_dict(self) -> dict:
        """JSON-ready: key, English message, its params, rows, column, field, detail."""
        return {"key": self.key, "message": str(self.message), "params": self.message.params,
                "rows": list(self.rows), "column": self.column, "field": self.field,
                "detail": self.detail}


def rows_text(rows: Iterable[int]) -> str:
    """``2, 5, 9`` — at most :data:`LISTED_ROWS`, then ``…``."""
    rows = list(rows)
    more = ", …" if len(rows) > LISTED_ROWS else ""
    return ", ".join(str(r) for r in rows[:LISTED_ROWS]) + more


@dataclass
class ColumnPlan:
    """What the headers decide: ``columns`` (header as the file names it -> field id, or None
    for a coordinate column not used), the system the position is read in, and the warnings."""

    columns: dict[str, str | None]
    crs: coords.CRS
    warnings: list[ReadWarning] = dataclasses.field(default_factory=list)


def plan_columns(table: tables.Table, schema: tables.Schema,
                 given: Mapping[str, str | None] | None, crs: coords.CRS | None) -> ColumnPlan:
    """The columns of ``table`` and the coordinate system, from ``given`` (checked), the
    headers and ``crs`` (None: as the headers name it, else WGS-84)."""
    columns = tables.check_columns(given or {}, table.header,
                                   (c.name for c in schema.columns))
    if table.geometry is not None and any(g is not None for g in table.geometry):
        return ColumnPlan(columns, crs or "wgs84")
    pairs: dict[coords.CRS | None, dict[str, str]] = {}
    for header in table.header:
        if header in columns:
            continue
        said = tables.coordinate_header(header)
        axis, system = said if said else (schema.lookup.get(fold(header)), None)
        if axis in ("lon", "lat"):
            pairs.setdefault(system, {}).setdefault(axis, header)
    chosen = _chosen(columns, pairs, crs)
    lon, lat, named = chosen
    for pair in pairs.values():
        for header in pair.values():
            if header not in (lon, lat):
                columns[header] = None
    for chosen_header, axis in ((lon, "lon"), (lat, "lat")):
        if chosen_header is not None:
            columns[chosen_header] = axis
    unused = [h for pair in pairs.values() for h in pair.values() if h not in (lon, lat)]
    read = crs or named or "wgs84"
    plan = ColumnPlan(columns, read)
    if named is not None and crs is not None and crs != named:
        plan.warnings.append(ReadWarning("crs_override", Message(
            f"the headers {lon!r} and {lat!r} name {CRS_LABELS[named]}, but "
            f"{CRS_LABELS[crs]} was asked for: read as {CRS_LABELS[crs]}", "crs_override",
            lon=lon, lat=lat, named=CRS_LABELS[named], crs=CRS_LABELS[crs],
            named_zh=CRS_LABELS_ZH[named], crs_zh=CRS_LABELS_ZH[crs]),
            detail={"named": named, "crs": crs}))
    if lon is not None and lat is not None and (named is not None or unused):
        listed = ", ".join(repr(h) for h in unused) or "none"
        plan.warnings.append(ReadWarning("coordinates_used", Message(
            f"the position is read from {lon!r} and {lat!r} as {CRS_LABELS[read]} (columns "
            f"not used: {listed})", "coordinates_used", lon=lon, lat=lat,
            crs=CRS_LABELS[read], crs_zh=CRS_LABELS_ZH[read], unused=listed,
            unused_zh="、".join(unused) or "无"),
            detail={"lon": lon, "lat": lat, "crs": read, "unused": unused}))
    return plan


def _chosen(columns: Mapping[str, str | None], pairs: Mapping[coords.CRS | None, dict[str, str]],
            crs: coords.CRS | None) -> tuple[str | None, str | None, coords.CRS | None]:
    """The lon and lat headers and the system their headers name (None: none named)."""
    given = {axis: h for h, axis in columns.items() if axis in ("lon", "lat")}
    if given:
        systems = {tables.coordinate_header(h) for h in given.values()}
        named = {s[1] for s in systems if s is not None}
        system = named.pop() if len(named) == 1 else None
        for axis in ("lon", "lat"):
            if axis not in given:
                partner = pairs.get(system, {}).get(axis) or pairs.get(None, {}).get(axis)
                given[axis] = partner  # type: ignore[assignment]
        return given.get("lon"), given.get("lat"), system
    order = PAIR_ORDER if crs is None else (crs, None, *PAIR_ORDER)
    for system in order:
        pair = pairs.get(system, {})
        if len(pair) == 2:
            return pair["lon"], pair["lat"], system
    # no whole pair: whatever there is of one, the missing axis is reported by the schema
    found = {axis: (h, system) for system, pair in pairs.items() for axis, h in pair.items()}
    named_systems = {system for _, system in found.values() if system is not None}
    return (found.get("lon", (None, None))[0], found.get("lat", (None, None))[0],
            named_systems.pop() if len(named_systems) == 1 else None)


def names_say_kinds(table: tables.Table, schema: tables.Schema,
                    columns: Mapping[str, str | None]) -> bool:
    """Whether every row with a name has a name that says its kind (:func:`kind_from_name`),
    so a file without a kind column needs none; False when there is no name column."""
    index = None
    for i, header in enumerate(table.header):
        target = columns[header] if header in columns else schema.lookup.get(fold(header))
        if target == "name":
            index = i
            break
    if index is None:
        return False
    names = [cells[index] for _, cells in table.rows if index < len(cells) and cells[index]]
    return bool(names) and all(kind_from_name(name) for name in names)


def has_column(table: tables.Table, schema: tables.Schema, columns: Mapping[str, str | None],
               name: str) -> bool:
    """Whether a header of ``table`` gives column ``name`` (``columns`` first)."""
    if name in columns.values():
        return True
    return any(header not in columns and schema.lookup.get(fold(header)) == name
               for header in table.header)
