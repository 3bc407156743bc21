"""The fast path of the table reader (geo.io._cells.quick_parser, used by geo.io.tables.parse)
gives every cell the value or the message its column's own parser gives."""

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

import geo.io.tables as tables
from geo.errors import message_of
from geo.groups import DEFAULT_GROUPS, parse_group
from geo.io._cells import quick_parser
from geo.io.demand import read_demand

PARSERS = {"number": tables.number, "coordinate": tables.coordinate,
           "at_least": tables.at_least(0, "the number of workers"),
           "at_least_2": tables.at_least(2.5, "the cost"),
           "group": lambda text: parse_group(text, DEFAULT_GROUPS),
           "whole": tables.whole_number, "id": tables.identifier}

tricky = st.sampled_from(["1", "-1", "0", "-0.0", "1e3", "1E-3", "1e400", "-1e400", "nan", "NaN",
                          "inf", "-Infinity", "1_000", "０.５", "１１６．４", "116，4551", "12.0",
                          "2.5", "2.4999", ".5", "5.", "+3", "0x10", "1,5", "abc",
                          "sanitation_worker", "环卫工人", "courier", "快递员", "delivery_rider",
                          "١٢"])
cell = st.one_of(tricky, st.text(min_size=1, max_size=8).map(str.strip).filter(bool),
                 st.floats(allow_nan=True, allow_infinity=True).map(repr))


def _outcome(parse, value):
    try:
        return ("value", parse(value))
    except (ValueError, ArithmeticError) as exc:
        return ("error", str(message_of(exc)))


@hsettings(max_examples=400, deadline=None)
@given(name=st.sampled_from(sorted(PARSERS)), cells=st.lists(cell, min_size=1, max_size=12))
def test_same_value_or_same_message_as_the_column_parser(name, cells):
    parse = PARSERS[name]
    quick = quick_parser(parse, numbers=(tables.number, tables.coordinate), same=tables.text)
    for value in cells + cells:  # twice: a kept value is given again
        assert _outcome(quick, value) == _outcome(parse, value), value


def test_a_demand_file_reads_as_the_row_reader_reads_it(tmp_path, monkeypatch):
    path = tmp_path / "demand.csv"
    path.write_text("经度,纬度,人数,群体,名称\n"
                    "104.06,30.66,3,环卫工人,a\n"
                    "１０４．０７,30.67,2.5,delivery_rider,\n"
                    "104，08,30.68,1,courier,c\n"
                    "nan,30.69,1,courier,d\n"
                    "104.1,30.7,-1,courier,e\n"
                    "104.1,30.7,1,astronaut,f\n"
                    "30.7,104.1,1,courier,g\n"
                    "104.2,,1,courier,h\n"
                    "104.2,30.7,1e400,环卫工人,i\n", encoding="utf-8")

    def outcome():
        try:
            return ("frame", read_demand(path, crs="gcj02").to_dict("list"))
        except tables.DataFileError as exc:
            return ("problems", [str(p) for p in exc.problems])

    fast = outcome()
    monkeypatch.setattr(tables, "quick_parser", lambda parse, **_: parse)
    assert fast == outcome()
    assert fast[0] == "problems" and len(fast[1]) >= 6
    path.write_text("lon,lat,weight,group\n" + "".join(
        f"104.{i:04d},30.{i:04d},{i % 7},{'delivery_rider' if i % 2 else '环卫工人'}\n"
        for i in range(500)), encoding="utf-8")
    slow = outcome()
    monkeypatch.undo()
    assert outcome() == slow and slow[0] == "frame"


def test_only_immutable_values_are_kept():
    calls = []

    def listed(text):
        calls.append(text)
        return [text]

    quick = quick_parser(listed)
    first, again = quick("a"), quick("a")
    assert first == again and first is not again and calls == ["a", "a"]
    with pytest.raises(ValueError):
        quick_parser(tables.number)("x")
