import json

from geo.navigation import nav_links
from geo.output.geojson import station_feature
from geo.stations import Station


def test_a_station_feature_is_geojson_in_wgs84():
    station = Station(id="cd-1", name="春熙路驿站", kind="sanitation_station", lon=104.0817,
                      lat=30.657, services=frozenset({"toilet", "drinking_water"}), hours="24/7")
    feature = station_feature(station, nav_links(station))
    assert feature["type"] == "Feature" and feature["id"] == "cd-1"
    assert feature["geometry"] == {"type": "Point", "coordinates": [104.0817, 30.657]}
    props = feature["properties"]
    assert "lon" not in props and "lat" not in props
    assert props["name"] == "春熙路驿站"
    assert set(props["links"]) == {"amap", "baidu", "apple", "geo"}
    json.dumps(feature, ensure_ascii=False)  # every value serialises
