"""``python -m benchmarks NAME [options]``: run one benchmark."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = {"nearest": "benchmarks.nearest", "coverage": "benchmarks.coverage",
              "web": "benchmarks.web", "siting": "benchmarks.siting",
              "stations": "benchmarks.stations", "batch": "benchmarks.batch",
              "edits": "benchmarks.edits",
              "soak": "benchmarks.soak", "memory": "benchmarks.memory",
              "scale": "benchmarks.scale"}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in BENCHMARKS:
        print(f"usage: python -m benchmarks {{{','.join(BENCHMARKS)}}} [options]", file=sys.stderr)
        return 2
    return importlib.import_module(BENCHMARKS[argv[0]]).main(argv[1:]) or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
