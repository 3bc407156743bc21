"""Small timing and memory helpers shared by the benchmarks."""

from __future__ import annotations

import resource
import time
from contextlib import contextmanager

import numpy as np


@contextmanager
def timer(into: dict, key: str):
    started = time.perf_counter()
    yield
    into[key] = time.perf_counter() - started


def latencies(function, args_list) -> np.ndarray:
    """Seconds per call of ``function(*args)`` for each args."""
    out = np.empty(len(args_list))
    for j, args in enumerate(args_list):
        started = time.perf_counter()
        function(*args)
        out[j] = time.perf_counter() - started
    return out


def summary_ms(seconds: np.ndarray) -> str:
    return (f"median {np.median(seconds) * 1e3:.3f} ms,"
            f" p99 {np.percentile(seconds, 99) * 1e3:.3f} ms,"
            f" {len(seconds) / seconds.sum():,.0f}/s")


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
