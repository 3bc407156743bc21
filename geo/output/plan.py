"""A siting plan's output files: the proposal (GeoJSON, CSV, XLSX), the curve (PNG) and a map."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np

from geo.errors import InputError
from geo.network import Network
from geo.output.charts import cjk_font, label
from geo.output.maps import add_network, add_stations, finish, offline_map, save_map
from geo.siting.planning import Plan
from geo.style import NEW_SITE_COLOUR


#: File formats of a proposal (:func:`proposal_file`).
PROPOSAL_FORMATS = ("geojson", "csv", "xlsx")


def proposal_file(p: Plan, fmt: Literal["geojson", "csv", "xlsx"]) -> bytes:
    """The proposed sites as the bytes of a file.

    ``geojson``: a FeatureCollection of points (EPSG:4326), UTF-8; ``csv``: UTF-8 with a BOM (so
    Excel reads the Chinese names); ``xlsx``: one sheet ``proposal``. The columns are those of
    :attr:`Plan.sites` (``rank, id, name, lon, lat, source, cost, newly_covered, new_<group>``).
    """
    sites = p.sites
    if fmt == "geojson":
        import geopandas as gpd

        gdf = gpd.GeoDataFrame(sites, geometry=gpd.points_from_xy(sites.get("lon", []),
                                                                  sites.get("lat", [])), crs=4326)
        return gdf.to_json(ensure_ascii=False).encode("utf-8")
    if fmt == "csv":
        return sites.to_csv(index=False).encode("utf-8-sig")
    if fmt == "xlsx":
        import io

        buffer = io.BytesIO()
        sites.to_excel(buffer, index=False, sheet_name="proposal")
        return buffer.getvalue()
    raise InputError(f"`fmt` was {fmt!r} but must be one of {list(PROPOSAL_FORMATS)}",
                     parameter="fmt")


def write_plan(p: Plan, outdir: str | Path, *, network: Network | None = None,
               demo_label: str | None = None) -> dict[str, Path]:
    """The proposal as GeoJSON, CSV and XLSX, the curve as PNG, and an offline HTML map."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    files = {}
    for fmt in PROPOSAL_FORMATS:
        files[fmt] = outdir / f"proposal.{fmt}"
        files[fmt].write_bytes(proposal_file(p, fmt))
    if p.curve:
        files["curve"] = _write_curve(p, outdir / "coverage_curve.png")
    files["map"] = save_map(plan_map(p, network=network, demo_label=demo_label),
                            outdir / "plan_map.html")
    return files


def _write_curve(p: Plan, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    font = cjk_font()
    cjk = font is not None
    total = p.matrix.rows["weight"].sum()
    existing = sum(p.before[g] * p.matrix.rows.loc[p.matrix.rows.group == g, "weight"].sum()
                   for g in p.before) / total if total else 0
    xs = [0] + [c["new_stations"] for c in p.curve]
    ys = [existing * 100] + [c["share"] * 100 for c in p.curve]
    with plt.rc_context({"font.family": [font, "DejaVu Sans"] if cjk else ["DejaVu Sans"],
                         "axes.spines.top": False, "axes.spines.right": False}):
        fig, ax = plt.subplots(figsize=(8, 4.6), dpi=120)
        ax.plot(xs, ys, marker="o", color="#1565c0", lw=2)
        gains = np.diff(ys)
        for x, y, g in zip(xs[1:], ys[1:], gains):
            ax.annotate(f"+{g:.1f}", (x, y), textcoords="offset points", xytext=(0, 7),
                        ha="center", fontsize=8, color="#555")
        ax.set_xlabel(label("新建驿站数量", "new stations", cjk))
        ax.set_ylabel(label("覆盖比例 %", "workers covered, %", cjk))
        ax.set_title(label("新增驿站的边际收益", "Coverage curve: what each new station adds",
                            cjk), loc="left", fontsize=13)
        ax.set_xticks(xs)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)
    return path


def plan_map(p: Plan, *, network: Network | None = None, demo_label: str | None = None,
             inline: bool = False):
    """A folium map of existing and proposed stations (works offline)."""
    import folium

    rows = p.matrix.rows
    lon = np.concatenate([rows["lon"], [s.lon for s in p.matrix.existing]])
    lat = np.concatenate([rows["lat"], [s.lat for s in p.matrix.existing]])
    m = offline_map((float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())),
                    title="驿站选址方案 Siting proposal" + (f" · {demo_label}" if demo_label else ""),
                    inline=inline)
    if network is not None:
        add_network(m, network)
    if p.newly_covered is not None and p.newly_covered.any():
        gained = folium.FeatureGroup(name="新覆盖的劳动者 newly covered workers")
        for r in rows[p.newly_covered].itertuples():
            folium.CircleMarker([r.lat, r.lon], radius=3, weight=0, fill=True,
                                fill_color=NEW_SITE_COLOUR, fill_opacity=0.55,
                                tooltip=f"{r.group}: {r.weight:.1f}").add_to(gained)
        gained.add_to(m)
    add_stations(m, p.matrix.existing, name="现有驿站 existing stations", radius=6)
    layer = folium.FeatureGroup(name="新建驿站 proposed stations")
    for site in p.sites.itertuples():
        folium.CircleMarker([site.lat, site.lon], radius=11, color="#fff", weight=3, fill=True,
                            fill_color=NEW_SITE_COLOUR, fill_opacity=1,
                            popup=folium.Popup(f"新建 proposed #{site.rank}<br>"
                                               f"+{site.newly_covered:.0f} 人 workers newly covered"),
                            tooltip=folium.Tooltip(f"新{site.rank}", permanent=True,
                                                   direction="right")).add_to(layer)
    layer.add_to(m)
    return finish(m)
