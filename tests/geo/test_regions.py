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
