"""JSON documents of the analyses, as the web app serves them: stations and coverage cells.

Pure functions of geo objects (no web framework): the app only sends what they return.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from geo.coverage import CoverageResult, coverage_cells
from geo.stations import Station


def station_feature(station: Station, links: dict[str, str]) -> dict:
    """A station as a GeoJSON Feature (EPSG:4326), without ``open``."""
    props = station.to_record()
    props.pop("lon")
    props.pop("lat")
    props["links"] = links
    return {"type": "Feature", "id": station.id,
            "geometry": {"type": "Point", "coordinates": [station.lon, station.lat]},
            "properties": props}


def coverage_json(hours: CoverageResult, timed: CoverageResult, *, res: int, day: date,
                  skipped: dict[str, str], version: tuple[int, int], stations: int) -> dict:
    """The ``/api/coverage`` answer from two :class:`geo.coverage.CoverageResult`.

    ``hours`` was run with ``by_hour`` and gives each group's ``by_hour`` and ``shift_hours``
    and each cell's ``by_hour``; ``timed`` (the same run, or one at a time) gives everything
    else. Cells are GeoJSON polygons (EPSG:4326) of :func:`geo.coverage.coverage_cells`.
    """
    import h3

    groups = {}
    for gid, entry in timed.summary["groups"].items():
        extra = hours.summary["groups"][gid]
        groups[gid] = {**entry, "by_hour": extra["by_hour"], "shift_hours": extra["shift_hours"]}
    points = timed.points
    hour_columns = [c for c in hours.points.columns if c.startswith("covered_h")]
    if timed is not hours:
        same = (len(points) == len(hours.points)
                and (points["group"].to_numpy() == hours.points["group"].to_numpy()).all()
                and np.array_equal(points["lon"].to_numpy(), hours.points["lon"].to_numpy()))
        if not same:  # pragma: no cover - both runs read the same demand in the same order
            raise RuntimeError("the hourly and the timed coverage runs disagree on the points")
        points = points.assign(**{c: hours.points[c].to_numpy() for c in hour_columns})
    cells = coverage_cells(points, res)
    rings: dict[str, list] = {}
    features = []

    def number(value: float | None, digits: int) -> float | None:
        return None if value is None or not np.isfinite(value) else round(float(value), digits)

    share_columns = [f"share_h{h:02d}" for h in range(24)]
    for row in cells.itertuples(index=False):
        ring = rings.get(row.cell)
        if ring is None:
            boundary = [[round(lng, 6), round(lat, 6)]
                        for lat, lng in h3.cell_to_boundary(row.cell)]
            ring = rings[row.cell] = [*boundary, boundary[0]]
        values = row._asdict()
        features.append({
            "type": "Feature", "id": f"{row.cell}:{row.group}",
            "geometry": {"type": "Polygon", "coordinates": [ring]},
            "properties": {
                "cell": row.cell, "group": row.group, "workers": round(float(row.workers), 3),
                "covered": round(float(row.covered), 3), "share": round(float(row.share), 4),
                "off_network": round(float(row.off_network), 3),
                "travel": number(row.travel, 2), "travel_max": number(row.travel_max, 2),
                "by_hour": [round(float(values[c]), 4) for c in share_columns if c in values],
            }})
    summary = timed.summary
    return {"unit": summary["unit"], "budgets": summary["budgets"], "at": summary["at"],
            "day": day.isoformat(), "h3_res": res, "version": list(version),
            "stations": stations, "groups": groups, "skipped": skipped,
            "cells": {"type": "FeatureCollection", "features": features},
            "gaps": summary["gaps"],
            "stations_off_network": summary.get("stations_off_network", {})}
