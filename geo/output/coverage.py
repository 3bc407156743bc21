"""Writing a coverage analysis to a folder: GeoPackage, CSV summary, PNG charts, HTML map."""

from __future__ import annotations

import html
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo.coverage import CoverageResult
from geo.groups import DEFAULT_GROUPS, WorkerGroup
from geo.output.charts import cjk_font, label
from geo.stations import Station
from geo.style import GROUP_COLOURS

if TYPE_CHECKING:
    import folium
    from matplotlib.typing import RcKeyType

    from geo.network import Network


def served_by_station(result: CoverageResult, stations: list[Station]) -> pd.DataFrame:
    """Covered workers per station and group (each worker counted at their nearest station)."""
    covered = result.points[result.points["covered"]]
    served = covered.groupby(["station_id", "group"])["weight"].sum().unstack(fill_value=0.0)
    frame = pd.DataFrame({"id": [s.id for s in stations]}).set_index("id")
    return frame.join(served).fillna(0.0).round(3)


def write_coverage(result: CoverageResult, stations: list[Station],
                   outdir: str | os.PathLike[str], *, network: Network | None = None,
                   groups: dict[str, WorkerGroup] | None = None, demo_label: str | None = None,
                   basemap: dict | None = None) -> dict[str, Path]:
    """Write the analysis into ``outdir``.

    Files: ``coverage.gpkg`` (layers ``demand``, ``gaps`` named after their nearest street,
    ``stations``), ``summary.csv``
    (``districts.csv`` with districts), ``summary.json``, ``coverage_by_hour.png`` (with hours),
    ``workers_by_travel.png`` and ``coverage_map.html`` (offline, Leaflet beside it).
    """
    import geopandas as gpd

    groups = groups or DEFAULT_GROUPS
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}

    points = result.points.drop(columns=[c for c in ("node",) if c in result.points])
    points = points.assign(travel=points["travel"].replace(np.inf, np.nan))
    demand = gpd.GeoDataFrame(points, geometry=gpd.points_from_xy(points["lon"], points["lat"]),
                              crs=4326)
    gaps = result.gaps.copy()
    for column in ("by_group", "nearest", "cells"):
        if column in gaps:
            gaps[column] = gaps[column].map(lambda v: json.dumps(v, ensure_ascii=False))
    served = served_by_station(result, stations)
    station_frame = gpd.GeoDataFrame(
        {"id": [s.id for s in stations], "name": [s.name for s in stations],
         "kind": [s.kind for s in stations], "hours": [s.hours for s in stations],
         "capacity": [s.capacity for s in stations]},
        geometry=gpd.points_from_xy([s.lon for s in stations], [s.lat for s in stations]),
        crs=4326).merge(served.add_prefix("served_"), left_on="id", right_index=True, how="left")
    gpkg = outdir / "coverage.gpkg"
    if gpkg.exists():
        gpkg.unlink()
    demand.to_file(gpkg, layer="demand", driver="GPKG")
    if len(gaps):
        gaps.to_file(gpkg, layer="gaps", driver="GPKG")
    station_frame.to_file(gpkg, layer="stations", driver="GPKG")
    files["gpkg"] = gpkg

    rows = []
    for gid, entry in result.summary["groups"].items():
        row = {"group": gid, "zh": entry["zh"], "mode": entry["mode"], "budget": entry["budget"],
               "unit": result.unit, "total": entry["total"], "covered": entry["covered"],
               "uncovered": entry["uncovered"], "share": entry["share"],
               "off_network": entry["off_network"]}
        for h, share in enumerate(entry.get("by_hour", [])):
            row[f"h{h:02d}"] = share
        rows.append(row)
    files["csv"] = outdir / "summary.csv"
    pd.DataFrame(rows).to_csv(files["csv"], index=False, encoding="utf-8-sig")
    districts = [{"group": gid, "district": name, **values}
                 for gid, entry in result.summary["groups"].items()
                 for name, values in entry.get("by_district", {}).items()]
    if districts:
        files["districts"] = outdir / "districts.csv"
        pd.DataFrame(districts).to_csv(files["districts"], index=False, encoding="utf-8-sig")
    if result.access is not None:
        files["access"] = outdir / "accessibility.csv"
        result.access.to_csv(files["access"], index=False, encoding="utf-8-sig")
    files["json"] = outdir / "summary.json"
    files["json"].write_text(json.dumps(result.summary, ensure_ascii=False, indent=1), "utf-8")

    files.update(write_charts(result, outdir, groups))
    files["map"] = write_map(result, stations, outdir / "coverage_map.html", network=network,
                             demo_label=demo_label, basemap=basemap)
    return files


def write_charts(result: CoverageResult, outdir: Path,
                 groups: dict[str, WorkerGroup]) -> dict[str, Path]:
    """PNG charts: covered share by hour per group, and workers by travel time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    font = cjk_font()
    cjk = font is not None
    style: dict[RcKeyType, Any] = {
        "font.family": [font, "DejaVu Sans"] if cjk else ["DejaVu Sans"],
        "axes.spines.top": False, "axes.spines.right": False}
    files = {}
    summary = result.summary["groups"]
    with plt.rc_context(style):
        if any("by_hour" in e for e in summary.values()):
            fig, ax = plt.subplots(figsize=(11, 5.2), dpi=120)
            dashes = ["-", "--", "-.", ":"]
            for lane, (gid, entry) in enumerate(summary.items()):
                shares = np.array(entry["by_hour"]) * 100
                colour = GROUP_COLOURS.get(gid, None)
                ax.step(np.arange(25), np.append(shares, shares[-1]), where="post", lw=2.2,
                        ls=dashes[lane % 4], color=colour,
                        label=label(entry["zh"], entry["en"], cjk))
                # the group's working hours as a bar in its own lane below the axis
                y = -5 - 4 * lane
                for h in entry.get("shift_hours", []):
                    ax.plot([h + 0.05, h + 0.95], [y, y], color=colour, lw=5,
                            solid_capstyle="butt")
            ax.axhline(0, color="#999", lw=0.8)
            ax.set_xlim(0, 24)
            ax.set_ylim(-6 - 4 * len(summary), 103)
            ax.set_yticks(range(0, 101, 20))
            ax.set_xticks(range(0, 25, 2))
            ax.set_xlabel(label("时刻", "hour of day", cjk))
            ax.set_ylabel(label("覆盖比例 %", "workers covered, %", cjk))
            ax.set_title(label("各时段驿站覆盖率", "Coverage by hour (stations open then)", cjk),
                         loc="left", fontsize=13)
            ax.grid(axis="y", alpha=0.3)
            # beside the axes, so that no curve runs through it
            ax.legend(frameon=False, loc="center left", bbox_to_anchor=(1.01, 0.6), fontsize=9)
            fig.text(0.01, 0.01, label("下方色条：各群体的工作时段", "bars below the axis: "
                                        "working hours of each group", cjk),
                     fontsize=8, color="#666")
            fig.tight_layout()
            files["chart_hours"] = outdir / "coverage_by_hour.png"
            fig.savefig(files["chart_hours"])
            plt.close(fig)

        fig, ax = plt.subplots(figsize=(9, 4.8), dpi=120)
        points = result.points
        finite = points["travel"].replace(np.inf, np.nan).dropna()
        top = max([*result.budgets.values(), 1.0]) * 2
        top = max(top, float(finite.quantile(0.98)) if len(finite) else top)
        bins = np.linspace(0, top, 31)
        bottom = np.zeros(len(bins) - 1)
        for gid, entry in summary.items():
            rows = points[points["group"] == gid]
            travel = rows["travel"].clip(upper=top).replace(np.inf, top)
            counts, _ = np.histogram(travel, bins=bins, weights=rows["weight"])
            ax.bar(bins[:-1], counts, width=np.diff(bins), bottom=bottom, align="edge",
                   color=GROUP_COLOURS.get(gid), label=label(entry["zh"], entry["en"], cjk),
                   edgecolor="white", linewidth=0.4)
            bottom += counts
        for gid, budget in result.budgets.items():
            ax.axvline(budget, color=GROUP_COLOURS.get(gid, "#333"), ls="--", lw=1)
        unit = ("分钟", "minutes") if result.unit == "minutes" else ("米", "metres")
        ax.set_xlabel(label(f"到最近驿站的路程（{unit[0]}）",
                             f"travel to the nearest station ({unit[1]}); last bar: "
                             "beyond or unreachable", cjk))
        ax.set_ylabel(label("劳动者人数", "workers", cjk))
        ax.set_title(label("劳动者到最近驿站的路程（虚线：服务圈）",
                            "Workers by travel to the nearest station (dashed: budget)", cjk),
                     loc="left", fontsize=13)
        ax.legend(frameon=False, fontsize=9)
        ax.grid(axis="y", alpha=0.3)
        fig.tight_layout()
        files["chart_travel"] = outdir / "workers_by_travel.png"
        fig.savefig(files["chart_travel"])
        plt.close(fig)
    return files


def write_map(result: CoverageResult, stations: list[Station], path: Path, *,
              network: Network | None = None, basemap: dict | None = None,
              demo_label: str | None = None) -> Path:
    """An offline HTML map file of :func:`coverage_map`."""
    from geo.output.maps import save_map

    return save_map(coverage_map(result, stations, network=network, demo_label=demo_label,
                                 basemap=basemap), path)


def coverage_map(result: CoverageResult, stations: list[Station], *, network: Network | None = None,
                 demo_label: str | None = None, inline: bool = False,
                 basemap: dict | None = None) -> folium.Map:
    """A folium map: demand coloured covered/uncovered, gap areas, stations (works offline).

    The basemap is ``basemap`` (:func:`geo.basemap.read_basemap`) when given, else the streets
    of ``network``."""
    import folium

    from geo.output.maps import add_basemap, add_network, add_stations, finish, offline_map

    points = result.points
    lon = np.concatenate([points["lon"].to_numpy(float), [s.lon for s in stations]])
    lat = np.concatenate([points["lat"].to_numpy(float), [s.lat for s in stations]])
    if len(lon) == 0:
        lon, lat = np.array([0.0]), np.array([0.0])
    bounds = (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))
    title = "驿站覆盖 Station coverage" + (f" · {demo_label}" if demo_label else "")
    m = offline_map(bounds, title=title, inline=inline)
    if basemap is not None:
        add_basemap(m, basemap)
    elif network is not None:
        add_network(m, network)
    top = max(float(points["weight"].max()) if len(points) else 1.0, 1e-9)
    for covered, name, colour in ((True, "已覆盖 covered", "#43a047"),
                                  (False, "未覆盖 not covered", "#e53935")):
        # one GeoJSON layer of circle markers: a city's 50,000 workers are data in the page,
        # not 50,000 rendered elements
        rows = points[points["covered"] == covered]
        features = [{"type": "Feature",
                     "properties": {"label": f"{group}: {weight:.1f}",
                                    "radius": round(2 + 6 * (weight / top) ** 0.5, 2)},
                     "geometry": {"type": "Point", "coordinates": [round(x, 7), round(y, 7)]}}
                    for x, y, weight, group in zip(rows["lon"].tolist(), rows["lat"].tolist(),
                                                   rows["weight"].tolist(),
                                                   rows["group"].tolist(), strict=True)]
        layer = folium.FeatureGroup(name=name)
        if features:
            folium.GeoJson(
                {"type": "FeatureCollection", "features": features},
                marker=folium.CircleMarker(radius=3, color=colour, weight=0, fill=True,
                                           fill_color=colour, fill_opacity=0.6),
                style_function=lambda f: {"radius": f["properties"]["radius"]},
                tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
            ).add_to(layer)
        layer.add_to(m)
    if len(result.gaps):
        gaps = folium.FeatureGroup(name="缺口区域 gap areas")
        for g in result.gaps.itertuples():
            folium.GeoJson(g.geometry.__geo_interface__, style_function=lambda _: {
                "color": "#b71c1c", "weight": 2, "fillColor": "#ef5350", "fillOpacity": 0.25},
                tooltip=f"#{g.rank} {html.escape(g.name)} / {html.escape(g.name_en)}: "
                        f"{g.workers:.0f} 人 workers").add_to(gaps)
        gaps.add_to(m)
    add_stations(m, stations)
    return finish(m)
