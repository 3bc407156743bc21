"""The models of the catalogue API (:mod:`app.catalogue_api`): the deployment's station kinds and
services as the API serves them, and what an administrator sends to add or change one.

The bodies are the library's own entry models (:class:`geo.catalogue.KindSpec`,
:class:`geo.catalogue.ServiceSpec`), which the catalogue file is read with too: one set of limits
for the file, the API and this document.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from geo.catalogue import KindSpec, ServiceSpec


class KindBody(KindSpec):
    """A kind of this deployment's own, as an administrator adds or changes it."""

    rules: ClassVar[tuple[str, ...]] = (
        "the id of a built-in kind (they stay as they are)",
        "`services` or `groups` naming ones that do not exist",
        "a name (id, `zh`, `en` or a word) that another kind has",
    )


class ServiceBody(ServiceSpec):
    """A service of this deployment's own, or more words for a built-in one."""

    rules: ClassVar[tuple[str, ...]] = (
        "`zh` or `en` for a built-in service (give `words` only)",
        "a new service without `zh` and `en`",
        "a name (id, `zh`, `en` or a word) that another service has",
    )


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


Source = Literal["builtin", "file", "admin"]


class CatalogueKind(_Answer):
    """One station kind."""

    id: str
    zh: str
    en: str
    short_zh: str
    short_en: str
    colour: str = Field(description="#rrggbb.")
    icon: str
    services: list[str] = Field(description="Service ids its stations offer.")
    groups: list[str] = Field(description="Worker groups that use it.")
    season: list[int] | None = Field(description="Months it opens in; null: all year.")
    season_text: str = Field(description="The months as people write them (7–8); empty: all "
                                         "year.")
    words: list[str] = Field(description="More names people write for it.")
    source: Source = Field(description="builtin; file ($YIZHAN_CATALOGUE); admin (added in the "
                                       "planner view).")


class CatalogueService(_Answer):
    """One service."""

    id: str
    zh: str
    en: str
    words: list[str] = Field(description="The deployment's own names for it.")
    source: Source


class CatalogueAnswer(_Answer):
    """The station kinds and services of this deployment, the built-in ones first."""

    kinds: list[CatalogueKind]
    services: list[CatalogueService]
    icons: list[str] = Field(description="The icons a kind may have.")
    version: int = Field(ge=0, description="Grows with every change made in the planner view.")
