"""Analysis defaults, read at call time so tests and notebooks can override them.

>>> from geo import settings
>>> settings.max_snap_m = 500

Units: speeds in km/h, distances in metres, times in seconds unless a name says otherwise.
"""

from __future__ import annotations

import warnings

#: Time zone in which opening hours are evaluated unless a station says otherwise.
timezone: str = "Asia/Shanghai"

#: Walking speed, km/h.
walk_speed_kmh: float = 4.5
#: E-bike speed (delivery riders), km/h.
ebike_speed_kmh: float = 15.0
#: Driving speed by OSM ``highway`` value when a way has no usable ``maxspeed``, km/h.
drive_speed_kmh: dict[str, float] = {
    "motorway": 100.0,
    "motorway_link": 60.0,
    "trunk": 80.0,
    "trunk_link": 50.0,
    "primary": 60.0,
    "primary_link": 40.0,
    "secondary": 50.0,
    "secondary_link": 35.0,
    "tertiary": 40.0,
    "tertiary_link": 30.0,
    "unclassified": 30.0,
    "residential": 30.0,
    "living_street": 10.0,
    "service": 20.0,
    "road": 30.0,
}
#: Driving speed for any highway value not listed above, km/h.
drive_default_speed_kmh: float = 30.0

#: A point farther than this from the road network is "off network", metres.
max_snap_m: float = 300.0
#: A finder answers lookups with the same filters from a per-node table of the k nearest stations
#: once that set of stations has been asked for this many times (a table costs about one
#: search over the whole network; None: never, always search from the point).
nearest_table_after: int | None = 8

#: Default number of stations a nearest-station query returns, and the allowed maximum.
default_k: int = 3
max_k: int = 50

#: Two stations with the same name closer than this are reported as duplicates, metres.
duplicate_name_radius_m: float = 50.0

#: Environment variable naming the registry URL when ``--db`` is not given.
db_env_var: str = "YIZHAN_DB"

# --- limits on station data (the import, the API and the registry read them) ---------------------

#: Longest text per station field, characters. Longer cells are problems of their row.
station_text_chars: dict[str, int] = {"name": 200, "address": 500, "phone": 60,
                                      "operator": 200, "notes": 2000, "hours": 500}
#: Longest station id, characters. An id holds letters (Chinese too), digits, ``-``, ``_`` and
#: ``.``, and starts with a letter or digit, so ``/api/stations/<id>`` can address it.
station_id_chars: int = 64
#: Largest station capacity, people (truck places for a driver home).
max_capacity: int = 100_000

#: The deployment's bounds: WGS-84 stations outside them are problems of their row (most often
#: longitude and latitude swapped). ``"china"``, ``"any"`` (no check) or a box
#: ``"west,south,east,north"`` in EPSG:4326 degrees. ``$YIZHAN_BOUNDS`` overrides it.
#: (Formerly ``region``; ``settings.region`` still reads it, with a DeprecationWarning.)
bounds: str = "china"
#: Environment variable naming the deployment's bounds.
bounds_env_var: str = "YIZHAN_BOUNDS"
#: Its former name, deprecated: still read when ``$YIZHAN_BOUNDS`` is not set.
bounds_env_var_deprecated: str = "YIZHAN_REGION"
#: Stations a write takes in one transaction; an import of more is staged in batches of this
#: many and made visible at once (see :mod:`geo.registry`).
import_batch_rows: int = 2000
#: Seconds a staged import keeps working in the changes other writers (a planner saving) make
#: meanwhile to the stations it writes, before it gives up and writes nothing.
import_wait_s: float = 120.0
#: Seconds a staged import pauses before it works in such changes again, when they came twice in a
#: row (another writer in full flow).
import_retry_pause_s: float = 0.2
#: Seconds an SQLite write waits for another writer before it fails (the API then answers 503).
db_busy_timeout_s: float = 15.0

#: H3 resolution for demand cells and gap areas (9: cells of about 0.1 km², 175 m across).
h3_res: int = 9

#: E2SFCA step weights over the first, second and last third of the travel budget (Luo & Qi 2009).
e2sfca_steps: tuple[float, float, float] = (1.0, 0.68, 0.22)

#: Seconds the siting solver (HiGHS) may spend on one plan from the command line or a notebook.
plan_time_limit_s: float = 60.0
#: The same for one siting run of the web app's planner view (it answers while the planner waits).
web_plan_time_limit_s: float = 10.0
#: Megabytes the coverage matrix of one plan may take, built and solved (estimated before it is
#: built, from the first searches); a plan that needs more stops with an error saying how much,
#: rather than the machine swapping. The whole process needs about 0.4 GB more (networks,
#: compiled searches, Python).
plan_memory_mb: float = 1024.0

# --- worker density from OpenStreetMap proxies (estimates, for a region without counts) --------

#: Delivery riders per food venue, by OSM category.
riders_per_venue: dict[str, float] = {"restaurant": 3.0, "fast_food": 3.0, "cafe": 1.5,
                                      "shop": 1.0}
#: Sanitation workers per km of walkable street.
sanitation_workers_per_km: float = 4.0
#: Trucks per km of main road (roads signed 40 km/h and faster).
trucks_per_km: float = 3.0
#: Ride-hailing drivers per km of main road.
ride_hailing_per_km: float = 2.0


#: Settings renamed, by their former names (read with a DeprecationWarning).
_RENAMED = {"region": "bounds", "region_env_var": "bounds_env_var"}


def __getattr__(name: str) -> str:  # the renamed settings are all strings
    if name in _RENAMED:
        warnings.warn(f"geo.settings.{name} is deprecated; use geo.settings.{_RENAMED[name]}",
                      DeprecationWarning, stacklevel=2)
        return globals()[_RENAMED[name]]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
