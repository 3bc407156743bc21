"""``yizhan poster``: posters of the registry's stations as one PDF whose QR codes open their
cards; which stations, a bad address and unknown ids said as usage or data errors."""

from __future__ import annotations

import pypdfium2
import pytest
import zxingcpp

from app.cli import main
from geo.output.charts import cjk_font
from geo.registry import Registry
from geo.stations import Station

BASE = "http://yizhan.example.org:8080"
STATIONS = [
    Station(id="a1", name="春熙路户外劳动者服务站点", kind="outdoor_rest_point", lon=104.08,
            lat=30.65, operator="锦江区总工会"),
    Station(id="b2", name="东站司机之家", kind="driver_home", lon=104.14, lat=30.63),
    Station(id="c3", name="人民公园环卫驿站", kind="sanitation_station", lon=104.05, lat=30.66),
]
needs_font = pytest.mark.skipif(cjk_font() is None, reason="posters need a CJK font "
                                "(apt-get install fonts-wqy-microhei; CI installs it)")


@pytest.fixture
def registry_url(db_url):
    Registry(db_url).upsert(STATIONS, source="test")
    return db_url


def qr_codes(path) -> list[list[str]]:
    document = pypdfium2.PdfDocument(path)
    return [[r.text for r in zxingcpp.read_barcodes(document[i].render(scale=2).to_pil())]
            for i in range(len(document))]


@needs_font
def test_named_stations_make_one_pdf_in_the_order_given(runner, registry_url, tmp_path):
    out = tmp_path / "posters.pdf"
    result = runner.invoke(main, ["poster", "c3", "a1", "--out", str(out), "--url", BASE + "/",
                                  "--db", registry_url])
    assert result.exit_code == 0, result.output
    assert "Wrote 2 posters" in result.output
    assert qr_codes(out) == [[BASE + "/?station=c3"], [BASE + "/?station=a1"]]


@needs_font
def test_all_stations_of_a_kind_and_the_url_from_the_environment(runner, registry_url, tmp_path,
                                                                 monkeypatch):
    monkeypatch.setenv("YIZHAN_PUBLIC_URL", "https://gonghui.example.cn/yizhan")
    out = tmp_path / "drivers.pdf"
    result = runner.invoke(main, ["poster", "--all", "--kind", "司机之家", "--out", str(out),
                                  "--union", "成都市总工会", "--db", registry_url])
    assert result.exit_code == 0, result.output
    assert qr_codes(out) == [["https://gonghui.example.cn/yizhan/?station=b2"]]
    text = pypdfium2.PdfDocument(out)[0].get_textpage().get_text_range()
    assert "主办：成都市总工会" in text and "东站司机之家" in text


def test_unknown_ids_are_all_named_and_nothing_is_written(runner, registry_url, tmp_path):
    out = tmp_path / "posters.pdf"
    result = runner.invoke(main, ["poster", "a1", "zz9", "yy8", "--out", str(out), "--url", BASE,
                                  "--db", registry_url])
    assert result.exit_code == 1
    assert "'zz9', 'yy8'" in result.output and "yizhan export" in result.output
    assert not out.exists()


@pytest.mark.parametrize("args, said", [
    ([], "name the stations by id"),
    (["a1", "--all"], "name the stations by id"),
    (["a1", "--kind", "driver_home"], "use it with --all"),
    (["a1", "--url", "yizhan.example.org"], "must start with http:// or https://"),
])
def test_usage_errors_say_the_fix(runner, registry_url, args, said):
    if "--url" not in args:
        args = [*args, "--url", BASE]
    result = runner.invoke(main, ["poster", *args, "--db", registry_url])
    assert result.exit_code == 2
    assert said in result.output


def test_usage_errors_in_chinese(runner, registry_url):
    result = runner.invoke(main, ["--lang", "zh", "poster", "--url", BASE, "--db", registry_url])
    assert result.exit_code == 2
    assert "请给出驿站编号" in result.output
