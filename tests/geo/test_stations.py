from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from geo.errors import InputError
from geo.stations import (
    KINDS,
    SERVICES,
    Station,
    check_text,
    local_time,
    normalize_hours,
    parse_access,
    parse_kind,
    parse_services,
    read_services,
    stable_id,
)


@pytest.mark.parametrize("typed, kind", [
    ("司机之家", "driver_home"),
    ("driver_home", "driver_home"),
    ("Driver home", "driver_home"),
    ("环卫工人爱心驿站", "sanitation_station"),
    ("环卫驿站", "sanitation_station"),
    ("户外劳动者服务站点", "outdoor_rest_point"),
    ("户外劳动者驿站", "outdoor_rest_point"),
    ("工会驿站", "outdoor_rest_point"),
    (" outdoor_rest_point ", "outdoor_rest_point"),
])
def test_parse_kind(typed, kind):
    assert parse_kind(typed) == kind


@pytest.mark.parametrize("typed", ["加油站", "", "driver"])
def test_parse_kind_unknown(typed):
    with pytest.raises(InputError, match="unknown station kind"):
        parse_kind(typed)


def test_parse_services_all_separators_and_chinese():
    assert parse_services("休息、厕所;热水,微波炉，WiFi/电动车充电；医药箱") == {
        "rest", "toilet", "drinking_water", "food_heating", "wifi", "ebike_charging", "first_aid"}
    assert parse_services("吸氧、无障碍、书报、空调、取暖") == {
        "oxygen", "accessible", "reading", "cooling", "heating"}
    assert parse_services(["rest", "toilet"]) == {"rest", "toilet"}
    assert parse_services("") == frozenset()


def test_every_service_label_parses_back():
    for service, (zh, en) in SERVICES.items():
        assert parse_services(zh) == {service}
        assert parse_services(en) == {service}
        assert parse_services(service) == {service}
    for kind, (zh, en) in KINDS.items():
        assert parse_kind(zh) == kind and parse_kind(en) == kind


def test_parse_services_names_every_unknown():
    with pytest.raises(InputError, match="'飞行', 'teleport'"):
        parse_services("休息、飞行、teleport")


def test_parse_access():
    assert parse_access("") == "public"
    assert parse_access("仅限劳动者") == "workers_only"
    with pytest.raises(InputError, match="unknown access"):
        parse_access("VIP")


@pytest.mark.parametrize("typed, osm", [
    ("24/7", "24/7"),
    ("全天", "24/7"),
    ("24小时", "24/7"),
    ("00:00-24:00", "24/7"),
    ("8:30-18:00", "08:30-18:00"),
    ("8:30～18:00", "08:30-18:00"),
    ("8:30至18:00", "08:30-18:00"),
    ("8：30—18：00", "08:30-18:00"),
    ("8点-18点", "08:00-18:00"),
    ("周一至周五 8:30-18:00", "Mo-Fr 08:30-18:00"),
    ("工作日8:30-17:30", "Mo-Fr 08:30-17:30"),
    ("每天 6:00-22:00", "Mo-Su 06:00-22:00"),
    ("周一至周五 8:30-18:00，周六、周日 9:00-17:00", "Mo-Fr 08:30-18:00; Sa,Su 09:00-17:00"),
    ("周一至周五 8:30-18:00；周末休息", "Mo-Fr 08:30-18:00; Sa,Su off"),
    ("08:00-12:00、14:00-18:00", "08:00-12:00,14:00-18:00"),
    ("Mo-Fr 08:30-18:00; Sa,Su 09:00-17:00", "Mo-Fr 08:30-18:00; Sa,Su 09:00-17:00"),
    ("22:00-06:00", "22:00-06:00"),
    ("", ""),
])
def test_normalize_hours(typed, osm):
    assert normalize_hours(typed) == osm


@pytest.mark.parametrize("typed", ["hello", "25:00-26:00", "周八 9:00-10:00", "8:30-", "看情况"])
def test_normalize_hours_rejects(typed):
    with pytest.raises(InputError, match="cannot read opening hours"):
        normalize_hours(typed)


def station(**kw):
    base = dict(id="s1", name="测试驿站", kind="sanitation_station", lon=116.4, lat=39.9)
    return Station(**{**base, **kw})


def test_opening_hours_in_station_time_zone():
    s = station(hours="Mo-Fr 08:30-18:00")
    # Friday 2026-11-27 09:00 in Shanghai is open; 04:00 is not.
    assert s.is_open(datetime(2026, 11, 27, 9, 0)) is True
    assert s.is_open(datetime(2026, 11, 27, 4, 0)) is False
    # 01:30 UTC is 09:30 in Shanghai.
    assert s.is_open(datetime(2026, 11, 27, 1, 30, tzinfo=ZoneInfo("UTC"))) is True
    # Saturday
    assert s.is_open("2026-11-28T10:00") is False
    # a fixed offset, as ISO 8601 writes it
    assert s.is_open("2026-11-27T10:00+08:00") is True
    assert s.is_open("2026-11-26T20:00+00:00") is False  # 04:00 in Shanghai


def test_opening_hours_across_midnight():
    s = station(hours="22:00-06:00")
    assert s.is_open("2026-11-27T23:30") is True
    assert s.is_open("2026-11-28T03:59") is True
    assert s.is_open("2026-11-28T06:30") is False
    assert s.is_open("2026-11-28T12:00") is False


def test_unknown_hours_are_neither_open_nor_closed():
    assert station(hours="").is_open("2026-11-27T12:00") is None


def test_local_time_rejects_malformed():
    with pytest.raises(InputError, match="open_at"):
        local_time("tomorrow at noon")
    assert local_time("2026-11-28T04:00").utcoffset().total_seconds() == 8 * 3600


def test_station_validates_itself():
    with pytest.raises(InputError, match="kind"):
        station(kind="petrol")
    with pytest.raises(InputError, match="service"):
        station(services={"spa"})
    with pytest.raises(InputError, match="out of range"):
        station(lat=120)


def test_record_round_trip():
    s = station(services={"rest", "toilet"}, capacity=5, hours="24/7")
    assert Station.from_record(s.to_record()) == s
    assert s.to_record()["services"] == ["rest", "toilet"]


def test_stable_id_is_stable_and_distinct():
    a = stable_id("sanitation_station", "建国门环卫驿站", 116.4356, 39.9082)
    assert a == stable_id("sanitation_station", " 建国门环卫驿站 ", 116.43561, 39.90821)
    assert a != stable_id("sanitation_station", "建国门环卫驿站", 116.4456, 39.9082)
    assert a.startswith("st-")


def test_next_change_says_when_a_station_closes_or_opens():
    bank = Station(id="b", name="银行", kind="outdoor_rest_point", lon=104.06, lat=30.65,
                   hours="Mo-Fr 09:00-17:00")
    assert bank.next_change("2026-11-25T10:00").isoformat() == "2026-11-25T17:00:00+08:00"
    assert bank.next_change("2026-11-27T18:00").isoformat() == "2026-11-30T09:00:00+08:00"
    always = Station(id="t", name="公厕", kind="sanitation_station", lon=104.06, lat=30.65,
                     hours="24/7")
    assert always.next_change("2026-11-25T10:00") is None


@pytest.mark.parametrize("field", ["name", "address", "phone", "operator", "notes", "hours"])
@pytest.mark.parametrize("char, named", [
    ("\ud800", "U+D800"), ("\uffff", "U+FFFF"), ("\x00", "U+0000"), ("\u202e", "U+202E"),
    ("\U0010ffff", "U+10FFFF"),
])
def test_check_text_names_the_field_and_the_character(field, char, named):
    with pytest.raises(InputError, match=rf"the {field} holds {named.replace('+', '[+]')}, "
                                         "which no stored text may hold") as caught:
        check_text(field, f"甲{char}乙")
    assert caught.value.parameter == field


@pytest.mark.parametrize("field, text, stored", [
    ("notes", "第一行\r\n第二行\r第三行\n第四行\t完", "第一行\n第二行\n第三行\n第四行\t完"),
    ("address", "甲\r\n乙", "甲\n乙"),
])
def test_check_text_keeps_line_breaks_as_newlines(field, text, stored):
    """Every export reads back the same: a spreadsheet cell keeps ``\\n`` only."""
    assert check_text(field, text) == stored


@pytest.mark.parametrize("field", ["name", "phone", "operator", "hours"])
def test_check_text_refuses_line_breaks_in_one_line_fields(field):
    with pytest.raises(InputError, match=r"U\+000A, U\+000D"):
        check_text(field, "甲\r\n乙")


# --- the words offices write ---------------------------------------------------------------------

@pytest.mark.parametrize("cell, ids, kept", [
    # the "七个一" kit
    ("一台冰箱、一台微波炉、一个饮水机、一个医药箱、一套桌椅、一个充电设施、一个卫生间",
     {"food_heating", "drinking_water", "first_aid", "rest", "phone_charging", "toilet"},
     ("一台冰箱",)),
    # the ACFTU's "九有"
    ("有休息场所、有饮用水、有卫生间、有充电设施、有热饭设备、有药箱、有图书、有空调、有无线网络",
     {"rest", "drinking_water", "toilet", "phone_charging", "food_heating", "first_aid",
      "reading", "cooling", "wifi"}, ()),
    # the slogans
    ("冷可取暖、热可纳凉、渴可喝水、累可歇脚、伤可用药、饭可加热、内急可如厕、手机可充电",
     {"heating", "cooling", "drinking_water", "rest", "first_aid", "food_heating", "toilet",
      "phone_charging"}, ()),
    ("提供免费饮水服务。电动车充电桩+WiFi", {"drinking_water", "ebike_charging", "wifi"}, ()),
    ("1.休息 2.饮水 3.老花镜", {"rest", "drinking_water"}, ("老花镜",)),
    ("饮水及充电", {"drinking_water", "phone_charging"}, ()),
    ("母婴室、雨具、母婴室、①医药箱", {"first_aid"}, ("母婴室", "雨具")),
    ("法律 咨询", set(), ("法律 咨询",)),
    ("防暑降温药品等、空调、暖气、淋浴间、洗衣机、货车停车位、高原氧吧、无障碍通道", {
        "first_aid", "cooling", "heating", "shower", "laundry", "parking", "oxygen",
        "accessible"}, ()),
])
def test_read_services_knows_the_words_offices_write_and_keeps_the_rest(cell, ids, kept):
    assert read_services(cell) == (ids, kept)


def test_parse_services_still_refuses_what_read_services_keeps():
    with pytest.raises(InputError, match="'一台冰箱'"):
        parse_services("一台冰箱、微波炉")
    assert parse_services("一台微波炉、一个饮水机") == {"food_heating", "drinking_water"}


@pytest.mark.parametrize("typed, hours", [
    ("早8点至晚6点", "08:00-18:00"),
    ("早上八点到晚上六点", "08:00-18:00"),
    ("早8晚6", "08:00-18:00"),
    ("早7:30晚8:30", "07:30-20:30"),
    ("每天早八点半到晚九点", "Mo-Su 08:30-21:00"),
    ("十点至二十二点", "10:00-22:00"),
    ("全天候开放", "24/7"),
    ("全天候服务", "24/7"),
    ("7×24小时开放", "24/7"),
    ("周一至周五 8:30-18:00", "Mo-Fr 08:30-18:00"),
])
def test_hours_in_words(typed, hours):
    assert normalize_hours(typed) == hours


def test_station_keeps_other_service_words_in_order_once():
    station = Station("a", "甲", "driver_home", 116.4, 39.9, services={"rest"},
                      other_services=("母婴室", "雨具", "母婴室"))
    assert station.other_services == ("母婴室", "雨具")
    record = station.to_record()
    assert record["services"] == ["rest"] and record["other_services"] == ["母婴室", "雨具"]
    assert Station.from_record(record) == station
    # one list, as the registry stores it: the words after the ids
    assert Station.from_record(record | {"services": ["rest", "母婴室", "雨具"],
                                         "other_services": []}) == station


@pytest.mark.parametrize("word, fragment", [
    ("", "without spaces"), (" 雨具", "without spaces"), ("飞" * 41, "at most 40"),
    ("雨具、针线", "separator"), ("雨\u202e具", r"U\+202E"),
])
def test_station_refuses_other_service_words_that_would_not_read_back(word, fragment):
    with pytest.raises(InputError, match=fragment):
        Station("a", "甲", "driver_home", 116.4, 39.9, other_services=(word,))
