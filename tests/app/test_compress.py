"""The pages' own files gzip-compressed for clients that accept it (app.compress)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

import app as app_package

STATIC = Path(app_package.__file__).parent / "static"
GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def get(client, path: str, **headers):
    """The answer, read and closed (a WSGI server closes it; the test client leaves it open)."""
    response = client.get(path, headers=headers)
    response.get_data()
    response.close()
    return response


@pytest.mark.parametrize("path", ["/static/js/finder/map.js", "/static/css/app.css",
                                  "/static/vendor/leaflet/leaflet.js"])
def test_scripts_and_styles_come_compressed_and_revalidate(client, path):
    plain = get(client, path)
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in plain.headers["Vary"]
    packed = get(client, path, **GZIP)
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.data) == plain.data
    assert len(packed.data) < len(plain.data) / 2
    assert int(packed.headers["Content-Length"]) == len(packed.data)
    etag = packed.headers["ETag"]
    assert etag.startswith('W/"') and etag[2:] == plain.headers["ETag"]
    again = get(client, path, **GZIP, **{"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    second = get(client, path, **GZIP)  # from what was kept
    assert second.data == packed.data and second.headers["ETag"] == etag
    if path.startswith("/static/js/"):
        assert plain.data == (STATIC / path.removeprefix("/static/")).read_bytes()


def test_images_ranges_and_the_apis_own_compression_are_left_alone(client):
    png = get(client, "/static/icons/icon-192.png", **GZIP)
    assert png.status_code == 200 and "Content-Encoding" not in png.headers
    part = get(client, "/static/js/finder/map.js", **GZIP, Range="bytes=0-99")
    assert part.status_code == 206 and len(part.data) == 100
    assert "Content-Encoding" not in part.headers
    stations = get(client, "/api/stations", **GZIP)
    assert stations.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(stations.data).startswith(b'{"type":"FeatureCollection"')
