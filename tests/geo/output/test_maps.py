import html

from geo.output.maps import add_stations, leaflet_dir, offline_map, save_map, station_popup
from geo.stations import Station

STATION = Station(id="s<1>", name="<b>驿站</b>&", kind="sanitation_station", lon=104.08,
                  lat=30.66, services=frozenset({"toilet"}), hours="24/7")


def test_a_popup_says_names_as_text_not_markup():
    popup = station_popup(STATION)
    assert "<b>驿站</b>" not in popup and html.escape("<b>驿站</b>&") in popup


def test_a_saved_map_is_offline_with_leaflet_beside_it(tmp_path):
    m = offline_map((104.0, 30.6, 104.1, 30.7), title="驿站 stations")
    add_stations(m, [STATION])
    page = save_map(m, tmp_path / "m.html").read_text("utf-8")
    assert (tmp_path / "leaflet" / "leaflet.js").is_file()
    assert (leaflet_dir() / "leaflet.js").is_file()
    head = page.split("<body")[0]
    assert "leaflet/leaflet.js" in head and "cdn" not in head.lower()


def test_a_popup_lists_the_kept_service_words_after_the_known_ones():
    popup = station_popup(STATION.replace(other_services=("母婴室", "<i>雨具")))
    assert "服务 services: 厕所、母婴室、&lt;i&gt;雨具" in popup
