"""The text policy (:mod:`geo.text`) in station files: a character no text may hold in any
column of a CSV, XLSX or GeoJSON is a problem of its row at the file's column (naming the
character in the text columns), never an exception, and the good rows still read; an export of
stations holding such text (a registry written before the policy) writes nothing and names each
station and field; the GBK export names the characters it cannot write."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pandas as pd
import pytest

from geo.errors import InputError
from geo.io.sheets import csv_bytes, xlsx_bytes
from geo.io.stations import COLUMNS, read_stations, unreadable_text, write_stations
from geo.stations import Station

GOOD = {"id": "S1", "name": "春熙路驿站", "kind": "driver_home", "lon": "104.06", "lat": "30.66",
        "address": "一环路", "services": "rest", "hours": "24/7", "capacity": "3",
        "access": "public", "phone": "028-1234", "operator": "总工会", "notes": "无"}
#: The columns whose text is checked as text (the others are vocabularies and numbers).
TEXT = {"id", "name", "address", "hours", "phone", "operator", "notes"}

#: What each format can carry: a CSV no lone surrogate (no encoding writes one), an XLSX only
#: what XML 1.0 holds; JSON any of them ("\ud800", "\u0000").
CSV_CHARS = {"\uffff": "U+FFFF", "\x00": "U+0000", "\u202e": "U+202E", "\u2066": "U+2066",
             "\x1b": "U+001B", "\ufdd0": "U+FDD0", "\U0010ffff": "U+10FFFF", "\x85": "U+0085"}
XLSX_CHARS = {"\u202e": "U+202E", "\u2069": "U+2069", "\ufdd0": "U+FDD0",
              "\U0001fffe": "U+1FFFE", "\x85": "U+0085"}
JSON_CHARS = {"\\ud800": "U+D800", "\\udfff": "U+DFFF", "\\u0000": "U+0000",
              "\\uffff": "U+FFFF", "\\u202e": "U+202E", "\\u001b": "U+001B"}


def second(bad: dict) -> list[dict]:
    """A good row and, below it, ``bad`` (about 1 km away: no near-duplicate)."""
    return [GOOD, {**GOOD, "id": "S2", "name": "天府广场驿站", "lon": "104.07", **bad}]


def write_csv(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        writer.writerows([[row[c] for c in COLUMNS] for row in rows])
    return path


def write_xlsx(path, rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append([row[c] for c in COLUMNS])
    book.save(path)
    return path


def write_geojson(path, rows, escape: str | None = None):
    """Rows as features; the text ``@@`` becomes the JSON escape ``escape`` (json.dumps could
    not write a lone surrogate)."""
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [
        float(row["lon"]), float(row["lat"])]}, "properties": {
            c: row[c] for c in COLUMNS if c not in ("lon", "lat")}} for row in rows]
    text = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
    path.write_text(text.replace("@@", escape or ""), encoding="utf-8")
    return path


def assert_refused_at(result, column: str, named: str) -> None:
    """Row 2 read; row 3 is refused with problems in ``column`` only, naming the character in a
    text column."""
    assert [s.id for s in result.stations] == ["S1"], result.problems
    assert {p.row for p in result.problems} == {3 if result.file.endswith((".csv", ".xlsx"))
                                               else 2}, result.problems
    assert {p.column for p in result.problems} == {column}, result.problems
    if column in TEXT:
        assert any(named in p.message for p in result.problems), result.problems


@pytest.mark.parametrize("char", CSV_CHARS)
@pytest.mark.parametrize("column", COLUMNS)
def test_csv_refuses_each_character_in_each_column(tmp_path, column, char):
    path = write_csv(tmp_path / "list.csv", second({column: f"甲{char}乙"}))
    assert_refused_at(read_stations(path), column, CSV_CHARS[char])


@pytest.mark.parametrize("char", XLSX_CHARS)
@pytest.mark.parametrize("column", COLUMNS)
def test_xlsx_refuses_each_character_in_each_column(tmp_path, column, char):
    path = write_xlsx(tmp_path / "list.xlsx", second({column: f"甲{char}乙"}))
    assert_refused_at(read_stations(path), column, XLSX_CHARS[char])


@pytest.mark.parametrize("escape", JSON_CHARS)
@pytest.mark.parametrize("column", [c for c in COLUMNS if c not in ("lon", "lat")])
def test_geojson_refuses_each_character_in_each_column(tmp_path, column, escape):
    """GDAL alone would turn "\\ud800" into U+FFFD and cut a text at "\\u0000", importing
    the station changed without a word."""
    path = write_geojson(tmp_path / "list.geojson", second({column: "甲@@乙"}), escape)
    assert_refused_at(read_stations(path), column, JSON_CHARS[escape])


def test_geojson_text_reads_as_the_file_holds_it(tmp_path):
    row = {**GOOD, "notes": "2026-11-25", "phone": "00123", "address": "第一行\n第二行"}
    path = write_geojson(tmp_path / "list.geojson", [row])
    (station,) = read_stations(path).stations
    assert (station.notes, station.phone, station.address) == ("2026-11-25", "00123",
                                                               "第一行\n第二行")


# --- exports --------------------------------------------------------------------------------------

def old_station(**fields) -> Station:
    """A station as a registry written before the text policy may hold it."""
    return Station(**{"id": "B02", "name": "建国门驿站", "kind": "sanitation_station",
                      "lon": 104.06, "lat": 30.66, **fields})


@pytest.mark.parametrize("suffix", [".xlsx", ".csv", ".geojson", ".gpkg"])
def test_an_export_of_text_that_would_not_read_back_writes_nothing(tmp_path, suffix):
    stations = [old_station(id="A01", name="春熙路驿站", lon=104.07),
                old_station(name="建国门\uffff驿站", notes="甲\x00乙\u202e")]
    with pytest.raises(InputError, match=r"2 station field\(s\).*station 'B02', name: the name "
                                         r"holds U\+FFFF.*station 'B02', notes: the notes holds "
                                         r"U\+0000, U\+202E") as caught:
        write_stations(stations, tmp_path / f"out{suffix}")
    assert caught.value.parameter == "stations"
    assert not (tmp_path / f"out{suffix}").exists()
    assert unreadable_text(stations[:1]) == []


def test_unreadable_text_names_each_station_and_field():
    found = unreadable_text([old_station(id="A01", phone="1\x07", hours="24/7\u2066"),
                             old_station(operator="x" * 10_000)])
    assert [(sid, field) for sid, field, _ in found] == [("A01", "hours"), ("A01", "phone"),
                                                         ("B02", "operator")]
    assert "U+0007" in found[1][2] and "characters long" in found[2][2]


@pytest.mark.parametrize("value, named", [
    ("建国门\uffff", "U+FFFF"), ("a\x01b", "U+0001"), ("\u202e反向", "U+202E"),
    ("x\ufffe", "U+FFFE"), ("x\U0001ffff", "U+1FFFF"),
])
def test_xlsx_refuses_a_cell_excel_cannot_open(value, named):
    frame = pd.DataFrame({"名称": ["春熙路驿站", value], "容量": [1, 2]})
    with pytest.raises(InputError, match=rf"may not hold {named.replace('+', '[+]')}.*row 3, "
                                         r"column '名称'"):
        xlsx_bytes(frame, sheet="驿站")


def test_xlsx_keeps_line_breaks_and_tabs():
    frame = pd.DataFrame({"备注": ["第一行\n第二行\t乙"]})
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(frame, sheet="s")))
    assert book.active["A2"].value == "第一行\n第二行\t乙"


def test_gbk_names_every_character_it_cannot_write_beside_empty_numbers():
    """An empty capacity (pandas' NA) beside a character GBK cannot write raised an
    AttributeError instead of the message."""
    frame = pd.DataFrame({"名称": ["春熙路驿站", "e\u0301驿站", "😀"],
                          "容量": pd.array([None, 4, None], dtype="Int64"),
                          "管理单位": ["𠮷野家", "", "€"]})
    with pytest.raises(InputError, match=r"GBK cannot write '𠮷' \(U\+20BB7\), '́' \(U\+0301\), "
                                         r"'😀' \(U\+1F600\), '€' \(U\+20AC\): the first in row "
                                         r"2, column '管理单位' \('𠮷野家'\); use gb18030 or "
                                         r"utf-8") as caught:
        csv_bytes(frame, encoding="gbk")
    assert caught.value.parameter == "encoding"
    assert "𠮷野家" in csv_bytes(frame, encoding="gb18030").decode("gb18030")


@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
@pytest.mark.parametrize("name", ["茅", "茅台", "脳"])
def test_a_gbk_export_whose_bytes_are_utf8_too_reads_back(tmp_path, encoding, name):
    """茅 is C3 A9 in GBK, "é" in UTF-8: an English-header file of it read back as UTF-8."""
    stations = [Station(id="s1", name=name, kind="driver_home", lon=104.06, lat=30.66)]
    path = write_stations(stations, tmp_path / "out.csv", encoding=encoding)
    assert [s.name for s in read_stations(path).stations] == [name]
    assert pd.read_csv(path, encoding=encoding)["name"].tolist() == [name]

