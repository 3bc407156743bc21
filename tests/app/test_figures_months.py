"""The province's figures this month against the last: the figures of last month are those the
registry gave before this month's changes (read then, checked against what they are after), and
a level's coverage weighs each group by its own workers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from app.figures import figures
from geo.registry import history_table
from geo.stations import Station

from .conftest import copy_db
from .test_orgs import _org_app

#: What a row holds for now and, with ``_last_month``, for when the month began.
PAIRED = ("stations", "by_kind", "always_open", "coverage", "gaps")


@pytest.fixture
def office(demo, tmp_path):
    app = _org_app(demo, copy_db(demo, tmp_path))
    yield app
    app.extensions["yizhan"].registry.engine.dispose()


def _doc(app):
    with app.app_context():
        return figures(app.extensions["yizhan"], app.extensions["orgs"],
                       app.extensions["yizhan"].reports)


def test_last_month_is_the_registry_before_this_months_changes(office):
    state = office.extensions["yizhan"]
    registry = state.registry
    with registry.engine.begin() as conn:  # the stations were built last month
        conn.execute(update(history_table).values(
            at=datetime.now(UTC) - timedelta(days=40)))
    before = _doc(office)
    district = before["rows"][1]["org"]
    # this month: a 24-hour station inside the district, another closed in the city
    inside = min(registry.stations(), key=lambda s: s.id)
    near = [s for s in registry.stations() if s.id != inside.id]
    registry.create(Station(id="new-24h", name="新建24小时驿站", kind="driver_home",
                            lon=inside.lon + 0.0003, lat=inside.lat, hours="24/7",
                            services=frozenset({"drinking_water", "toilet"})), source="test")
    closed = max(near, key=lambda s: abs(s.lon - inside.lon) + abs(s.lat - inside.lat))
    registry.delete(closed.id, source="test")
    after = _doc(office)
    for was, now in zip(before["rows"], after["rows"], strict=True):
        assert now["org"] == was["org"]
        for key in PAIRED:
            assert now[key + "_last_month"] == was[key], (now["org"], key)
    row = {r["org"]: r for r in after["rows"]}[district]
    assert row["stations"] == row["stations_last_month"] + 1
    assert row["by_kind"]["driver_home"] == row["by_kind_last_month"]["driver_home"] + 1
    assert row["always_open"] == row["always_open_last_month"] + 1
    assert (row["opened"], row["opened_last_month"]) == (1, 0)
    city = after["rows"][0]
    assert city["stations"] == city["stations_last_month"] + 1 - 1
    assert city["closed"] == 1
    # the XLSX and the dashboard name these columns
    from geo.output.figures import figure_columns

    headers = [h for h, _ in figure_columns(after)]
    assert "上月末24小时站点" in headers and "上月末缺口区域" in headers
    assert any(h.endswith("（上月末）") for h in headers)


def test_a_levels_coverage_weighs_each_group_by_its_own_workers(office):
    doc = _doc(office)
    for level in doc["levels"]:
        mine = [r for r in doc["rows"] if r["level"] == level["level"]]
        for group in doc["groups"]:
            for hour in ("10", "04"):
                parts = [r["coverage"][group] for r in mine
                         if r["coverage"][group][hour] is not None]
                workers = sum(p["workers"] for p in parts)
                if not workers:
                    continue
                expected = sum(p[hour] * p["workers"] for p in parts) / workers
                assert level["coverage"][group][hour] == pytest.approx(expected, abs=1e-4)
                assert level["coverage"][group]["workers"] == pytest.approx(workers, abs=0.2)
