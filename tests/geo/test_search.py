"""Finding places by name: pinyin keys, ranking, the place index of a real extract."""

from __future__ import annotations

import pytest

from geo.errors import InputError
from geo.search import (
    Entry,
    build_place_index,
    fold_text,
    pinyin_keys,
    read_place_index,
    search,
    station_entries,
    write_place_index,
)
from geo.stations import Station


def keyed(type_, name, detail="", **extra) -> Entry:
    full, initials = pinyin_keys(name)
    return Entry(type_, name, 126.6, 45.7, detail, pinyin=full, initials=initials, **extra)


ENTRIES = [
    keyed("venue", "老厨家(中央大街店)", "西七道街"),
    keyed("street", "中央大街"),
    keyed("venue", "中央商城", "中央大街"),
    keyed("street", "红军街"),
    keyed("station", "公园 · 环卫工人爱心驿站", "哈尔滨 中央大街 12号", id="s1",
          kind="sanitation_station"),
]


@pytest.mark.parametrize(("name", "full", "initials"), [
    ("中央大街", "zhongyangdajie", "zydj"),
    ("M3号线站", "m3haoxianzhan", "m3hxz"),
    ("Mannerheimintie", "mannerheimintie", "mannerheimintie"),
])
def test_pinyin_keys(name, full, initials):
    assert pinyin_keys(name) == (full, initials)


def test_fold_text_drops_spaces_and_punctuation():
    assert fold_text(" 中央 大街·Ｍ3 ") == "中央大街m3"


@pytest.mark.parametrize("query", ["中央大街", "中央", "央大", "zydj", "zy", "zhongyang",
                                   "ZHONGYANG DAJIE", " 中央　大街 "])
def test_the_street_comes_first_by_characters_pinyin_or_initials(query):
    found = search(ENTRIES, query)
    assert found[0].name == "中央大街", [e.name for e in found]


def test_a_station_is_found_by_its_address_and_ranks_after_name_matches():
    found = search(ENTRIES, "中央大街")
    # the name, part of a name, then by address or street: the station before the venue
    assert [e.name for e in found] == ["中央大街", "老厨家(中央大街店)", "公园 · 环卫工人爱心驿站",
                                       "中央商城"]
    assert search(ENTRIES, "驿站")[0].id == "s1"


def test_every_word_must_match():
    assert [e.name for e in search(ENTRIES, "中央 商城")] == ["中央商城"]
    assert search(ENTRIES, "中央 红军") == []


def test_nothing_found_and_empty_queries():
    assert search(ENTRIES, "qqxx") == []
    assert search(ENTRIES, "   ") == []
    assert search([], "中央") == []


def test_one_letter_does_not_match_inside_pinyin():
    # "j" alone would match almost everything by the middle of its pinyin
    assert [e.name for e in search(ENTRIES, "j")] == []


def test_limit_is_checked():
    assert len(search(ENTRIES, "z", limit=2)) == 2
    with pytest.raises(InputError, match="`limit` was 0 but must be 1 to"):
        search(ENTRIES, "z", limit=0)


def test_station_entries_carry_id_kind_and_address():
    station = Station(id="a1", name="春熙路 · 司机之家", kind="driver_home", lon=104.07,
                      lat=30.65, address="锦江区春熙路 1 号")
    (entry,) = station_entries([station])
    assert (entry.type, entry.id, entry.kind, entry.detail, entry.initials) == (
        "station", "a1", "driver_home", "锦江区春熙路 1 号", "cxlsjzj")
    assert entry.as_json()["bbox"] is None and "pinyin" not in entry.as_json()


@pytest.fixture(scope="module")
def chengdu_places(chengdu_pbf, tmp_path_factory):
    path = tmp_path_factory.mktemp("search") / "search.json"
    count = write_place_index(chengdu_pbf, path)
    places = read_place_index(path)
    assert count == len(places) > 500
    return places


def test_a_real_street_by_initials_with_its_whole_extent(chengdu_places):
    found = search(chengdu_places, "cxl")[0]
    assert found.name == "春熙路" and found.type == "street"
    west, south, east, north = found.bbox
    assert west <= found.lon <= east and south <= found.lat <= north
    assert 104.07 < found.lon < 104.08 and 30.65 < found.lat < 30.67
    assert len([e for e in chengdu_places if e.name == "春熙路"]) == 1  # one per name


def test_venues_say_which_street_they_are_on(chengdu_places):
    venues = [e for e in chengdu_places if e.type == "venue"]
    assert len(venues) > 100
    assert sum(bool(e.detail) for e in venues) > len(venues) / 2


def test_an_unreadable_or_missing_index_is_empty(tmp_path):
    assert build_place_index(tmp_path / "none.osm.pbf") == []
    assert read_place_index(tmp_path / "none.json") == []
    (tmp_path / "old.json").write_text('{"version": 0, "places": [["street"]]}', "utf-8")
    assert read_place_index(tmp_path / "old.json") == []
