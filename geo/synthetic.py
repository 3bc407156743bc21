"""Generated city-scale networks, stations and demand, for benchmarks and scale tests.

The city is a jittered street grid around a real Chinese city centre (Wuhan by default): blocks of
about 100 m, a share of missing street segments, and one-way streets for driving. It is not a real
city; use it to measure speed at a size no small OSM extract reaches.
"""

from __future__ import annotations

import math

import numpy as np
from pyproj import Transformer

from geo import coords, settings
from geo.network import Network
from geo.stations import KINDS, SERVICES, Station


def city_network(n_nodes: int = 200_000, *, mode: str = "walk", seed: int = 0,
                 block_m: float = 100.0, missing_share: float = 0.08, oneway_share: float = 0.2,
                 centre: tuple[float, float] = (114.3055, 30.5928)) -> Network:
    """A generated grid city with about ``n_nodes`` nodes.

    Parameters
    ----------
    n_nodes
        Approximate number of nodes (a square grid).
    mode
        ``walk``/``ebike`` (every street both ways) or ``drive`` (``oneway_share`` of streets one
        way).
    block_m
        Street spacing, metres.
    centre
        (lon, lat) of the grid centre, EPSG:4326.
    """
    rng = np.random.default_rng(seed)
    side = max(2, math.isqrt(n_nodes))
    n = side * side
    crs = coords.local_crs(*centre)
    to_xy = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    cx, cy = to_xy.transform(*centre)
    gx, gy = np.meshgrid(np.arange(side), np.arange(side))
    x = cx + (gx.ravel() - side / 2) * block_m + rng.normal(0, block_m * 0.12, n)
    y = cy + (gy.ravel() - side / 2) * block_m + rng.normal(0, block_m * 0.12, n)
    idx = np.arange(n).reshape(side, side)
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    keep = rng.random(len(u)) >= missing_share
    u, v = u[keep], v[keep]
    length = np.hypot(x[u] - x[v], y[u] - y[v]) * rng.uniform(1.0, 1.15, len(u))
    if mode == "drive":
        speeds = rng.choice([30.0, 40.0, 50.0, 60.0], len(u), p=[0.5, 0.25, 0.15, 0.1])
        oneway = rng.random(len(u)) < oneway_share
        flip = rng.random(len(u)) < 0.5
        a = np.where(flip, v, u)
        b = np.where(flip, u, v)
        two = ~oneway
        src = np.concatenate([a, b[two]])
        dst = np.concatenate([b, a[two]])
        lens = np.concatenate([length, length[two]])
        kmh = np.concatenate([speeds, speeds[two]])
    else:
        speed = settings.walk_speed_kmh if mode == "walk" else settings.ebike_speed_kmh
        src, dst = np.concatenate([u, v]), np.concatenate([v, u])
        lens = np.concatenate([length, length])
        kmh = np.full(len(lens), speed)
    order = np.lexsort((dst, src))
    src, dst, lens, kmh = src[order], dst[order], lens[order], kmh[order]
    indptr = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(x, y)
    return Network(mode=mode, node_ids=np.arange(n, dtype=np.int64), lon=np.asarray(lon),
                   lat=np.asarray(lat), x=x, y=y, crs=crs, indptr=indptr,
                   indices=dst.astype(np.int32), length=lens, time=lens / (kmh / 3.6),
                   source=f"generated city ({n} nodes, seed {seed})")


def random_stations(network: Network, count: int, *, seed: int = 0) -> list[Station]:
    """``count`` stations of every kind near random nodes, with random services and hours."""
    rng = np.random.default_rng(seed)
    nodes = rng.choice(network.n_nodes, size=count, replace=count > network.n_nodes)
    kinds = list(KINDS)
    services = list(SERVICES)
    hours = ["24/7", "Mo-Fr 08:30-18:00", "Mo-Su 06:00-22:00", "Mo-Sa 09:00-17:00; PH off"]
    stations = []
    for i, node in enumerate(nodes.tolist()):
        offered = {s for s in services if rng.random() < 0.45} | {"rest"}
        stations.append(Station(
            id=f"gen-{i}", name=f"Generated station {i}", kind=kinds[i % 3],
            lon=float(network.lon[node]) + rng.normal(0, 0.0002),
            lat=float(network.lat[node]) + rng.normal(0, 0.0002),
            services=frozenset(offered), hours=hours[int(rng.integers(len(hours)))],
            capacity=int(rng.integers(4, 30))))
    return stations


def random_points(network: Network, count: int, *, seed: int = 1,
                  jitter_deg: float = 0.0005) -> tuple[np.ndarray, np.ndarray]:
    """``count`` (lon, lat) points scattered around random nodes, EPSG:4326."""
    rng = np.random.default_rng(seed)
    nodes = rng.integers(0, network.n_nodes, count)
    return (network.lon[nodes] + rng.normal(0, jitter_deg, count),
            network.lat[nodes] + rng.normal(0, jitter_deg, count))
