"""Posters and QR codes on the web (/posters.pdf for planners, /qr/<id>.svg for anyone), and the
finder's service worker and manifest (/sw.js, /manifest.webmanifest)."""

from __future__ import annotations

import json
import re

import pypdfium2
import pytest
import zxingcpp

from app import create_app
from geo.output.charts import cjk_font
from tests.app.conftest import assert_error, copy_db, signed_in

needs_font = pytest.mark.skipif(cjk_font() is None, reason="posters need a CJK font "
                                "(apt-get install fonts-wqy-microhei; CI installs it)")


@pytest.fixture
def private_app(demo, tmp_path):
    return create_app({"TESTING": True, "DATA_DIR": demo.data_dir,
                       "DB_URL": copy_db(demo, tmp_path)})


def station_ids(app, n):
    return [s.id for s in app.extensions["yizhan"].current().stations[:n]]


def test_posters_are_for_planners(private_app):
    ids = station_ids(private_app, 1)
    assert_error(private_app.test_client().get(f"/posters.pdf?station={ids[0]}"), 401)


@needs_font
def test_a_planner_gets_one_pdf_whose_codes_open_the_cards(private_app):
    ids = station_ids(private_app, 2)
    client = signed_in(private_app)
    response = client.get(f"/posters.pdf?station={ids[1]}&station={ids[0]}&union=成都市总工会")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    document = pypdfium2.PdfDocument(response.data)
    codes = [[r.text for r in zxingcpp.read_barcodes(document[i].render(scale=2).to_pil())]
             for i in range(len(document))]
    assert codes == [[f"http://localhost/?station={ids[1]}"], [f"http://localhost/?station={ids[0]}"]]
    assert "主办：成都市总工会" in document[0].get_textpage().get_text_range()


@needs_font
def test_the_public_address_is_used_when_set(demo, tmp_path):
    app = create_app({"TESTING": True, "DATA_DIR": demo.data_dir,
                      "DB_URL": copy_db(demo, tmp_path),
                      "PUBLIC_URL": "https://yizhan.example.org"})
    sid = station_ids(app, 1)[0]
    response = signed_in(app).get(f"/posters.pdf?station={sid}")
    page = pypdfium2.PdfDocument(response.data)[0]
    assert [r.text for r in zxingcpp.read_barcodes(page.render(scale=2).to_pil())] == [
        f"https://yizhan.example.org/?station={sid}"]


def test_unknown_or_no_stations_are_said(private_app):
    client = signed_in(private_app)
    assert_error(client.get("/posters.pdf"), 400, "station")
    body = assert_error(client.get("/posters.pdf?station=nope-1&station=nope-2"), 404)
    assert "'nope-1', 'nope-2'" in body["error"]


def test_a_station_s_qr_code_is_an_svg_for_anyone(app):
    client = app.test_client()
    sid = station_ids(app, 1)[0]
    response = client.get(f"/qr/{sid}.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert f"http://localhost/?station={sid}" in response.get_data(as_text=True)  # its <title>
    assert_error(client.get("/qr/no-such-station.svg"), 404, "station_id")


def test_the_service_worker_is_served_from_the_root(app):
    client = app.test_client()
    response = client.get("/sw.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    source = response.get_data(as_text=True)
    version = re.search(r'const VERSION = "([0-9a-f]{16})";', source).group(1)
    shell = json.loads(re.search(r"const SHELL = (\[.*?\]);", source).group(1))
    for url in shell:
        with client.get(url) as answer:
            assert answer.status_code == 200, url
    assert "/api/" not in " ".join(shell)  # data is kept as it is fetched, never at install
    assert client.get("/sw.js").get_data(as_text=True).count(version) == 1
    with client.get("/manifest.webmanifest") as manifest:
        assert manifest.mimetype == "application/manifest+json"
        assert json.loads(manifest.get_data())["scope"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert 'rel="manifest" href="/manifest.webmanifest"' in page
