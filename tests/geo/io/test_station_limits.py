"""Attacking the station import: every bad cell is a problem of its row (file, Excel row, the
column as the file names it), never a traceback; good rows next to them still read."""

import csv
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from geo import settings
from geo.errors import DataFileError
from geo.io.stations import read_stations
from geo.stations import KINDS

HEADERS = ["编号", "站点名称", "类型", "经度", "纬度", "地址", "开放时间", "容量", "联系电话",
           "备注"]
COLUMN = dict(zip(["id", "name", "kind", "lon", "lat", "address", "hours", "capacity", "phone",
                   "notes"], HEADERS, strict=True))


def write_csv(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([HEADERS, *rows])
    return path


def good_row(i: int) -> dict:
    """A valid station, about 1 km from row i - 1 (no near-duplicates)."""
    return {"id": f"CD-{i:03d}", "name": f"锦江区户外劳动者驿站{i}", "kind": "工会驿站",
            "lon": f"{104.05 + i * 0.01:.5f}", "lat": "30.65", "address": f"人民南路{i}号",
            "hours": "周一至周五 8:30-18:00", "capacity": "12", "phone": "028-1234567",
            "notes": "第一行\n第二行"}


def cells(row: dict) -> list[str]:
    return [row[c] for c in COLUMN]


#: One bad value per case: the column it is in and a fragment of the message.
BAD = [
    ("capacity", "inf", "whole number from 0"),
    ("capacity", "1e20", "whole number from 0"),
    ("capacity", "-3", "whole number from 0"),
    ("capacity", "2.5", "whole number from 0"),
    ("capacity", "nan", "whole number from 0"),
    ("capacity", "1e400", "whole number from 0"),
    ("capacity", str(settings.max_capacity + 1), "whole number from 0"),
    ("lon", "NaN", "not a number"),
    ("lon", "inf", "not a number"),
    ("lon", "1e400", "not a number"),
    ("lat", "nan", "not a number"),
    ("lat", "-1e20", "out of range"),
    ("id", "CD/001", "holds '/'"),
    ("id", "x" * 300, "at most 64"),
    ("id", "CD 001", "holds space"),
    ("id", "CD\x07001", "U+0007"),
    ("id", "..", "starts with '.'"),
    ("id", "a?b#c", "holds '#', '?'"),
    ("name", "驿" * 200_000, "at most 200"),
    ("name", "驿站\x00", "U+0000"),
    ("name", "驿站\u202e点站", "U+202E"),
    ("name", "第一行\n第二行", "U+000A"),
    ("address", "路" * 501, "at most 500"),
    ("notes", "n" * 2001, "at most 2,000"),
    ("phone", "028\x1b[31m", "U+001B"),
    ("hours", "8:30-18:00" * 60, "at most 500"),
    ("hours", "8:30\u202e-18:00", "U+202E"),
    ("kind", "公厕", "unknown station kind"),
]


@pytest.mark.parametrize("column, value, message", BAD,
                         ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(BAD)])
def test_a_bad_cell_is_a_problem_of_its_row(tmp_path, column, value, message):
    bad = good_row(2) | {column: value}
    path = write_csv(tmp_path / "list.csv", [cells(good_row(1)), cells(bad), cells(good_row(3))])
    result = read_stations(path)
    assert [s.id for s in result.stations] == ["CD-001", "CD-003"]
    assert [(p.row, p.column) for p in result.problems] == [(3, COLUMN[column])]
    assert message in result.problems[0].message
    assert result.problems[0].file == str(path)


def test_the_region_flags_points_outside_it(tmp_path):
    rows = [good_row(1),
            good_row(2) | {"lon": "24.94", "lat": "60.17"},  # Helsinki in a Chinese deployment
            good_row(3) | {"lon": "43.8", "lat": "87.6"},    # Urumqi with lon and lat swapped
            good_row(4)]
    path = write_csv(tmp_path / "list.csv", [cells(r) for r in rows])
    result = read_stations(path, region="china")
    assert [s.id for s in result.stations] == ["CD-001", "CD-004"]
    problems = {p.row: p for p in result.problems}
    assert problems[3].column == "经度" and "outside China" in problems[3].message
    assert "--bounds" in problems[3].message
    assert "swapped?" in problems[4].message
    assert read_stations(path, region="any").ok
    assert read_stations(path, region="20,55,30,65").stations[0].id == "CD-002"


def test_the_bounds_come_from_the_environment(tmp_path, monkeypatch):
    path = write_csv(tmp_path / "list.csv", [cells(good_row(1) | {"lon": "24.94",
                                                                   "lat": "60.17"})])
    monkeypatch.delenv(settings.bounds_env_var_deprecated, raising=False)
    monkeypatch.setenv(settings.bounds_env_var, "china")
    assert not read_stations(path, region=None).ok
    monkeypatch.setenv(settings.bounds_env_var, "any")
    assert read_stations(path, region=None).ok
    # the former name is read when the new one is not set, and only then
    monkeypatch.setenv(settings.bounds_env_var_deprecated, "china")
    assert read_stations(path, region=None).ok
    monkeypatch.delenv(settings.bounds_env_var)
    assert not read_stations(path, region=None).ok
    monkeypatch.setattr(settings, "bounds", "any")
    monkeypatch.delenv(settings.bounds_env_var_deprecated)
    assert read_stations(path, region=None).ok


def test_the_former_setting_names_still_read_with_a_warning():
    with pytest.warns(DeprecationWarning, match="settings.bounds"):
        assert settings.region == settings.bounds
    with pytest.warns(DeprecationWarning, match="settings.bounds_env_var"):
        assert settings.region_env_var == "YIZHAN_BOUNDS"
    with pytest.raises(AttributeError, match="no_such_setting"):
        settings.no_such_setting  # noqa: B018 -- the attribute access is what is tested


# --- generated rows ------------------------------------------------------------------------------

_ID_CHARS = st.sampled_from("abcXYZ019-_.成都驿站")
_TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="'\u202e"),
                max_size=40).map(str.strip)
_GOOD = {
    "id": st.text(_ID_CHARS, min_size=1, max_size=64).filter(
        lambda s: not s.startswith(".") and not s.endswith(".0")),
    "name": _TEXT.filter(bool),
    "kind": st.sampled_from([*KINDS, "司机之家", "环卫驿站", "户外劳动者服务站点"]),
    "capacity": st.one_of(st.just(""), st.integers(0, settings.max_capacity).map(str)),
    "address": _TEXT,
    "phone": _TEXT,
    "notes": _TEXT,
}
_BAD = st.sampled_from(BAD)


@st.composite
def station_rows(draw):
    """Rows, each valid or with one bad cell: (cells, bad column or None)."""
    rows, ids = [], set()
    for i in range(draw(st.integers(1, 8))):
        row = good_row(i) | {k: draw(v) for k, v in _GOOD.items()}
        if row["id"] in ids:
            row["id"] = f"row{i}"
        ids.add(row["id"])
        column = None
        if draw(st.booleans()):
            column, value, _ = draw(_BAD)
            row[column] = value
        rows.append((cells(row), column))
    return rows


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=station_rows())
def test_generated_rows_import_or_are_reported(tmp_path_factory, rows):
    path = write_csv(tmp_path_factory.mktemp("gen") / "list.csv", [r for r, _ in rows])
    result = read_stations(path)
    by_row = {}
    for p in result.problems:
        assert p.file == str(path) and p.row is not None and p.column in HEADERS, p
        by_row.setdefault(p.row, set()).add(p.column)
    read = {s.id for s in result.stations}
    for number, (row, column) in enumerate(rows, start=2):
        if column is None:
            assert number not in by_row, result.problems
            assert row[0] in read or row[0].endswith(".0")
        else:
            assert COLUMN[column] in by_row.get(number, ()), (column, result.problems)
    assert len(result.stations) + len(by_row) == result.rows


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.lists(st.text(st.characters(blacklist_categories=("Cs",)), max_size=30),
                              min_size=len(HEADERS), max_size=len(HEADERS)), max_size=5))
def test_any_text_in_any_cell_never_raises(tmp_path_factory, rows):
    path = write_csv(tmp_path_factory.mktemp("any") / "list.csv", rows)
    try:
        result = read_stations(path, region="china")
    except DataFileError as exc:  # the file as a whole (e.g. no table left): named, no traceback
        assert all(p.file == str(path) for p in exc.problems)
        return
    assert all(p.row is not None for p in result.problems)
    assert len(result.stations) <= result.rows


# --- scale ---------------------------------------------------------------------------------------

def test_near_duplicates_are_found_in_linear_time(tmp_path):
    """20,000 rows, all of one name, every other one 10 m from the one before: the
    near-duplicate check finds each of them and takes well under a second per 10,000 rows."""
    n = 20_000
    rng = np.random.default_rng(1)
    lon = 103.9 + rng.random(n // 2) * 0.3
    lat = 30.5 + rng.random(n // 2) * 0.3
    rows = []
    for i in range(n // 2):
        rows.append([f"s{2 * i}", "环卫工人爱心驿站", "环卫驿站", f"{lon[i]:.6f}", f"{lat[i]:.6f}",
                     "", "", "", "", ""])
        rows.append([f"s{2 * i + 1}", "环卫工人爱心驿站", "环卫驿站", f"{lon[i] + 0.0001:.6f}",
                     f"{lat[i]:.6f}", "", "", "", "", ""])
    path = write_csv(tmp_path / "many.csv", rows)
    started = time.perf_counter()
    result = read_stations(path)
    elapsed = time.perf_counter() - started
    twins = [p for p in result.problems if "the same station twice" in p.message]
    assert len(twins) >= n // 2  # every second row, and a few random pairs closer than 50 m
    assert all(p.column == "站点名称" for p in twins)
    assert elapsed < 20, f"{n} rows took {elapsed:.1f} s"
