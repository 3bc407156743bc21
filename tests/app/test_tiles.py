import pytest

from app import create_app
from app.tiles import TILE_CHOICES, TILE_SERVICES


def test_the_choices_are_none_and_every_service():
    assert ("none", *TILE_SERVICES) == TILE_CHOICES
    for name, service in TILE_SERVICES.items():
        assert service["url"].startswith("https://") and service["hosts"].startswith("https://")
        assert "{z}" in service["url"] and service["attribution"], name


def test_an_unknown_tile_service_is_refused_with_the_choices(tmp_path):
    with pytest.raises(ValueError, match=r"`TILES` was 'google' but must be one of \['none'"):
        create_app({"TESTING": True, "DATA_DIR": tmp_path, "TILES": "google"})
