"""Networks of extracts kept in the cache (geo.network.cache): the same network as reading the
extract, read once, read afresh when the extract changes, and read each time when the cache
cannot be written."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

from geo.demo import helsinki_pbf
from geo.network import build as network_build
from geo.network import load_network
from geo.network.cache import cache_file, cached_network

ARRAYS = ("node_ids", "lon", "lat", "x", "y", "indptr", "indices", "length", "time")


@pytest.fixture
def extract(tmp_path, monkeypatch):
    monkeypatch.setenv("YIZHAN_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "helsinki.osm.pbf"
    shutil.copy(helsinki_pbf(), path)
    return path


def _same(a, b) -> None:
    assert a.mode == b.mode
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def test_an_extract_is_read_once_then_loaded_from_the_cache(extract, monkeypatch):
    read = load_network(extract, mode="walk")
    first = cached_network(extract, mode="walk")
    _same(first, read)
    kept = cache_file(extract, "walk")
    assert kept.is_file() and kept.parent.name == "networks"

    def no_reading(*args, **kwargs):
        raise AssertionError("the extract was read again")

    monkeypatch.setattr(network_build, "_pbf_graph", no_reading)
    _same(cached_network(extract, mode="walk"), read)
    with pytest.raises(AssertionError, match="read again"):  # another mode is not kept yet
        cached_network(extract, mode="drive")


def test_a_changed_extract_is_read_afresh(extract):
    cached_network(extract, mode="walk")
    before = cache_file(extract, "walk")
    stat = extract.stat()
    os.utime(extract, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert cache_file(extract, "walk") != before
    cached_network(extract, mode="walk")
    assert cache_file(extract, "walk").is_file()


def test_a_damaged_cache_file_is_replaced(extract):
    read = load_network(extract, mode="walk")
    cached_network(extract, mode="walk")
    kept = cache_file(extract, "walk")
    damaged = kept.with_suffix(".tmp")
    damaged.write_bytes(b"not a network")
    os.replace(damaged, kept)  # as a writer replaces a file (a mapped one stays readable)
    _same(cached_network(extract, mode="walk"), read)
    assert kept.stat().st_size > 1000


def test_without_a_writable_cache_the_extract_is_read_each_time(extract, tmp_path, monkeypatch):
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    monkeypatch.setenv("YIZHAN_CACHE_DIR", str(blocked))
    _same(cached_network(extract, mode="walk"), load_network(extract, mode="walk"))
