"""Networks read from OpenStreetMap extracts, kept in the cache as saved network files, so that
a server whose regions are given as extracts reads each extract once, not at every start.

The cache file of an extract and mode is named after the extract's full path, size and
modification time (a changed extract is read afresh) and is a saved network file
(:meth:`geo.network.Network.save`): loaded memory-mapped, so the worker processes of a server
share one copy of it. Where the cache cannot be written, the extract is read each time, as
without it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

from geo.errors import NetworkError
from geo.network.build import load_network
from geo.network.graph import Mode, Network

#: The environment variable naming the cache's folder (default: ``$XDG_CACHE_HOME/yizhan``).
CACHE_ENV_VAR = "YIZHAN_CACHE_DIR"
#: Bumped when a network read from the same extract would come out differently.
CACHE_VERSION = 1


def cache_root() -> Path:
    """``$YIZHAN_CACHE_DIR``, else ``$XDG_CACHE_HOME/yizhan`` (``~/.cache/yizhan``)."""
    root = os.environ.get(CACHE_ENV_VAR)
    if not root:
        xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        root = str(Path(xdg) / "yizhan")
    return Path(root)


def cache_file(extract: str | os.PathLike[str], mode: Mode) -> Path:
    """Where the network of ``mode`` read from ``extract`` is kept."""
    resolved = Path(extract).resolve()
    stat = resolved.stat()
    key = f"{resolved}|{stat.st_size}|{stat.st_mtime_ns}|{mode}|{CACHE_VERSION}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    stem = resolved.name.removesuffix(".pbf").removesuffix(".osm").removesuffix(".xml")
    return cache_root() / "networks" / f"{stem}-{mode}-{digest}.npz"


def cached_network(path: str | os.PathLike[str], *, mode: Mode) -> Network:
    """:func:`geo.network.load_network` of ``path`` for ``mode``; an OpenStreetMap extract
    (``.osm.pbf``, ``.osm``) is read once and then loaded from its cache file
    (:func:`cache_file`). A saved network file is loaded as it is."""
    if Path(path).name.lower().endswith(".npz"):
        return load_network(path, mode=mode)
    net = None
    with contextlib.suppress(OSError):
        kept = cache_file(path, mode)
        if kept.is_file():
            try:
                return load_network(kept, mode=mode)
            except NetworkError:  # damaged: read the extract again
                kept.unlink(missing_ok=True)
        net = load_network(path, mode=mode)
        kept.parent.mkdir(parents=True, exist_ok=True)
        net.save(kept)
        return load_network(kept, mode=mode)  # mapped: shared by the processes that load it
    return net if net is not None else load_network(path, mode=mode)
