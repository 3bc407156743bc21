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
    """The curve as a PNG: one panel per group, each with its own y-axis, so that a small
    group's gain is as visible as a large one's. Each point is the group's covered share (%)
    with 0, 1, 2 … new stations; the labels are the workers each step adds, rounded to whole
    workers (the data keep the weights)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from geo.groups import DEFAULT_GROUPS
    from geo.style import GROUP_COLOURS

    font = cjk_font()
    cjk = font is not None
    rows = p.matrix.rows
    totals = rows.groupby("group", sort=False)["weight"].sum()
    xs = [0] + [c["new_stations"] for c in p.curve]
    if all("by_group" in c for c in p.curve):
        lines = {g: [p.before[g]] + [c["by_group"][g] for c in p.curve] for g in p.before}
    else:  # a curve without per-group shares: the groups together
        together = sum(p.before[g] * totals[g] for g in p.before) / max(totals.sum(), 1e-12)
        lines = {"": [together] + [c["share"] for c in p.curve]}
    n = len(lines)
    with plt.rc_context({"font.family": [font, "DejaVu Sans"] if cjk else ["DejaVu Sans"],
                         "axes.spines.top": False, "axes.spines.right": False}):
        fig, axes = plt.subplots(1, n, figsize=(4.2 * n + 0.6, 4.4), dpi=120, squeeze=False)
        for ax, (gid, shares) in zip(axes[0], lines.items()):
            group = DEFAULT_GROUPS.get(gid)
            colour = GROUP_COLOURS.get(gid, "#1565c0")
            ys = np.array(shares) * 100
            total = float(totals[gid]) if gid in totals else float(totals.sum())
            ax.plot(xs, ys, marker="o", color=colour, lw=2)
            for x, y, gain in zip(xs[1:], ys[1:], np.diff(ys)):
                workers = gain / 100 * total
                if round(workers) >= 1:
                    ax.annotate(f"+{workers:,.0f}", (x, y), textcoords="offset points",
                                xytext=(0, 7), ha="center", fontsize=8, color="#555")
            low, high = float(ys.min()), float(ys.max())
            pad = max((high - low) * 0.15, 0.5)
            ax.set_ylim(max(low - pad, 0), min(high + pad * 1.6, 100.5))
            ax.set_xticks(xs)
            ax.grid(alpha=0.3)
            ax.set_xlabel(label("新建驿站数量", "new stations", cjk))
            name = (label(group.zh, group.en, cjk) if group else gid) or label(
                "各群体合计", "groups together", cjk)
            ax.set_title(f"{name}\n{ys[0]:.1f}% → {ys[-1]:.1f}% · "
                         + label(f"共 {total:,.0f} 人", f"{total:,.0f} workers", cjk),
                         loc="left", fontsize=10)
        axes[0][0].set_ylabel(label("覆盖比例 %", "workers covered, %", cjk))
        fig.suptitle(label("新增驿站的边际收益（数字：新增覆盖人数）",
                           "What each new station adds (labels: workers newly covered)", cjk),
                     x=0.01, ha="left", fontsize=12)
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
