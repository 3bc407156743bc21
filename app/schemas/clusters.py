"""The models of ``GET /api/clusters``: the stations of a box counted per cell of a grid of the
map at one zoom, by kind, for the finder's map when zoomed out.

Coordinates are WGS-84 (EPSG:4326) degrees.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from app.schemas.fields import BBOX_TEXT, Bbox, Flag, KindName, Kinds, Plain, Services
from app.schemas.requests import Query, RegionName
from app.schemas.responses import Answer

#: The zooms the grid is made for (Web Mercator, as the finder's map counts them).
MIN_ZOOM, MAX_ZOOM = 0, 20
#: The side of one cell in CSS pixels of the map at the asked zoom.
CELL_PX = 96
#: The most cells a box may span across, either way (more is a 400 naming `bbox`).
MAX_CELLS_ACROSS = 128


class ClustersQuery(Query):
    rules = ("a `bbox` spanning more than "
             f"{MAX_CELLS_ACROSS} cells of {CELL_PX} px either way at `zoom` (ask for less or "
             "zoom out)",)

    bbox: Annotated[Bbox, Field(description=(
        f"The part of the map to count: {BBOX_TEXT}. Every cell it touches is counted whole, "
        "so a cell's count does not depend on the box."))]
    zoom: Annotated[int, Field(ge=MIN_ZOOM, le=MAX_ZOOM, description=(
        f"The map's zoom (Web Mercator, 256 px tiles); the cells are {CELL_PX} px of the map "
        "at this zoom.")), Plain]
    kind: Kinds = None
    service: Services = None
    open_now: Flag = Field(None, description="Only the stations open now (this minute).")
    region: RegionName = None


class Cluster(Answer):
    """The stations of one cell."""

    lon: float = Field(ge=-180, le=180, description=(
        "Where to draw the cell's marker: the mean of its stations, kept half a marker inside "
        "the cell so that the markers of two cells do not overlap."))
    lat: float = Field(ge=-90, le=90)
    count: int = Field(ge=1, description="How many stations the cell holds.")
    kinds: dict[KindName, int] = Field(description=(
        "How many of them are of each kind (the kinds it has only), in the catalogue's order."))
    bbox: list[float] = Field(min_length=4, max_length=4, description=(
        "The box of its stations [west, south, east, north]: tapping the marker shows it."))
    id: str | None = Field(description="The station's id when the cell holds one, else null.")


class ClustersAnswer(Answer):
    zoom: int
    cell_px: int = Field(description="The side of a cell in pixels at `zoom`.")
    total: int = Field(ge=0, description="The stations counted: the sum of the counts.")
    clusters: list[Cluster] = Field(description="The cells holding a station, west to east.")
