import pytest

from geo.errors import InputError
from geo.regions import OSM_ATTRIBUTION, REGIONS, region


@pytest.mark.parametrize("name", list(REGIONS))
def test_every_shipped_region_has_its_extract(name):
    shipped = region(name)
    path = shipped.extract()
    assert path.suffix == ".pbf" and path.stat().st_size > 10_000
    west, south, east, north = shipped.bounds
    assert -180 <= west < east <= 180 and -90 <= south < north <= 90
    assert shipped.zh and shipped.en


def test_an_unknown_region_names_the_choices():
    with pytest.raises(InputError, match=r"`region` was 'beijing' but must be one of \['chengdu'"):
        region("beijing")


def test_the_attribution_names_openstreetmap_in_both_languages():
    assert "OpenStreetMap" in OSM_ATTRIBUTION and "贡献者" in OSM_ATTRIBUTION


def _readme_sha256() -> dict[str, str]:
    """The SHA-256 of each extract as geo/data/osm/README.md states it."""
    import re
    from pathlib import Path

    readme = Path(region("chengdu").extract()).parent / "README.md"
    return {name: digest for digest, name in
            re.findall(r"^([0-9a-f]{64})  (\S+\.osm\.pbf)$", readme.read_text("utf-8"), re.M)}


@pytest.mark.parametrize("name", [r.id for r in REGIONS.values() if r.package == "geo"])
def test_every_shipped_extract_is_the_file_its_readme_describes(name):
    import hashlib

    path = region(name).extract()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == _readme_sha256()[path.name]


def test_central_harbin_ships_as_a_winter_region():
    harbin = region("harbin")
    assert (harbin.zh, harbin.en, harbin.year) == ("哈尔滨中心城区", "central Harbin", 2024)
    assert harbin.bounds == (126.5061, 45.6579, 126.7719, 45.8309)
    assert harbin.extract().name == "harbin_center_2024.osm.pbf"
    assert _readme_sha256()["harbin_center_2024.osm.pbf"] == (
        "33c5db708836732ee3a0bf67f12eeeb2e25b16e8f35cda912654e0dab75d0f25")
    assert harbin.heated and harbin.quick_services[0] == "heating"
    assert not region("chengdu").heated and region("chengdu").quick_services == ()


@pytest.mark.parametrize("name", list(REGIONS))
def test_quick_services_are_services(name):
    from geo.stations import SERVICES

    assert set(region(name).quick_services) <= set(SERVICES)
