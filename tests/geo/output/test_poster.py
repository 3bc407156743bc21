"""Station posters: an A4 PDF page per station whose QR code, read back from the rendered page,
opens the finder on that station's card."""

from __future__ import annotations

import pypdfium2
import pytest
import zxingcpp

from geo.errors import InputError, YizhanError
from geo.output import poster
from geo.output.charts import cjk_font
from geo.output.poster import MAX_POSTERS, poster_pdf, qr_svg, station_url, write_posters
from geo.stations import Station

BASE = "https://yizhan.example.org"
STATIONS = [
    Station(id="cd-001", name="锦江区春熙路户外劳动者服务站点", kind="outdoor_rest_point",
            lon=104.08, lat=30.65, address="成都市锦江区春熙路南段 12 号",
            services=frozenset({"rest", "toilet", "drinking_water", "phone_charging"}),
            hours="Mo-Fr 08:00-20:00; Sa,Su 09:00-18:00", phone="028-12345678",
            operator="成都市锦江区总工会"),
    Station(id="司机之家-东站", name="司机之家（成都东站）", kind="driver_home", lon=104.14,
            lat=30.63, hours="24/7", services=frozenset({"rest", "shower"})),
    Station(id="hy.3", name="环卫工人爱心驿站" * 12, kind="sanitation_station", lon=104.05,
            lat=30.66, hours=""),
]

needs_font = pytest.mark.skipif(cjk_font() is None, reason="posters need a CJK font "
                                "(apt-get install fonts-wqy-microhei; CI installs it)")


def pages(pdf: bytes) -> list:
    document = pypdfium2.PdfDocument(pdf)
    return [document[i] for i in range(len(document))]


def decoded(page) -> list[str]:
    """The QR codes ZXing reads on the page rendered at 150 dpi."""
    image = page.render(scale=150 / 72).to_pil()
    return [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


@needs_font
def test_each_page_s_qr_code_opens_its_station_s_card():
    pdf = poster_pdf(STATIONS, base_url=BASE + "/")
    found = pages(pdf)
    assert len(found) == len(STATIONS)
    for page, station in zip(found, STATIONS, strict=True):
        width, height = page.get_size()
        assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 297)  # A4
        assert decoded(page) == [station_url(BASE, station.id)]
    assert station_url(BASE, "司机之家-东站") == (
        BASE + "/?station=%E5%8F%B8%E6%9C%BA%E4%B9%8B%E5%AE%B6-%E4%B8%9C%E7%AB%99")


@needs_font
def test_the_page_says_name_kind_hours_services_and_union_in_chinese():
    first, second, third = (p.get_textpage().get_text_range() for p in pages(
        poster_pdf(STATIONS, base_url=BASE)))
    for words in ("户外劳动者服务站点", "春熙路", "周一至周五 8:00-20:00；周末 9:00-18:00",
                  "休息、厕所、饮水、手机充电", "主办：成都市锦江区总工会", "028-12345678",
                  "扫码"):
        assert words in first, words
    assert "司机之家" in second and "全天" in second and "主办" not in second
    # unknown hours are said; a very long name is cut, not drawn off the page
    assert "未知" in third and "…" in third


@needs_font
def test_a_union_given_is_named_on_every_page(tmp_path):
    target = tmp_path / "posters.pdf"
    assert write_posters(STATIONS[:2], target, base_url=BASE, union="成都市总工会") == 2
    texts = [p.get_textpage().get_text_range() for p in pages(target.read_bytes())]
    assert all("主办：成都市总工会" in text for text in texts)


def test_the_card_s_qr_svg_holds_the_same_address():
    import segno

    svg = qr_svg(station_url(BASE, "cd-001"))
    assert svg.startswith("<svg") and "viewBox" in svg
    assert poster.qr_matrix(station_url(BASE, "cd-001")) == [
        [bool(v) for v in row] for row in segno.make_qr(station_url(BASE, "cd-001"),
                                                        error="q", boost_error=False).matrix]


@pytest.mark.parametrize("base", ["", "yizhan.example.org", "javascript:alert(1)", "ftp://x"])
def test_the_base_address_must_be_http(base):
    with pytest.raises(InputError, match="must start with http:// or https://") as info:
        station_url(base, "cd-001")
    assert info.value.parameter == "base_url"


def test_no_stations_or_too_many_are_refused():
    with pytest.raises(InputError, match="at least one station"):
        poster_pdf([], base_url=BASE)
    with pytest.raises(InputError, match=f"more than the {MAX_POSTERS}"):
        poster_pdf(STATIONS[:1] * (MAX_POSTERS + 1), base_url=BASE)


def test_without_a_cjk_font_the_poster_says_what_to_install(monkeypatch):
    monkeypatch.setattr(poster, "cjk_font", lambda: None)
    with pytest.raises(YizhanError, match="apt-get install fonts-wqy-microhei"):
        poster_pdf(STATIONS[:1], base_url=BASE)
