"""The parameter checks of the nearest-station engine (geo.nearest._validate)."""

import numpy as np
import pytest

from geo import settings
from geo.errors import InputError
from geo.nearest._validate import check_k, check_kinds, check_point, check_services, check_weight
from geo.network import graph


@pytest.mark.parametrize("k", [1, 3, np.int64(5), settings.max_k])
def test_good_k(k):
    assert check_k(k) == int(k) and type(check_k(k)) is int


@pytest.mark.parametrize("k", [0, settings.max_k + 1, 2.5, True, "3", None])
def test_bad_k(k):
    with pytest.raises(InputError, match="`k` was") as err:
        check_k(k)
    assert err.value.parameter == "k"


@pytest.mark.parametrize("lon, lat, parameter", [(181.0, 0.0, "lon"), (0.0, -90.5, "lat"),
                                                 (float("inf"), 0.0, "lon"), ("1", 0.0, "lon")])
def test_bad_point(lon, lat, parameter):
    with pytest.raises(InputError, match=f"`{parameter}` was") as err:
        check_point(lon, lat)
    assert err.value.parameter == parameter


def test_good_point():
    check_point(180, -90.0)
    check_point(np.float64(114.3), 30.5)


def test_kinds_and_services():
    assert check_kinds(None) is None and check_kinds([]) is None
    assert check_kinds("driver_home") == frozenset({"driver_home"})
    assert check_services(None) == frozenset() and check_services("toilet") == {"toilet"}
    with pytest.raises(InputError, match=r"`kind` was \['petrol'\]"):
        check_kinds(["petrol", "driver_home"])
    with pytest.raises(InputError, match=r"`service` was \['spa'\]"):
        check_services(["spa"])


def test_one_weight_check():
    assert check_weight is graph._check_weight
    assert check_weight("time") == "time"
    with pytest.raises(InputError, match=r"`weight` was 'cost' but must be one of") as err:
        check_weight("cost")
    assert err.value.parameter == "weight"
