"""Gap areas and gap sites in the API carry the names geo.places gives them (the nearest named
street of the region's extract), in Chinese and English, as the command line and files do."""

import pytest

from app import create_app
from geo.places import name_places

from .conftest import add_account, copy_db, sign_in


@pytest.fixture(scope="module")
def client(demo, tmp_path_factory):
    app = create_app({"TESTING": True, "DATA_DIR": demo.data_dir,
                      "DB_URL": copy_db(demo, tmp_path_factory.mktemp("api-places")),
                      "ANALYSIS_RATE_LIMIT": "10000 per minute"})
    add_account(app)
    return sign_in(app)


def test_coverage_gap_areas_are_named(client, helsinki_pbf):
    gaps = client.get("/api/coverage?minutes=3").get_json()["gaps"]
    assert gaps
    places = name_places([g["lon"] for g in gaps], [g["lat"] for g in gaps], helsinki_pbf)
    assert [(g["name"], g["name_en"]) for g in gaps] == [(p.zh, p.en) for p in places]
    assert any(p.named for p in places)


def test_plan_gap_sites_are_named_in_both_languages(client, helsinki_pbf):
    answer = client.post("/api/plan", json={"kind": "sanitation_station", "add": 3,
                                            "minutes": 4}).get_json()
    sites = answer["sites"]
    assert sites and all(s["name_en"].startswith("near ") for s in sites)
    places = name_places([s["lon"] for s in sites], [s["lat"] for s in sites], helsinki_pbf)
    assert [s["name_en"].split(" (")[0] for s in sites if not s["name_en"].startswith("near (")] \
        == [p.en for p in places if p.named]
