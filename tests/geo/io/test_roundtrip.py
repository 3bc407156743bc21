"""Property: station text the text policy accepts — CJK, emoji and other astral characters,
leading ``=``, quotes, commas, line breaks in the address and notes — written to the registry,
exported (CSV in UTF-8 and GB18030, XLSX, GeoJSON; English and Chinese headers) and imported
again gives the same stations; text the policy refuses never gets past the boundary."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from geo import settings
from geo.errors import InputError
from geo.io.stations import read_stations, write_stations
from geo.registry import Registry
from geo.stations import ACCESS, KINDS, SERVICES, Station, check_text
from geo.text import clean

#: What people write in station lists, and what trips writers and readers: formulas, quotes,
#: separators, line breaks, Excel's own escape (_x000D_), GBK bytes that are UTF-8 too (茅台),
#: astral and combining characters, unusual spaces.
TRICKY = [*"=+-@'\",;、。·×（）《》 \t\n\r丁驿站𠮷😀🚻é\u0301\u3000\u00a0\u2028", "\r\n",
          '=HYPERLINK("http://x")', "'=1+1", '""', "_x000D_", "茅台", "𠮷野家", "e\u0301"]
#: The export's formats (suffix, header language, CSV encoding): each example writes one CSV and
#: one XLSX or GeoJSON.
CSV_FORMATS = [(".csv", "en", "utf-8"), (".csv", "zh", "utf-8"), (".csv", "en", "gb18030"),
               (".csv", "zh", "gb18030")]
OTHER_FORMATS = [(".xlsx", "en", "utf-8"), (".xlsx", "zh", "utf-8"), (".geojson", "en", "utf-8"),
                 (".geojson", "zh", "utf-8")]
HOURS = ["24/7", "Mo-Fr 08:30-18:00", "Mo-Su 08:00-22:00", "Mo-Fr 08:30-18:00; Sa,Su 09:00-17:00",
         ""]
#: Characters the policy refuses, one of each kind.
REFUSED = ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\u202e", "\u2066", "\ud800", "\udfff",
           "\ufdd0", "\ufffe", "\uffff", "\U0001ffff", "\U0010fffe"]

raw_text = st.lists(st.one_of(st.characters(exclude_categories=("Cs",)), st.sampled_from(TRICKY)),
                    max_size=10).map("".join)


def as_stored(field: str, raw: str) -> str:
    """``raw`` as the registry's boundary stores it in ``field``: without what the policy
    refuses, surrounding space dropped, line breaks as ``\\n``."""
    text = clean(raw, multiline=field in ("address", "notes"))[0].strip()
    return check_text(field, text[:settings.station_text_chars[field]].strip())


@st.composite
def stations(draw) -> list[Station]:
    found = []
    for i in range(draw(st.integers(1, 3))):
        text = {f: as_stored(f, draw(raw_text)) for f in ("address", "phone", "operator",
                                                           "notes")}
        found.append(Station(
            id=draw(st.sampled_from(["s", "驿站", "CD-", "𠮷", "A.b_"])) + str(i),
            name=as_stored("name", draw(raw_text)) or "驿站",
            kind=draw(st.sampled_from(list(KINDS))),
            lon=round(104.0 + i * 0.01, 7), lat=30.66, **text,
            services=frozenset(draw(st.sets(st.sampled_from(list(SERVICES)), max_size=4))),
            hours=draw(st.sampled_from(HOURS)), access=draw(st.sampled_from(list(ACCESS))),
            capacity=draw(st.none() | st.integers(0, 100_000))))
    return found


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    registry = Registry(f"sqlite:///{tmp_path_factory.mktemp('roundtrip') / 'registry.sqlite'}")
    yield registry
    registry.engine.dispose()


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(given_stations=stations(), formats=st.tuples(st.sampled_from(CSV_FORMATS),
                                                    st.sampled_from(OTHER_FORMATS)))
def test_every_export_reads_back_to_the_registry(registry, tmp_path_factory, given_stations,
                                                 formats):
    registry.upsert(given_stations, source="test")
    stored = [registry.get(s.id) for s in given_stations]
    folder = tmp_path_factory.mktemp("exports")
    for suffix, lang, encoding in formats:
        path = write_stations(stored, folder / f"{lang}-{encoding}{suffix}", lang=lang,
                              encoding=encoding)
        result = read_stations(path)
        assert result.ok, (path.name, result.problems)
        assert [s.id for s in result.stations] == [s.id for s in stored], path.name
        for station, again in zip(stored, result.stations, strict=True):
            assert abs(again.lon - station.lon) < 1e-6 and abs(again.lat - station.lat) < 1e-6
            assert again.replace(lon=station.lon, lat=station.lat) == station, path.name


short_text = st.text(st.one_of(st.characters(exclude_categories=("Cs",)),
                              st.sampled_from([t for t in TRICKY if len(t) == 1])), max_size=20)


@hsettings(max_examples=60, deadline=None,
           suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(["name", "address", "phone", "operator", "notes", "hours"]),
       before=short_text, bad=st.sampled_from(REFUSED), after=short_text)
def test_refused_text_never_passes_the_boundary(tmp_path_factory, field, before, bad, after):
    """In a station field (the API and the import check it so) and in a GeoJSON file (JSON can
    carry every one of them, "\\ud800" too): refused, naming the field and the character."""
    text = f"甲{before}{bad}{after}乙"
    with pytest.raises(InputError, match=f"U\\+{ord(bad):04X}") as caught:
        check_text(field, text)
    assert caught.value.parameter == field
    document = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"id": "s1", "name": "春熙路驿站", "kind": "driver_home",
                                          field: text},
        "geometry": {"type": "Point", "coordinates": [104.06, 30.66]}}]}
    path = tmp_path_factory.mktemp("refused") / "list.geojson"
    path.write_text(json.dumps(document), encoding="ascii")  # "\\ud800" as JSON writes it
    result = read_stations(path)
    assert result.stations == [] and {p.column for p in result.problems} == {field}
