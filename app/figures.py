"""The province's figures (统计报表): per organisation and per level of the tree, this month
against the last.

For each organisation (its area: :meth:`app.orgs.Orgs.area`): stations by kind and per 10,000
workers, stations open 24 hours, the share of each worker group covered within the group's own
budget at 10:00 and at 04:00 (:func:`geo.workflow.run_coverage` with ``by_hour``), gap areas,
workers' reports open and handled, stations opened and closed this month and the last (from the
station history). Against last month: the stations as they were when this month began
(:func:`geo.registry_changes.stations_at`: this month's changes undone) give the same figures
again — stations, by kind, 24-hour stations, coverage, gap areas — with ``_last_month`` keys.
Each level (city, district, street …) sums its organisations; its coverage is weighted by each
group's own workers.
:func:`figures` gives the JSON the dashboard shows; :func:`geo.output.figures.write_figures`
writes the same figures as the XLSX an office sends upward.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from app.orgs import LEVELS, Org, Orgs
from geo import settings
from geo.errors import NotFoundError, YizhanError
from geo.registry_changes import stations_at
from geo.stations import KINDS

#: The hours the coverage is read at (each group's own budget).
HOURS = (10, 4)


def _month_start(day: datetime) -> datetime:
    return day.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _months(now: datetime) -> tuple[datetime, datetime]:
    """The first instants of this month and the last, in ``now``'s time zone."""
    this = _month_start(now)
    return this, _month_start(this - timedelta(days=1))


def _inside(geom, lon, lat) -> np.ndarray:
    import shapely

    if geom is None or len(lon) == 0:
        return np.zeros(len(lon), dtype=bool)
    return shapely.intersects_xy(geom, np.asarray(lon, float), np.asarray(lat, float))


def _coverage(state, stations, now: datetime, label: str = "now"):
    """The coverage points with ``covered_h10`` and ``covered_h04`` and the gap areas, kept
    per registry version, day and ``label`` (which stations: now, or when the month began);
    None without demand."""
    from geo.workflow import run_coverage

    try:
        key, demand = state.demand_input()
    except (NotFoundError, YizhanError):
        return None
    cache = state.__dict__.setdefault("_figures_coverage", {})
    mark = (key, state.registry.version(), now.date().isoformat(), label)
    if mark not in cache:
        result = run_coverage(state.networks, stations, demand, by_hour=True, day=now.date(),
                              h3_res=settings.h3_res)
        while len(cache) >= 4:  # now and last month, of this version and the one before
            cache.pop(next(iter(cache)))
        cache[mark] = result
    return cache[mark]


def _served(states: list, stations, now: datetime, label: str = "now"):
    """The coverage points and gap areas of every region served (each with its own networks
    and demand), together; (None, None) when none has demand."""
    import pandas as pd

    results = [r for st in states if (r := _coverage(st, stations, now, label)) is not None]
    if not results:
        return None, None
    points = pd.concat([r.points for r in results], ignore_index=True)
    gaps = pd.concat([r.gaps for r in results], ignore_index=True) if any(
        len(r.gaps) for r in results) else None
    return points, gaps


def figures(state, orgs: Orgs, reports, *, top: Org | None = None,
            now: datetime | None = None) -> dict:
    """The figures of every organisation under ``top`` (None: all), and of each level.

    Parameters
    ----------
    state
        The app's :class:`app.state.AppState` (stations, networks, demand, history), or the
        states of every region of a deployment (:func:`app.deployment.states`; the first's
        registry is theirs).
    orgs, reports
        The organisations and the workers' reports (:class:`app.reports.Reports`).
    top
        Only this organisation and those under it.
    now
        The time the figures are for (default: now, in :data:`geo.settings.timezone`).
    """
    states = list(state) if isinstance(state, list | tuple) else [state]
    state = states[0]  # the registry the regions share
    zone = ZoneInfo(settings.timezone)
    now = (now or datetime.now(UTC)).astimezone(zone)
    this, last = _months(now)
    stations = state.registry.stations()
    history = state.registry.history()
    before = stations_at(stations, history, this)
    counted = {"": _placed(stations), "_last_month": _placed(before)}
    served = {"": _served(states, stations, now),
              "_last_month": _served(states, before, now, "last_month")}
    groups = sorted(set().union(*(p["group"].unique() for p, _ in served.values()
                                  if p is not None)))
    moves = _changes(history)
    opened_at = [(t, x, y) for a, t, x, y in moves if a == "create"]
    closed_at = [(t, x, y) for a, t, x, y in moves if a == "delete"]
    listed = [o for o in orgs.all() if top is None or orgs.within(o.id, top.id)]
    names = {o.id: o.name for o in orgs.all()}
    report_rows = reports.list(limit=100_000)
    report_place = {s.id: (s.lon, s.lat) for s in stations}
    rows = []
    for org in listed:
        geom = orgs.area(org.id)
        row = {"org": org.name, "level": org.level, "level_label": LEVELS[org.level][0],
               "parent": names.get(org.parent_id) if org.parent_id else None}
        for suffix, placed in counted.items():
            row |= {key + suffix: value for key, value in _counts(geom, *placed).items()}
            row |= {key + suffix: value
                    for key, value in _people(geom, *served[suffix], groups).items()}
        row |= _month_counts(geom, opened_at, closed_at, this, last)
        per = row["workers"]
        row["per_10k_workers"] = round(row["stations"] / per * 10_000, 2) if per else None
        row |= _reports(geom, report_rows, report_place)
        rows.append(row)
    return {"month": this.strftime("%Y-%m"), "last_month": last.strftime("%Y-%m"),
            "generated": now.isoformat(timespec="seconds"), "kinds": list(KINDS),
            "kind_labels": {k: KINDS[k][0] for k in KINDS}, "groups": groups,
            "group_labels": {g: _group_label(g) for g in groups},
            "hours": list(HOURS), "rows": rows, "levels": _levels(rows, groups)}


def _placed(stations) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Longitudes, latitudes, kinds and whether open 24 hours, of ``stations``."""
    return (np.array([s.lon for s in stations], float), np.array([s.lat for s in stations], float),
            np.array([s.kind for s in stations]),
            np.array([s.hours == "24/7" for s in stations], bool))


def _counts(geom, lon, lat, kinds, always) -> dict:
    inside = _inside(geom, lon, lat)
    return {"stations": int(inside.sum()),
            "by_kind": {k: int((inside & (kinds == k)).sum()) for k in KINDS},
            "always_open": int((inside & always).sum())}


def _group_label(group: str) -> list[str]:
    """[中文, English] of a worker group."""
    from geo.groups import DEFAULT_GROUPS

    known = DEFAULT_GROUPS.get(group)
    return [known.zh, known.en] if known is not None else [group, group]


def _changes(history: list[dict]) -> list[tuple[str, datetime, float, float]]:
    """(action, when, lon, lat) of each opening and closing in the history."""
    found = []
    for h in history:
        if h["action"] not in ("create", "delete"):
            continue
        record = h.get("after") or h.get("before") or {}
        if "lon" not in record or "lat" not in record:
            continue
        at = h["at"] if h["at"].tzinfo else h["at"].replace(tzinfo=UTC)
        found.append((h["action"], at, float(record["lon"]), float(record["lat"])))
    return found


def _month_counts(geom, opened_at, closed_at, this, last) -> dict:
    def count(events, start, end) -> int:
        chosen = [(x, y) for t, x, y in events if start <= t < end]
        if not chosen:
            return 0
        xs, ys = zip(*chosen, strict=True)
        return int(_inside(geom, xs, ys).sum())

    far = this.replace(year=this.year + 1)
    return {"opened": count(opened_at, this, far), "closed": count(closed_at, this, far),
            "opened_last_month": count(opened_at, last, this),
            "closed_last_month": count(closed_at, last, this)}


def _people(geom, points, gaps, groups) -> dict:
    """Workers, coverage per group at :data:`HOURS` (with the group's ``workers``), gap areas
    in the area."""
    if points is None:
        return {"workers": None, "coverage": {}, "gaps": None}
    inside = _inside(geom, points["lon"].to_numpy(), points["lat"].to_numpy())
    part = points[inside]
    coverage = {}
    for group in groups:
        rows = part[part["group"] == group]
        total = float(rows["weight"].sum())
        coverage[group] = {f"{h:02d}": (round(float(rows["weight"][rows[f"covered_h{h:02d}"]
                                                                    .astype(bool)].sum())
                                              / total, 4) if total else None) for h in HOURS}
        coverage[group]["workers"] = round(total, 1)
    n_gaps = 0
    if gaps is not None and len(gaps):
        centres = gaps.geometry.representative_point()
        n_gaps = int(_inside(geom, centres.x.to_numpy(), centres.y.to_numpy()).sum())
    return {"workers": round(float(part["weight"].sum())), "coverage": coverage,
            "gaps": n_gaps}


def _reports(geom, reports: list[dict], where: dict) -> dict:
    placed = [(r["status"], *where[r["station_id"]]) for r in reports if r["station_id"] in where]
    if not placed:
        return {"reports_open": 0, "reports_handled": 0}
    status, xs, ys = zip(*placed, strict=True)
    inside = _inside(geom, xs, ys)
    status_arr = np.array(status)
    return {"reports_open": int((inside & (status_arr == "open")).sum()),
            "reports_handled": int((inside & (status_arr == "handled")).sum())}


#: The counts a level sums.
SUMMED = ("stations", "stations_last_month", "always_open", "always_open_last_month", "opened",
          "closed", "opened_last_month", "closed_last_month", "gaps", "gaps_last_month",
          "reports_open", "reports_handled", "workers")


def _levels(rows: list[dict], groups: list[str]) -> list[dict]:
    """Each level's sums; its coverage weighted by each group's workers in the organisations."""
    found = []
    for level, (label, _) in LEVELS.items():
        mine = [r for r in rows if r["level"] == level]
        if not mine:
            continue
        entry: dict = {"level": level, "level_label": label, "orgs": len(mine)}
        for key in SUMMED:
            values = [r[key] for r in mine if r.get(key) is not None]
            entry[key] = sum(values) if values else None
        entry["by_kind"] = {k: sum(r["by_kind"][k] for r in mine) for k in mine[0]["by_kind"]}
        workers = entry["workers"]
        entry["per_10k_workers"] = (round(entry["stations"] / workers * 10_000, 2)
                                    if workers else None)
        for key in ("coverage", "coverage_last_month"):
            entry[key] = {group: _pooled([r[key].get(group, {}) for r in mine])
                          for group in groups}
        found.append(entry)
    return found


def _pooled(parts: list[dict]) -> dict:
    """One group's coverage of several organisations: each hour's share weighted by the
    group's workers in each."""
    pooled: dict = {"workers": round(sum(p.get("workers") or 0 for p in parts), 1)}
    for h in HOURS:
        pairs = [(p[f"{h:02d}"], p.get("workers") or 0) for p in parts
                 if p.get(f"{h:02d}") is not None]
        weight = sum(w for _, w in pairs)
        pooled[f"{h:02d}"] = round(sum(s * w for s, w in pairs) / weight, 4) if weight else None
    return pooled
