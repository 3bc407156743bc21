"""The province summary of a batch (:mod:`geo.batch`) written to its output folder.

:func:`write_summary` writes ``summary.json``, ``summary.xlsx`` and ``summary.csv`` (one row per
region and group, :func:`summary_table`), ``uncovered.png`` (regions ranked by uncovered workers,
one panel per group) and ``overview.html`` (:func:`province_map`: the regions' outlines coloured
by their uncovered share, each linking to its region's coverage map; offline).

A record is what :func:`geo.batch.run_region` returns: ``{"entry", "outline"}``, the region's
summary entry and its outline (``[[lon, lat], …]``, EPSG:4326), or a failed entry with no
outline.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast
from urllib.parse import quote

from geo.groups import DEFAULT_GROUPS
from geo.output.charts import cjk_font, label
from geo.style import GROUP_COLOURS

if TYPE_CHECKING:
    import folium
    import pandas as pd
    from branca.element import Figure
    from matplotlib.axes import Axes

#: Headers of the summary table (Chinese and English).
SUMMARY_HEADERS = {"region": "地区 region", "status": "状态 status", "group": "群体 group",
                   "group_name": "群体名称 group name", "total": "劳动者 workers",
                   "covered": "已覆盖 covered", "uncovered": "未覆盖 uncovered",
                   "share": "覆盖率 share", "stations": "现有驿站 stations",
                   "new_stations": "建议新建 new stations", "error": "错误 error"}
#: Regions shown per group in the chart (the most uncovered first).
CHART_REGIONS = 25


class SummaryOptions(Protocol):
    """What the regions were analysed for (:class:`geo.batch.BatchOptions`), recorded in
    ``summary.json``."""

    @property
    def at(self) -> str | None: ...

    @property
    def by_hour(self) -> bool: ...

    @property
    def day(self) -> date | None: ...


def summary_table(entries: Iterable[dict]) -> pd.DataFrame:
    """One row per region and group (one row for a failed region), headed in Chinese and
    English (:data:`SUMMARY_HEADERS`)."""
    import pandas as pd

    rows = []
    for e in entries:
        base = {"region": e["name"], "status": e["status"]}
        plan = e.get("plan") or {}
        if e["status"] != "ok" or not e["groups"]:
            rows.append({**base, "error": e.get("error", "")})
            continue
        for gid, values in e["groups"].items():
            group = DEFAULT_GROUPS.get(gid)
            rows.append({**base, "group": gid, "group_name": group.zh if group else gid,
                         "total": round(values["total"], 3),
                         "covered": round(values["covered"], 3),
                         "uncovered": round(values["uncovered"], 3),
                         "share": round(values["share"], 6), "stations": e.get("stations"),
                         "new_stations": plan.get("new_stations"), "error": ""})
    frame = pd.DataFrame(rows, columns=list(SUMMARY_HEADERS))
    return frame.rename(columns=SUMMARY_HEADERS)


def write_summary(records: Sequence[dict], outdir: str | os.PathLike[str],
                  options: SummaryOptions | None = None) -> dict[str, Path]:
    """The province summary in ``outdir``: ``summary.json``, ``summary.xlsx`` and
    ``summary.csv`` (UTF-8 with a BOM; cells a spreadsheet would take for a formula kept as
    text), ``uncovered.png`` (regions ranked by uncovered workers, per group) and
    ``overview.html`` (an offline map of the regions' outlines, coloured by their uncovered
    share, each linking to its region's coverage map).

    Parameters
    ----------
    records
        Per region: ``{"entry", "outline"}`` (:func:`geo.batch.run_region`).
    options
        What the regions were analysed for (``at``, ``by_hour``, ``day``); None: every station
        counted open, no hours.

    Returns
    -------
    dict
        The files by kind: ``json``, ``xlsx``, ``csv``, ``chart`` and ``map``.
    """
    from geo.io import sheets

    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    entries = [r["entry"] for r in records]
    day = None if options is None or options.day is None else options.day.isoformat()
    files = {"json": outdir / "summary.json", "xlsx": outdir / "summary.xlsx",
             "csv": outdir / "summary.csv"}
    document = {"regions": entries, "at": None if options is None else options.at,
                "by_hour": False if options is None else options.by_hour, "day": day,
                "ok": sum(e["status"] == "ok" for e in entries),
                "failed": sum(e["status"] != "ok" for e in entries)}
    files["json"].write_text(json.dumps(document, ensure_ascii=False, indent=1, default=str),
                             "utf-8")
    table = summary_table(entries)
    files["csv"].write_bytes(sheets.csv_bytes(table))
    files["xlsx"].write_bytes(sheets.xlsx_bytes(table, sheet="全省汇总 province"))
    files["chart"] = _write_chart(entries, outdir / "uncovered.png")
    files["map"] = _write_map(records, outdir / "overview.html")
    return files


def _uncovered_share(entry: dict) -> float | None:
    """The share of the region's workers (all groups) not covered; None for a failed region."""
    total = sum(v["total"] for v in entry["groups"].values())
    if entry["status"] != "ok" or total <= 0:
        return None
    return sum(v["uncovered"] for v in entry["groups"].values()) / total


# --- the chart ------------------------------------------------------------------------------------


def _write_chart(entries: Sequence[dict], path: Path) -> Path:
    """Regions ranked by uncovered workers, one panel per group, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    font = cjk_font()
    cjk = font is not None
    ok = [e for e in entries if e["status"] == "ok"]
    groups = list(dict.fromkeys(g for e in ok for g in e["groups"])) or ["—"]
    shown = min(max(len(ok), 1), CHART_REGIONS)
    with plt.rc_context({"font.family": [font, "DejaVu Sans"] if cjk else ["DejaVu Sans"],
                         "axes.spines.top": False, "axes.spines.right": False}):
        fig, axes = plt.subplots(1, len(groups), figsize=(3.6 * len(groups) + 1.2,
                                                          1.2 + 0.32 * shown + 0.8),
                                 dpi=120, squeeze=False)
        for ax, gid in zip(axes[0], groups, strict=True):
            _ranking(ax, ok, gid, cjk)
        failed = [e["name"] for e in entries if e["status"] != "ok"]
        title = label("各地区未覆盖劳动者排名", "Regions ranked by workers not covered", cjk)
        if failed:
            title += "  ·  " + label(f"未完成 {len(failed)} 个", f"{len(failed)} failed", cjk)
        fig.suptitle(title, x=0.01, ha="left", fontsize=12)
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)
    return path


def _ranking(ax: Axes, ok: Sequence[dict], gid: str, cjk: bool) -> None:
    """One panel: the regions with the most workers of group ``gid`` not covered, as bars."""
    ranked = sorted(((e["groups"][gid]["uncovered"], e["name"]) for e in ok
                     if gid in e["groups"]), reverse=True)[:CHART_REGIONS]
    values = [v for v, _ in ranked][::-1]
    names = [n for _, n in ranked][::-1]
    ax.barh(range(len(values)), values, color=GROUP_COLOURS.get(gid, "#1565c0"))
    ax.set_xlim(0, max([*values, 0.0]) * 1.18 or 1.0)
    ax.set_yticks(range(len(values)))
    ax.set_yticklabels(names if cjk else [n.encode("ascii", "replace").decode() for n in names],
                       fontsize=8)
    for y, v in enumerate(values):
        ax.annotate(f"{v:,.0f}", (v, y), xytext=(3, 0), textcoords="offset points",
                    va="center", fontsize=7, color="#444")
    group = DEFAULT_GROUPS.get(gid)
    ax.set_title(label(group.zh, group.en, cjk) if group else gid, loc="left", fontsize=10)
    ax.set_xlabel(label("未覆盖人数", "workers not covered", cjk), fontsize=8)
    ax.grid(axis="x", alpha=0.3)


# --- the overview map -----------------------------------------------------------------------------


def _colour(share: float | None) -> str:
    """Green (all covered) through yellow to red (none covered); grey when unknown."""
    if share is None:
        return "#9e9e9e"
    import matplotlib

    r, g, b, _ = matplotlib.colormaps["RdYlGn_r"](min(max(share, 0.0), 1.0))
    return f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}"


def _write_map(records: Sequence[dict], path: Path) -> Path:
    """:func:`province_map` written offline (Leaflet beside it)."""
    from geo.output.maps import save_map

    return save_map(province_map(records), path)


def province_map(records: Sequence[dict], *, inline: bool = False) -> folium.Map:
    """An offline folium map of the regions' outlines coloured by uncovered share, each linking
    to its region's coverage map (``<name>/coverage/coverage_map.html``); the failed regions are
    named in the legend."""
    import folium

    from geo.output.maps import finish, offline_map

    rings: list[list[list[float]]] = [r["outline"] for r in records if r.get("outline")]
    points = [p for ring in rings for p in ring] or [[104.0, 30.0]]
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    pad = max(max(lons) - min(lons), max(lats) - min(lats)) * 0.08  # the dots' labels fit
    m = offline_map((min(lons) - pad, min(lats) - pad, max(lons) + pad, max(lats) + pad),
                    title="全省驿站覆盖概览 Province overview", inline=inline)
    layer = folium.FeatureGroup(name="地区 regions")
    for record in records:
        if record.get("outline"):
            _add_region(layer, record["entry"], record["outline"])
    layer.add_to(m)
    page = cast("Figure", m.get_root())
    page.html.add_child(folium.Element(_legend(records)))
    return finish(m)


def _add_region(layer: folium.FeatureGroup, entry: dict, ring: list[list[float]]) -> None:
    """A region's outline and a labelled dot at its middle (a city shows at the province's
    zoom too), both opening the same popup."""
    import folium

    share = _uncovered_share(entry)
    colour = _colour(share)
    name = html.escape(entry["name"])
    link = f"{quote(entry['name'])}/coverage/coverage_map.html"
    text = "—" if share is None else f"{share:.1%}"
    lines = "".join(f"<br>{html.escape(g)}: {v['share']:.1%} ({v['uncovered']:,.0f} "
                    "未覆盖 not covered)" for g, v in entry["groups"].items())
    popup = (f'<b><a href="{link}" target="_blank">{name}</a></b>'
             f"<br>未覆盖 not covered: {text}{lines}")
    shape = folium.GeoJson({"type": "Feature", "properties": {},
                            "geometry": {"type": "Polygon", "coordinates": [ring]}},
                           style_function=lambda _, c=colour: {
                               "color": c, "weight": 2, "fillColor": c, "fillOpacity": 0.45},
                           tooltip=f"{name}: 未覆盖 {text} not covered")
    shape.add_child(folium.Popup(popup, max_width=360))  # what popup= does, for any Popup
    shape.add_to(layer)
    lon = sum(p[0] for p in ring[:-1]) / max(len(ring) - 1, 1)
    lat = sum(p[1] for p in ring[:-1]) / max(len(ring) - 1, 1)
    folium.CircleMarker([lat, lon], radius=8, color="#fff", weight=2, fill=True,
                        fill_color=colour, fill_opacity=0.95,
                        popup=folium.Popup(popup, max_width=360),
                        tooltip=folium.Tooltip(f"{name} {text}", permanent=True,
                                               direction="right")).add_to(layer)


def _legend(records: Sequence[dict]) -> str:
    """The colour scale, and the failed regions with their errors, as a fixed HTML box."""
    failed = [r["entry"] for r in records if r["entry"]["status"] != "ok"]
    legend = ('<div style="position:fixed;top:50px;left:50px;z-index:1000;background:#fff;'
              'padding:6px 10px;border-radius:6px;box-shadow:0 1px 4px rgba(0,0,0,.3);'
              'font:12px system-ui,sans-serif">未覆盖比例 share not covered: '
              + " ".join(f'<span style="background:{_colour(v)};padding:0 6px">{v:.0%}</span>'
                         for v in (0.0, 0.25, 0.5, 0.75, 1.0)))
    if failed:
        legend += "<br>未完成 failed: " + "; ".join(
            f"{html.escape(e['name'])} ({html.escape(e.get('error', '')[:120])})" for e in failed)
    return legend + "</div>"
