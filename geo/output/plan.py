"""A siting plan's output files: the proposal (GeoJSON, CSV, XLSX), the curve (PNG) and a map."""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from geo import coords
from geo.errors import InputError
from geo.io import sheets, tables
from geo.network import Network

if TYPE_CHECKING:
    import folium
from geo.output.charts import cjk_font, label
from geo.output.maps import add_basemap, add_network, add_stations, finish, offline_map, save_map
from geo.siting.planning import Plan
from geo.style import NEW_SITE_COLOUR

#: File formats of a proposal (:func:`proposal_file`).
ProposalFormat = Literal["geojson", "csv", "xlsx"]
PROPOSAL_FORMATS: tuple[ProposalFormat, ...] = ("geojson", "csv", "xlsx")

#: Languages of a proposal's headers (:func:`proposal_file`).
PROPOSAL_LANGS = ("en", "zh")

#: Chinese headers of a proposal's columns; ``new_<group>`` becomes ``新覆盖·<group 中文名>``.
PROPOSAL_ZH = {"rank": "排名", "id": "编号", "name": "名称", "name_en": "英文名称",
               "lon": "经度", "lat": "纬度", "crs": "坐标系", "source": "来源", "cost": "成本",
               "newly_covered": "新覆盖人数"}
_SOURCES_ZH = {"gap": "覆盖缺口", "file": "候选点文件"}
_CRS_LABELS = {"wgs84": "WGS-84", "gcj02": "GCJ-02", "bd09": "BD-09"}


def proposal_table(p: Plan, *, lang: Literal["en", "zh"] = "en",
                   crs: str = "wgs84") -> pd.DataFrame:
    """The proposed sites as a table: the columns of :attr:`Plan.sites` (``rank, id, name, lon,
    lat, source, cost, newly_covered, new_<group>`` and, for gap sites, ``name_en``), or their
    Chinese (:data:`PROPOSAL_ZH`, ``新覆盖·外卖骑手/快递员`` …) with ``lang="zh"``. Gap sites are
    named after the nearest named street (:func:`geo.places.name_places`).

    ``crs`` other than ``wgs84`` converts ``lon``/``lat`` to GCJ-02 (Amap, Tencent) or BD-09
    (Baidu), rounded to 7 decimals, and adds a ``crs`` (``坐标系``) column after them naming it.
    """
    crs = tables.check_crs(crs)
    if lang not in PROPOSAL_LANGS:
        raise InputError(f"`lang` was {lang!r} but must be one of {list(PROPOSAL_LANGS)}",
                         parameter="lang")
    sites = p.sites.copy()
    if crs != "wgs84" and len(sites):
        lon, lat = coords.from_wgs84(sites["lon"].to_numpy(float), sites["lat"].to_numpy(float),
                                     crs)
        sites["lon"], sites["lat"] = np.round(lon, 7), np.round(lat, 7)
    if crs != "wgs84":
        sites.insert(sites.columns.get_loc("lat") + 1 if "lat" in sites else len(sites.columns),
                     "crs", _CRS_LABELS[crs])
    if lang == "en":
        return sites
    from geo.groups import load_groups

    groups = load_groups()
    if "source" in sites:
        sites["source"] = sites["source"].map(_source_zh)
    names = {c: PROPOSAL_ZH.get(c) or (
        f"新覆盖·{groups[c[4:]].zh if c[4:] in groups else c[4:]}" if c.startswith("new_") else c)
        for c in sites.columns}
    return sites.rename(columns=names)


def _source_zh(source: object) -> object:
    if not isinstance(source, str):
        return source
    if source.startswith("osm:"):
        return f"OpenStreetMap 场所（{source[4:]}）"
    return _SOURCES_ZH.get(source, source)


def proposal_file(p: Plan, fmt: ProposalFormat, *,
                  lang: Literal["en", "zh"] = "en", crs: str = "wgs84") -> bytes:
    """The proposed sites as the bytes of a file.

    ``geojson``: a FeatureCollection of points (EPSG:4326, as RFC 7946 wants), UTF-8; ``csv``:
    UTF-8 with a BOM (so Excel reads the Chinese names); ``xlsx``: one sheet ``proposal``
    (``选址方案``). The columns are those of :func:`proposal_table`: English headers, or Chinese
    ones with ``lang="zh"``; coordinates in ``crs`` (``gcj02`` or ``bd09`` for an office's Amap or
    Baidu maps, CSV and XLSX only). CSV and XLSX cells a spreadsheet would take for a formula
    are written as text (:mod:`geo.io.sheets`).

    Raises
    ------
    InputError
        For an unknown ``fmt``, ``lang`` or ``crs``, or GeoJSON in another CRS than WGS-84.
    """
    if fmt not in PROPOSAL_FORMATS:
        raise InputError(f"`fmt` was {fmt!r} but must be one of {list(PROPOSAL_FORMATS)}",
                         parameter="fmt")
    if fmt == "geojson" and crs != "wgs84":
        raise InputError(f"`crs` was {crs!r} but GeoJSON is always WGS-84 (RFC 7946); write "
                         "csv or xlsx for GCJ-02 or BD-09 coordinates", parameter="crs")
    sites = proposal_table(p, lang=lang, crs=crs)
    if fmt == "geojson":
        import geopandas as gpd

        lon, lat = ("lon", "lat") if lang == "en" else (PROPOSAL_ZH["lon"], PROPOSAL_ZH["lat"])
        gdf = gpd.GeoDataFrame(sites, geometry=gpd.points_from_xy(sites.get(lon, []),
                                                                  sites.get(lat, [])), crs=4326)
        return gdf.to_json(ensure_ascii=False).encode("utf-8")
    if fmt == "csv":
        return sheets.csv_bytes(sites)
    return sheets.xlsx_bytes(sites, sheet="选址方案" if lang == "zh" else "proposal")


def write_plan(p: Plan, outdir: str | os.PathLike[str], *, network: Network | None = None,
               demo_label: str | None = None, lang: Literal["en", "zh"] = "en",
               crs: str = "wgs84", basemap: dict | None = None) -> dict[str, Path]:
    """The proposal as GeoJSON, CSV and XLSX, the curve as PNG, and an offline HTML map.

    ``lang`` and ``crs`` as for :func:`proposal_file`. With ``crs`` ``gcj02`` or ``bd09`` the
    CSV and XLSX are named for it (``proposal-gcj02.csv``) and have a ``crs`` column; the
    GeoJSON and the map stay in WGS-84.
    """
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    for fmt in PROPOSAL_FORMATS:
        in_crs = crs if fmt != "geojson" else "wgs84"
        stem = "proposal" if in_crs == "wgs84" else f"proposal-{in_crs}"
        files[fmt] = outdir / f"{stem}.{fmt}"
        files[fmt].write_bytes(proposal_file(p, fmt, lang=lang, crs=in_crs))
    if p.curve:
        files["curve"] = _write_curve(p, outdir / "coverage_curve.png")
    files["map"] = save_map(plan_map(p, network=network, demo_label=demo_label, basemap=basemap),
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

    curve = p.curve
    assert curve is not None, "write_plan draws the curve only for a plan that has one"
    font = cjk_font()
    cjk = font is not None
    rows = p.matrix.rows
    totals = rows.groupby("group", sort=False)["weight"].sum()
    xs = [0] + [c["new_stations"] for c in curve]
    if all("by_group" in c for c in curve):
        lines = {g: [p.before[g]] + [c["by_group"][g] for c in curve] for g in p.before}
    else:  # a curve without per-group shares: the groups together
        together = sum(p.before[g] * totals[g] for g in p.before) / max(totals.sum(), 1e-12)
        lines = {"": [together] + [c["share"] for c in curve]}
    n = len(lines)
    with plt.rc_context({"font.family": [font, "DejaVu Sans"] if cjk else ["DejaVu Sans"],
                         "axes.spines.top": False, "axes.spines.right": False}):
        fig, axes = plt.subplots(1, n, figsize=(4.2 * n + 0.6, 4.4), dpi=120, squeeze=False)
        for ax, (gid, shares) in zip(axes[0], lines.items(), strict=True):
            group = DEFAULT_GROUPS.get(gid)
            colour = GROUP_COLOURS.get(gid, "#1565c0")
            ys = np.array(shares) * 100
            total = float(totals[gid]) if gid in totals else float(totals.sum())
            ax.plot(xs, ys, marker="o", color=colour, lw=2)
            for x, y, gain in zip(xs[1:], ys[1:], np.diff(ys), strict=True):
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
             inline: bool = False, basemap: dict | None = None) -> folium.Map:
    """A folium map of existing and proposed stations (works offline), on ``basemap``
    (:func:`geo.basemap.read_basemap`) when given, else on the streets of ``network``."""
    import folium

    rows = p.matrix.rows
    lon = np.concatenate([rows["lon"], [s.lon for s in p.matrix.existing]])
    lat = np.concatenate([rows["lat"], [s.lat for s in p.matrix.existing]])
    title = "驿站选址方案 Siting proposal" + (f" · {demo_label}" if demo_label else "")
    m = offline_map((float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())),
                    title=title, inline=inline)
    if basemap is not None:
        add_basemap(m, basemap)
    elif network is not None:
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
        names = html.escape(" / ".join(dict.fromkeys(
            n for n in (site.name, getattr(site, "name_en", "")) if isinstance(n, str) and n)))
        folium.CircleMarker([site.lat, site.lon], radius=11, color="#fff", weight=3, fill=True,
                            fill_color=NEW_SITE_COLOUR, fill_opacity=1,
                            popup=folium.Popup(f"新建 proposed #{site.rank} {names}<br>+"
                                               f"{site.newly_covered:.0f} 人 workers newly "
                                               "covered"),
                            tooltip=folium.Tooltip(f"新{site.rank}", permanent=True,
                                                   direction="right")).add_to(layer)
    layer.add_to(m)
    return finish(m)
