"""The models of ``GET /api/search``: a query, and the stations, streets and venues it finds.

Coordinates are WGS-84 (EPSG:4326) degrees.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from app.schemas.fields import Plain
from app.schemas.requests import Query, RegionName
from app.schemas.responses import Answer
from geo.search import MAX_QUERY, MAX_RESULTS


class SearchQuery(Query):
    q: Annotated[str, Field(min_length=1, max_length=MAX_QUERY, description=(
        "What the person typed: part of a station's name or address, or of a street's or a "
        "venue's name, in Chinese characters, pinyin (zhongyang) or pinyin initials (zydj); "
        "words separated by spaces must all match.")), Plain]
    limit: Annotated[int, Field(ge=1, le=MAX_RESULTS, description="How many results at most.")] = 8
    region: RegionName = None


class Found(Answer):
    """One thing found: where the map goes, and what to call it."""

    type: Literal["station", "street", "venue"]
    name: str
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    detail: str = Field(description="A station's address, the street a venue is on, or empty.")
    id: str = Field(description="The station's id (stations only), else empty.")
    kind: str = Field(description="The station's kind (stations only), else empty.")
    bbox: list[float] | None = Field(min_length=4, max_length=4, description=(
        "A street's whole extent [west, south, east, north]; null for a point."))


class SearchAnswer(Answer):
    query: str
    results: list[Found] = Field(description="Best first; empty when nothing matches.")
