"""The deployment's own kinds and service words (geo.catalogue): the TOML file, the database,
what is refused and how it says so, and what follows a catalogue put in use."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import create_engine

from geo import groups, stations, style
from geo.catalogue import (
    CatalogueStore,
    Entry,
    KindSpec,
    ServiceSpec,
    active_catalogue,
    load_catalogue,
    parse_season,
    read_catalogue_file,
    reset_catalogue,
    season_text,
    use_catalogue,
    with_entry,
)
from geo.errors import InputError
from geo.nearest._filters import StationFilter

FILE = """
[kinds.summer_class]
zh = "爱心托管班"
en = "summer class for workers' children"
short_zh = "托管班"
colour = "#DB2777"
icon = "child"
services = ["rest", "meals", "oxygen_bar"]
groups = ["sanitation_worker", "delivery_rider"]
season = "7–8 月"
words = ["暑期托管班"]

[kinds.help_centre]
zh = "工会帮扶（服务）中心"
en = "union help centre"
colour = "#1d4ed8"
icon = "heart"

[services.oxygen_bar]
zh = "富氧舱"
en = "oxygen chamber"
words = ["富氧室"]

[services.toilet]
words = ["厕位间"]
"""


@pytest.fixture(autouse=True)
def _builtin_afterwards():
    yield
    reset_catalogue()


@pytest.fixture
def toml(tmp_path):
    path = tmp_path / "catalogue.toml"
    path.write_text(FILE, encoding="utf-8")
    return path


def test_a_file_adds_kinds_and_services_and_everything_follows(toml):
    use_catalogue(load_catalogue(toml))
    assert list(stations.KINDS)[:3] == list(stations.BUILTIN_KINDS)
    assert stations.KINDS["summer_class"] == ("爱心托管班", "summer class for workers' children")
    assert stations.parse_kind("爱心托管班") == stations.parse_kind("暑期托管班") == "summer_class"
    assert stations.parse_kind("工会帮扶（服务）中心") == "help_centre"
    assert stations.parse_services("厕位间、富氧室、富氧舱") == {"toilet", "oxygen_bar"}
    assert style.KIND_COLOURS["summer_class"] == "#db2777"
    assert style.KIND_SHORT["summer_class"] == ("托管班", "summer class for workers' children")
    assert style.KIND_ICONS["help_centre"] == "heart"
    assert "summer_class" in groups.DEFAULT_GROUPS["sanitation_worker"].kinds
    assert "summer_class" not in groups.DEFAULT_GROUPS["truck_driver"].kinds
    assert groups.load_groups()["delivery_rider"].kinds[-1] == "summer_class"
    reset_catalogue()
    assert "summer_class" not in stations.KINDS and "oxygen_bar" not in stations.SERVICES
    assert groups.DEFAULT_GROUPS["sanitation_worker"].kinds == ("sanitation_station",
                                                                 "outdoor_rest_point")
    with pytest.raises(InputError, match="unknown station kind"):
        stations.parse_kind("爱心托管班")


def test_a_seasonal_kind_is_closed_outside_its_months(toml):
    use_catalogue(load_catalogue(toml))
    class_ = stations.Station("c1", "托管班", "summer_class", 104.06, 30.66, hours="08:00-17:00")
    assert class_.is_open("2026-07-15T10:00") is True
    assert class_.is_open("2026-07-15T20:00") is False
    assert class_.is_open("2026-09-01T10:00") is False
    unknown_hours = class_.replace(hours="")
    assert unknown_hours.is_open("2026-08-01T10:00") is None
    assert unknown_hours.is_open("2026-12-01T10:00") is False
    # the finder's open filter reads the same
    import numpy as np
    filt = StationFilter([class_], np.array([True]))
    when = datetime.fromisoformat("2026-10-01T10:00+08:00")
    assert not filt.allowed(None, frozenset(), when, True)[0]
    assert filt.allowed(frozenset({"summer_class"}), frozenset(), None, False)[0]


@pytest.mark.parametrize(("value", "months", "text"), [
    ("7-8", [7, 8], "7–8"), ("7–8 月", [7, 8], "7–8"), ("7月-8月", [7, 8], "7–8"),
    ("11-3", [1, 2, 3, 11, 12], "11–3"), ("7、8月", [7, 8], "7–8"), ([1, 3], [1, 3], "1, 3"),
    ("", None, ""), (None, None, ""),
])
def test_seasons_as_people_write_them(value, months, text):
    assert parse_season(value) == months
    assert season_text(months or []) == text


@pytest.mark.parametrize("value", ["13", "7-13", "夏天", [0], [True], 7.5])
def test_a_season_that_is_no_months_is_refused(value):
    with pytest.raises(InputError, match=r"season|months") as caught:
        parse_season(value)
    assert caught.value.parameter == "season"


def test_every_problem_of_a_file_is_named_at_once(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("""
[kinds.driver_home]
zh = "司机驿站"
en = "x"
colour = "#000000"

[kinds.Summer]
zh = "托管"
en = "y"
colour = "#000000"

[kinds.clash]
zh = "爱心驿站"
en = "z"
colour = "#000000"
services = ["sauna"]
groups = ["cats"]

[kinds.shape]
zh = "形"
en = "shape"
colour = "red"
season = "13"
icon = "rocket"
colour_name = "x"

[services.toilet]
zh = "厕所"

[services.sauna]
words = ["桑拿"]

[misc]
""", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_catalogue(path)
    message = str(caught.value)
    for expected in ["[misc] is not a table", "[kinds.shape] colour:", "[kinds.shape] season:",
                     "[kinds.shape] icon:", "[kinds.shape] colour_name:",
                     "[kinds.driver_home]: driver_home is a built-in kind",
                     "[kinds.Summer]: the id 'Summer' must be lower-case",
                     "[kinds.clash]: services ['sauna'] are not services",
                     "[kinds.clash]: groups ['cats'] are not worker groups",
                     "'爱心驿站' already names the kind sanitation_station",
                     "[services.toilet]: toilet is a built-in service",
                     "[services.sauna]: a new service needs `zh` and `en`"]:
        assert expected in message, expected
    assert str(path) in message and caught.value.parameter == "catalogue"


@pytest.mark.parametrize(("text", "words"), [
    (None, "does not exist"), ("[kinds.a\n", "cannot read the catalogue file"),
])
def test_a_file_that_cannot_be_read_says_so(tmp_path, text, words):
    path = tmp_path / "c.toml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=words):
        read_catalogue_file(path)


def test_the_environment_names_the_file(toml, monkeypatch):
    monkeypatch.setenv("YIZHAN_CATALOGUE", str(toml))
    assert "summer_class" in load_catalogue().kinds
    monkeypatch.delenv("YIZHAN_CATALOGUE")
    assert "summer_class" not in load_catalogue().kinds


def _spec(**changes):
    return KindSpec.model_validate({"zh": "爱心托管班", "en": "summer class",
                                    "colour": "#db2777", **changes})


def test_the_database_keeps_entries_and_replaces_the_files(toml, tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'r.sqlite'}")
    store = CatalogueStore(engine)
    assert store.version() == 0 and store.entries() == []
    store.put(Entry("kinds", "summer_class", _spec(colour="#111111", season=[1]), "admin", "x"),
              actor="admin1")
    store.put(Entry("services", "massage", ServiceSpec(zh="按摩椅", en="massage chair"),
                    "admin", "y"))
    assert store.version() == 2
    catalogue = load_catalogue(toml, engine=engine)
    assert catalogue.kinds["summer_class"].colour == "#111111"
    assert catalogue.kinds["summer_class"].months == (1,)
    assert catalogue.kinds["summer_class"].source == "admin"
    assert catalogue.kinds["help_centre"].source == "file"
    assert catalogue.services["massage"].zh == "按摩椅"
    engine.dispose()


def test_a_stored_entry_that_no_longer_fits_is_left_out(toml, tmp_path, caplog):
    engine = create_engine(f"sqlite:///{tmp_path / 'r.sqlite'}")
    CatalogueStore(engine).put(Entry("kinds", "spa", _spec(zh="水疗", en="spa",
                                                           services=["oxygen_bar"]),
                                     "admin", "x"))
    assert "spa" in load_catalogue(toml, engine=engine).kinds
    catalogue = load_catalogue("", engine=engine)  # the file with oxygen_bar is gone
    assert "spa" not in catalogue.kinds
    assert "not services" in caplog.text
    engine.dispose()


def test_with_entry_refuses_with_the_problem_named():
    base = active_catalogue()
    added = with_entry(base, Entry("kinds", "summer_class", _spec(), "admin", "[kinds.x]"))
    assert "summer_class" in added.kinds and "summer_class" not in stations.KINDS
    with pytest.raises(InputError, match="already names the kind summer_class") as caught:
        with_entry(added, Entry("kinds", "other", _spec(en="other"), "admin", "[kinds.other]"))
    assert caught.value.parameter == "kinds"


def test_a_spec_refuses_controls_and_separators():
    with pytest.raises(ValueError, match="U\\+202E"):
        _spec(zh="托管\u202e班")
    with pytest.raises(ValueError, match="separator"):
        ServiceSpec(zh="桑拿", en="sauna", words=["桑拿、汗蒸"])
