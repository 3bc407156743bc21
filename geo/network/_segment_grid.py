"""The compiled kernels of :mod:`geo.network.placement`: the grid of segments and the search of
each point's nearest segment over it (numba; loaded with the first grid)."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _to_segment(px, py, ax, ay, bx, by):  # pragma: no cover - compiled
    """Distance from a point to a segment, computed as GEOS's ``Distance::pointToSegment``."""
    if ax == bx and ay == by:
        return np.sqrt((px - ax) * (px - ax) + (py - ay) * (py - ay))
    len2 = (bx - ax) * (bx - ax) + (by - ay) * (by - ay)
    r = ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / len2
    if r <= 0.0:
        return np.sqrt((px - ax) * (px - ax) + (py - ay) * (py - ay))
    if r >= 1.0:
        return np.sqrt((px - bx) * (px - bx) + (py - by) * (py - by))
    s = ((ay - py) * (bx - ax) - (ax - px) * (by - ay)) / len2
    return abs(s) * np.sqrt(len2)


@njit(cache=True, nogil=True)
def _cell_range(lo, hi, origin, cell, count):  # pragma: no cover - compiled
    """The cells ``first..last`` (clamped to the grid) that ``lo..hi`` overlaps."""
    first = min(max((lo - origin) / cell, 0.0), count - 1.0)
    last = min(max((hi - origin) / cell, 0.0), count - 1.0)
    return int(first), int(last)


@njit(cache=True, nogil=True)
def fill_grid(ax, ay, bx, by, x0, y0, cell, nx, ny):  # pragma: no cover - compiled
    """The grid's CSR lists: a segment is listed in each cell of its bounding box whose centre
    lies within half a cell's diagonal of it (every cell it passes through, and a few more)."""
    reach = 0.5 * np.sqrt(2.0) * cell * (1.0 + 1e-9) + 1e-6
    counts = np.zeros(nx * ny + 1, np.int64)
    for phase in range(2):
        if phase == 1:
            for c in range(nx * ny):
                counts[c + 1] += counts[c]
            items = np.empty(counts[nx * ny], np.int64)
            fill = counts[:-1].copy()
        for s in range(len(ax)):
            i0, i1 = _cell_range(min(ax[s], bx[s]), max(ax[s], bx[s]), x0, cell, nx)
            j0, j1 = _cell_range(min(ay[s], by[s]), max(ay[s], by[s]), y0, cell, ny)
            for j in range(j0, j1 + 1):
                for i in range(i0, i1 + 1):
                    if (i1 > i0 or j1 > j0) and _to_segment(
                            x0 + (i + 0.5) * cell, y0 + (j + 0.5) * cell,
                            ax[s], ay[s], bx[s], by[s]) > reach:
                        continue
                    if phase == 0:
                        counts[j * nx + i + 1] += 1
                    else:
                        items[fill[j * nx + i]] = s
                        fill[j * nx + i] += 1
    return counts, items


@njit(cache=True, nogil=True)
def grid_nearest(ax, ay, bx, by, x0, y0, cell, nx, ny, start, items, x,
                  y):  # pragma: no cover - compiled
    """Each point's nearest segment; of several at exactly the same distance, the lowest.

    Rings of cells around the point's cell (clamped to the grid) are searched until every
    unvisited cell lies farther than the best distance: a segment not yet seen has all of its
    points in unvisited cells."""
    n = len(x)
    seg = np.zeros(n, np.int64)
    for p in range(n):
        px, py = x[p], y[p]
        ci, _ = _cell_range(px, px, x0, cell, nx)
        cj, _ = _cell_range(py, py, y0, cell, ny)
        best, best_s = np.inf, -1
        r = 0
        while True:
            for j in range(max(cj - r, 0), min(cj + r, ny - 1) + 1):
                edge_row = j == cj - r or j == cj + r
                step = 1 if edge_row else 2 * r
                i = ci - r
                while i <= ci + r:
                    if 0 <= i < nx:
                        c = j * nx + i
                        for q in range(start[c], start[c + 1]):
                            s = items[q]
                            d = _to_segment(px, py, ax[s], ay[s], bx[s], by[s])
                            if d < best or (d == best and s < best_s):
                                best, best_s = d, s
                    i += step
            bound = np.inf  # to the nearest unvisited cell
            if ci - r > 0:
                bound = min(bound, max(px - (x0 + (ci - r) * cell), 0.0))
            if ci + r < nx - 1:
                bound = min(bound, max(x0 + (ci + r + 1) * cell - px, 0.0))
            if cj - r > 0:
                bound = min(bound, max(py - (y0 + (cj - r) * cell), 0.0))
            if cj + r < ny - 1:
                bound = min(bound, max(y0 + (cj + r + 1) * cell - py, 0.0))
            if bound == np.inf or bound > best + 1e-9 * (1.0 + bound):
                break
            r += 1
        seg[p] = best_s
    return seg
