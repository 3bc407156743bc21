"""Checks of the nearest-station parameters: each names the parameter, the bad value and what is
allowed (:class:`geo.errors.InputError`)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from geo import settings
from geo.errors import InputError
from geo.network.graph import _check_weight as check_weight
from geo.stations import KINDS, SERVICES

__all__ = ["check_k", "check_kinds", "check_point", "check_services", "check_weight"]


def check_k(k: object) -> int:
    """``k`` as an int, when it is a whole number from 1 to :data:`geo.settings.max_k`."""
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 1 <= k <= settings.max_k:
        raise InputError(f"`k` was {k!r} but must be a whole number from 1 to {settings.max_k}",
                         parameter="k")
    return int(k)


def check_point(lon: object, lat: object) -> None:
    """Raise unless ``lon``, ``lat`` are finite EPSG:4326 degrees within ±180 and ±90."""
    for name, value, bound in (("lon", lon, 180), ("lat", lat, 90)):
        if (not isinstance(value, int | float | np.floating) or not np.isfinite(value)
                or not -bound <= value <= bound):
            raise InputError(f"`{name}` was {value!r} but must be a number from {-bound} to "
                             f"{bound}", parameter=name)


def check_kinds(kinds: Iterable[str] | str | None) -> frozenset[str] | None:
    """Validated kind ids, or None for all kinds."""
    if kinds is None:
        return None
    kinds = frozenset([kinds] if isinstance(kinds, str) else kinds)
    unknown = sorted(kinds - set(KINDS))
    if unknown:
        raise InputError(f"`kind` was {unknown} but must be among {sorted(KINDS)}",
                         parameter="kind")
    return kinds or None


def check_services(services: Iterable[str] | str | None) -> frozenset[str]:
    """Validated service ids (all required)."""
    if services is None:
        return frozenset()
    services = frozenset([services] if isinstance(services, str) else services)
    unknown = sorted(services - set(SERVICES))
    if unknown:
        raise InputError(f"`service` was {unknown} but must be among {sorted(SERVICES)}",
                         parameter="service")
    return services
