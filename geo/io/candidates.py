"""Candidate sites for new stations from a table the office brings."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from geo import coords
from geo.errors import DataFileError, Problem
from geo.siting.planning import CANDIDATE_COLUMNS

_HEADERS = {"id": "id", "编号": "id", "name": "name", "名称": "name", "站点名称": "name",
            "lon": "lon", "lng": "lon", "经度": "lon", "longitude": "lon",
            "lat": "lat", "纬度": "lat", "latitude": "lat", "cost": "cost", "成本": "cost",
            "费用": "cost", "造价": "cost", "capacity": "capacity", "容量": "capacity"}

def read_candidates(path: str | Path, *, crs: str = "wgs84") -> pd.DataFrame:
    """Candidate sites from CSV/XLSX/GeoJSON/GPKG: ``lon, lat`` (经度, 纬度) and optionally
    ``id, name, cost (成本), capacity (容量)``. Every bad row is reported with file, row, column."""
    from geo.io.stations import read_table

    frame, first_row = read_table(path)
    frame = frame.rename(columns={c: _HEADERS.get(re.sub(r"\s+", "", str(c)).lower().lstrip(
        "\ufeff"), c) for c in frame.columns})
    name = str(path)
    missing = [c for c in ("lon", "lat") if c not in frame]
    if missing:
        raise DataFileError([Problem(name, None, None, "missing column(s) " + ", ".join(missing))])
    problems, rows = [], []
    for offset, rec in enumerate(frame.to_dict("records")):
        row = first_row + offset
        values = {k: str(v).strip() for k, v in rec.items()}
        if not any(values.values()):
            continue
        parsed = {"id": values.get("id") or f"cand-{row}", "name": values.get("name") or "",
                  "source": "file"}
        for column, default in (("lon", None), ("lat", None), ("cost", 1.0), ("capacity", np.nan)):
            text = values.get(column, "")
            if not text and default is not None:
                parsed[column] = default
                continue
            try:
                parsed[column] = float(text)
            except ValueError:
                problems.append(Problem(name, row, column, f"{text!r} is not a number"))
        if parsed.get("cost", 1.0) < 0:
            problems.append(Problem(name, row, "cost", "the cost must be ≥ 0"))
        if "lon" in parsed and "lat" in parsed and not (
                -180 <= parsed["lon"] <= 180 and -90 <= parsed["lat"] <= 90):
            problems.append(Problem(name, row, "lon", "coordinates out of range"))
        rows.append(parsed)
    if problems:
        raise DataFileError(problems)
    out = pd.DataFrame(rows, columns=CANDIDATE_COLUMNS)
    lon, lat = coords.to_wgs84(out["lon"].to_numpy(float), out["lat"].to_numpy(float), crs)
    out = out.assign(lon=lon, lat=lat)
    duplicated = out["id"].duplicated()
    if duplicated.any():
        raise DataFileError([Problem(name, None, "id", f"duplicate candidate id {i!r}")
                             for i in out.loc[duplicated, "id"]])
    return out
