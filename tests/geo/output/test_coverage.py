import json

import geopandas as gpd
import pandas as pd
import pyogrio

from geo.output.coverage import served_by_station, write_coverage


def test_the_folder_holds_every_file_and_they_agree(analysed, city, tmp_path):
    nets, stations, _ = city
    files = write_coverage(analysed, stations, tmp_path, network=nets["walk"])
    assert {"gpkg", "csv", "json", "map"} <= set(files) and all(p.is_file() for p in files.values())
    layers = {name for name, _ in pyogrio.list_layers(files["gpkg"])}
    assert {"demand", "stations"} <= layers
    demand = gpd.read_file(files["gpkg"], layer="demand")
    assert len(demand) == len(analysed.points) and demand.crs.to_epsg() == 4326
    summary = json.loads(files["json"].read_text("utf-8"))
    table = pd.read_csv(files["csv"], encoding="utf-8-sig")
    row = table.set_index("group").loc["sanitation_worker"]
    entry = summary["groups"]["sanitation_worker"]
    assert row["covered"] == entry["covered"] and row["total"] == entry["total"]
    assert [f"h{h:02d}" for h in range(24)] == [c for c in table.columns if c.startswith("h")]
    # the covered workers in the file are the covered points' weights
    assert abs(demand.loc[demand["covered"], "weight"].sum() - entry["covered"]) < 1e-6
    page = files["map"].read_text("utf-8")
    assert "leaflet" in page and "https://" not in page.split("<body")[0].replace(
        "https://leafletjs.com", "")


def test_each_covered_worker_is_served_by_one_station(analysed, city):
    _, stations, _ = city
    served = served_by_station(analysed, stations)
    assert list(served.index) == [s.id for s in stations]
    covered = analysed.points.loc[analysed.points["covered"], "weight"].sum()
    assert abs(served.to_numpy().sum() - covered) < 1e-2


def test_writing_again_replaces_the_geopackage(analysed, city, tmp_path):
    _, stations, _ = city
    write_coverage(analysed, stations, tmp_path)
    files = write_coverage(analysed, stations, tmp_path)
    assert len(gpd.read_file(files["gpkg"], layer="stations")) == len(stations)
