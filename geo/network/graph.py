"""The road network of one travel mode as compact arrays, saved and loaded in milliseconds.

A :class:`Network` is the road graph of one travel mode (``walk``, ``ebike`` or ``drive``): the
OSM nodes with their coordinates and a directed CSR adjacency whose entries carry a length in metres
and a travel time in seconds. It is built once (:mod:`geo.network.build`) and then reused by every
analysis (nearest stations, coverage, siting) through :meth:`Network.graph`. Points join the
network by *snapping*: at the foot on the nearest edge of the largest strongly connected component
(:meth:`Network.main_component`), see :mod:`geo.network.placement`. :meth:`Network.nearest_node`
is the plain nearest-node lookup (a quick proxy for reach, not how distances are measured).
"""

from __future__ import annotations

import io
import mmap
import os
import struct
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import scipy.sparse
from scipy.spatial import cKDTree

from geo.coords import project
from geo.errors import InputError, NetworkError

if TYPE_CHECKING:
    import networkx as nx

#: The travel modes a network can be built for.
MODES: tuple[Mode, ...] = ("walk", "ebike", "drive")
Mode = Literal["walk", "ebike", "drive"]
Weight = Literal["length", "time"]
WEIGHTS: tuple[str, ...] = ("length", "time")

#: Version of the saved network file layout; a file of another version must be built again.
_FORMAT_VERSION = 1
_SAVED_ARRAYS = ("node_ids", "lon", "lat", "x", "y", "indptr", "indices", "length", "time")
_SAVED_STRINGS = ("mode", "crs", "source")


def _check_mode(mode: object) -> Mode:
    if mode not in MODES:
        raise InputError(f"`mode` was {mode!r} but must be one of {list(MODES)}", parameter="mode")
    return mode


def _check_weight(weight: object) -> Weight:
    """``weight`` when it is ``"length"`` or ``"time"``; the one check of a weight name."""
    if weight not in WEIGHTS:
        raise InputError(
            f"`weight` was {weight!r} but must be one of {list(WEIGHTS)}", parameter="weight"
        )
    return "length" if weight == "length" else "time"



def _frozen_array(values: Any, dtype: Any) -> np.ndarray:
    """``values`` as a contiguous array of ``dtype``, through a read-only view (the caller's
    array stays writable)."""
    array = np.ascontiguousarray(values, dtype=dtype).view()
    array.flags.writeable = False
    return array


@dataclass(frozen=True, eq=False)
class Network:
    """The road network of one travel mode as arrays.

    Nodes are numbered ``0 .. n_nodes - 1`` (the index into every node array); directed edges are
    the entries of a CSR adjacency: the edges leaving node ``u`` go to
    ``indices[indptr[u]:indptr[u + 1]]``. Parallel edges are already collapsed (see the module
    docstring), so there is at most one entry per ``(u, v)``.

    Attributes
    ----------
    mode
        ``"walk"``, ``"ebike"`` or ``"drive"``.
    node_ids
        OSM node ids, int64, shape ``(n,)``.
    lon, lat
        Node coordinates, EPSG:4326 degrees.
    x, y
        Node coordinates in metres in ``crs``.
    crs
        The local projected CRS of ``x``/``y``: the UTM zone of the median node, ``"EPSG:326xx"``.
    indptr, indices
        CSR adjacency, row ``u`` -> column ``v`` (int32, or int64 for huge graphs).
    length
        Metres per CSR entry.
    time
        Seconds per CSR entry at the mode's speed.
    source
        Where the network came from (file name or place), for messages.
    """

    mode: str
    node_ids: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    x: np.ndarray
    y: np.ndarray
    crs: str
    indptr: np.ndarray
    indices: np.ndarray
    length: np.ndarray
    time: np.ndarray
    source: str
    _cache: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_mode(self.mode)
        index_dtype: np.dtype = np.asarray(self.indices).dtype
        if index_dtype not in (np.int32, np.int64):
            index_dtype = np.dtype(np.int64)
        arrays = {
            "node_ids": np.int64,
            "lon": np.float64,
            "lat": np.float64,
            "x": np.float64,
            "y": np.float64,
            "indptr": index_dtype,
            "indices": index_dtype,
            "length": np.float64,
            "time": np.float64,
        }
        for name, dtype in arrays.items():
            object.__setattr__(self, name, _frozen_array(getattr(self, name), dtype))
        problems = self._problems()
        if problems:
            raise InputError(
                "inconsistent network arrays: " + "; ".join(problems), parameter="network"
            )

    def _problems(self) -> list[str]:
        n, m = len(self.node_ids), len(self.indices)
        problems = [
            f"`{name}` has shape {getattr(self, name).shape}, expected ({size},)"
            for name, size in [
                ("node_ids", n),
                ("lon", n),
                ("lat", n),
                ("x", n),
                ("y", n),
                ("indptr", n + 1),
                ("indices", m),
                ("length", m),
                ("time", m),
            ]
            if getattr(self, name).shape != (size,)
        ]
        if problems:
            return problems
        if self.indptr[0] != 0 or self.indptr[-1] != m or np.any(np.diff(self.indptr) < 0):
            problems.append("`indptr` must rise from 0 to the number of edges")
        if m and (self.indices.min() < 0 or self.indices.max() >= n):
            problems.append(f"`indices` must lie in 0..{n - 1}")
        if m and not (np.all(self.length > 0) and np.all(self.time > 0)):
            problems.append("`length` and `time` must be positive")
        return problems

    def __repr__(self) -> str:
        return (
            f"Network(mode={self.mode!r}, n_nodes={self.n_nodes}, n_edges={self.n_edges}, "
            f"crs={self.crs!r}, source={self.source!r})"
        )

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_ids)

    @property
    def n_edges(self) -> int:
        """Number of directed edges (CSR entries, parallel edges collapsed)."""
        return len(self.indices)

    def _cached(self, key: str, make: Any) -> Any:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def graph(self, weight: Weight = "length") -> scipy.sparse.csr_array:
        """The adjacency as an ``(n, n)`` sparse array for ``scipy.sparse.csgraph``.

        Parameters
        ----------
        weight
            ``"length"`` (metres) or ``"time"`` (seconds). Built once, then cached; do not
            modify the result.
        """
        weight = _check_weight(weight)
        return self._cached(
            f"graph:{weight}",
            lambda: scipy.sparse.csr_array(
                (getattr(self, weight), self.indices, self.indptr),
                shape=(self.n_nodes, self.n_nodes),
            ),
        )

    def reverse_graph(self, weight: Weight = "length") -> scipy.sparse.csr_array:
        """The transposed adjacency (``v -> u`` for every ``u -> v``), for searches *to* a node.

        Parameters
        ----------
        weight
            ``"length"`` (metres) or ``"time"`` (seconds). Built once, then cached.
        """
        weight = _check_weight(weight)
        return self._cached(f"reverse:{weight}", lambda: self.graph(weight).T.tocsr())

    def main_component(self) -> np.ndarray:
        """Indices of the nodes of the largest strongly connected component (cached).

        OSM extracts hold small islands (a footway inside a courtyard, a road cut by the edge of
        the extract) from which nothing else can be reached; queries snap to this component only.
        """

        def largest() -> np.ndarray:
            from scipy.sparse.csgraph import connected_components

            if self.n_nodes == 0:
                return np.zeros(0, dtype=np.int64)
            _, labels = connected_components(self.graph(), directed=True, connection="strong")
            return np.flatnonzero(labels == np.bincount(labels).argmax()).astype(np.int64)

        return self._cached("main_component", largest)

    def nearest_node(self, lon: Any, lat: Any, *, main_component: bool = False
                     ) -> tuple[np.ndarray, np.ndarray]:
        """The nearest node of each point and the straight-line distance to it.

        This is not snapping: a point joins the network at the foot on its nearest edge
        (:func:`geo.network.placement.place`, :meth:`geo.nearest.StationFinder.snap`), which on
        a long segment can be hundreds of metres from the nearest node. The nearest node is a
        quick proxy for where a point is (grouping points, a reference search from a node).

        Parameters
        ----------
        lon, lat
            Points in EPSG:4326 degrees: scalars or arrays of one shape (broadcast together).
        main_component
            Look only at nodes of :meth:`main_component`, so that every node found can reach
            and be reached from every other.

        Returns
        -------
        index, distance
            Node index (int64) and distance in metres (float64), in the shape of the input
            (0-d arrays for scalars). No maximum distance is applied here: callers compare
            ``distance`` with ``settings.max_snap_m``.
        """
        lon, lat = np.broadcast_arrays(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
        bad = ~(np.isfinite(lon) & np.isfinite(lat))
        if bad.any():
            first = np.argwhere(bad)[0]
            raise InputError(
                f"`lon`/`lat` must be finite degrees, but point {tuple(int(i) for i in first)} "
                f"is ({lon[tuple(first)]}, {lat[tuple(first)]})",
                parameter="lon",
            )
        if self.n_nodes == 0:
            raise NetworkError(
                f"the {self.mode} network from {self.source} has no nodes"
            )
        x, y = project(lon.ravel(), lat.ravel(), self.crs)
        far = ~(np.isfinite(x) & np.isfinite(y))  # beyond what the region's CRS can hold
        x, y = np.where(far, self.x[0], x), np.where(far, self.y[0], y)
        if main_component:
            nodes = self.main_component()
            tree = self._cached("kdtree:main", lambda: cKDTree(
                np.column_stack([self.x[nodes], self.y[nodes]])))
            distance, index = tree.query(np.column_stack([x, y]))
            index = nodes[index]
        else:
            tree = self._cached("kdtree", lambda: cKDTree(np.column_stack([self.x, self.y])))
            distance, index = tree.query(np.column_stack([x, y]))
        distance = np.where(far, np.inf, distance)
        return (
            np.asarray(index, dtype=np.int64).reshape(lon.shape),
            np.asarray(distance, dtype=np.float64).reshape(lon.shape),
        )

    def snap(self, lon: Any, lat: Any, *, main_component: bool = False
             ) -> tuple[np.ndarray, np.ndarray]:
        """Deprecated name of :meth:`nearest_node`.

        "Snap" means joining a point at the foot on its nearest edge
        (:meth:`geo.nearest.StationFinder.snap`); the nearest node is :meth:`nearest_node`.
        """
        warnings.warn("`Network.snap` is deprecated: it finds the nearest node, so it is now "
                      "`Network.nearest_node` (same arguments); to join a point to the road at the "
                      "foot on its nearest edge use `StationFinder.snap` or "
                      "`geo.network.placement.place`", DeprecationWarning, stacklevel=2)
        return self.nearest_node(lon, lat, main_component=main_component)

    def to_networkx(self, weight: Weight = "length") -> nx.DiGraph:
        """The network as a ``networkx.DiGraph`` (slow; for reference tests and small graphs).

        Nodes are the indices ``0 .. n - 1`` with attributes ``osmid``, ``lon``, ``lat``; edges
        carry ``length`` (m), ``time`` (s) and ``weight`` (a copy of the one chosen).
        """
        import networkx as nx

        weight = _check_weight(weight)
        G = nx.DiGraph(crs="EPSG:4326", mode=self.mode, source=self.source)
        G.add_nodes_from(
            (i, {"osmid": int(osmid), "lon": float(lon), "lat": float(lat)})
            for i, (osmid, lon, lat) in enumerate(zip(self.node_ids, self.lon, self.lat,
                                                      strict=True))
        )
        rows = np.repeat(np.arange(self.n_nodes), np.diff(self.indptr))
        chosen = getattr(self, weight)
        G.add_edges_from(
            (int(u), int(v), {"length": float(ln), "time": float(t), "weight": float(w)})
            for u, v, ln, t, w in zip(rows, self.indices, self.length, self.time, chosen,
                                      strict=True)
        )
        return G

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the network to one saved network file (``.npz``, uncompressed so it loads fast).

        Each array is stored uncompressed and starts on a 64-byte boundary of the file, so
        :func:`geo.network.load_network` maps it from the file instead of reading it: processes
        that load the same file (the forked workers of ``yizhan serve``, several instances on
        one machine) share one copy in the page cache. numpy's ``np.load`` reads the file too.

        Parameters
        ----------
        path
            File name ending in ``.npz``. Written through a temporary file, so a reader never
            sees half a file (and a process that maps the old file keeps reading the old one).

        Returns
        -------
        The path written.
        """
        path = Path(path)
        if path.suffix != ".npz":
            raise InputError(
                f"`path` was {str(path)!r} but a saved network file must end in '.npz'",
                parameter="path",
            )
        arrays = {name: getattr(self, name) for name in _SAVED_ARRAYS}
        strings = {name: np.array(getattr(self, name)) for name in _SAVED_STRINGS}
        tmp = path.with_name(path.name + ".part")
        try:
            with open(tmp, "wb") as fh:
                _write_aligned_npz(fh, {"format_version": np.array(_FORMAT_VERSION), **strings,
                                        **arrays})
            os.replace(tmp, path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise NetworkError(f"could not write the saved network file {path}: {exc}") from exc
        return path


#: Byte boundary each saved array starts on (numpy's own .npy header padding).
_ALIGN = 64
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")  # a zip member's local file header, 30 bytes


def _write_aligned_npz(fh: Any, arrays: dict[str, np.ndarray]) -> None:
    """An uncompressed ``.npz`` whose array data start at multiples of :data:`_ALIGN`: the
    padding goes in each member's zip "extra" field, which readers skip."""
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, array in arrays.items():
            array = np.asarray(array, order="C")  # (ascontiguousarray makes 0-d 1-d)
            header = io.BytesIO()
            np.lib.format.write_array_header_1_0(
                header, np.lib.format.header_data_from_array_1_0(array))
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            info.file_size = len(header.getvalue()) + array.nbytes
            zip64 = 20 if info.file_size * 1.05 > zipfile.ZIP64_LIMIT else 0  # as zipfile adds
            start = fh.tell() + _LOCAL_HEADER.size + len(info.filename.encode()) + zip64
            pad = -(start + 4 + len(header.getvalue())) % _ALIGN  # 4: the extra block's head
            info.extra = struct.pack("<HH", 0xCAFE, pad) + bytes(pad)  # an unknown id: skipped
            with zf.open(info, "w") as member:
                member.write(header.getvalue())
                member.write(array.reshape(-1).view(np.uint8).data)


def _mapped_members(path: Path, names: tuple[str, ...]) -> dict[str, np.ndarray] | None:
    """The members ``names`` of the ``.npz`` at ``path`` as read-only arrays over one
    memory map of the file, or None when any of them cannot be mapped (compressed, unaligned,
    not a plain array): then the file is read as a whole instead."""
    with open(path, "rb") as file:
        with zipfile.ZipFile(file) as zf:
            infos = {name: zf.NameToInfo.get(name + ".npy") for name in names}
        if any(info is None or info.compress_type != zipfile.ZIP_STORED
               for info in infos.values()):
            return None
        try:
            mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):  # an empty file, a file system without mmap
            return None
    out = {}
    for name, info in infos.items():
        assert info is not None
        fields = _LOCAL_HEADER.unpack_from(mapped, info.header_offset)
        start = info.header_offset + _LOCAL_HEADER.size + fields[-2] + fields[-1]
        npy = io.BytesIO(mapped[start:start + min(info.file_size, 65536 + 10)])
        read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                       (2, 0): np.lib.format.read_array_header_2_0}.get(
            np.lib.format.read_magic(npy))
        if fields[0] != b"PK\x03\x04" or read_header is None:
            return None
        shape, fortran, dtype = read_header(npy)
        offset = start + npy.tell()
        count = int(np.prod(shape))
        if (dtype.hasobject or fortran or offset % dtype.alignment
                or offset + count * dtype.itemsize > start + info.file_size):
            return None
        out[name] = np.frombuffer(mapped, dtype=dtype, count=count, offset=offset).reshape(shape)
    return out


def mmap_enabled() -> bool:
    """Whether saved networks are mapped from their files (``$YIZHAN_NETWORK_MMAP``, default
    on; ``0`` reads them into each process's own memory, as before)."""
    return os.environ.get("YIZHAN_NETWORK_MMAP", "1").strip().lower() not in ("0", "false",
                                                                                "no", "off")


def _load_saved(path: Path, mode: str | None) -> Network:
    guess = next((m for m in ("walk", "ebike", "drive") if m in path.stem), "MODE")
    fix = (f"build it again: yizhan network build --osm EXTRACT.osm.pbf --mode {guess} -o {path}"
           " (for the demo data: yizhan demo --rebuild)")
    names = ("format_version", *_SAVED_STRINGS, *_SAVED_ARRAYS)
    try:
        data: dict[str, Any] | None = _mapped_members(path, names) if mmap_enabled() else None
        if data is None:  # compressed (older files), or mapping is off: read it all
            with open(path, "rb") as file, np.load(file, allow_pickle=False) as npz:  # closed
                data = {name: npz[name] for name in names if name in npz.files}  # on failure
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, AttributeError,
            struct.error) as exc:
        # AttributeError: a bare .npy array renamed .npz is no context manager
        raise NetworkError(f"could not read the saved network file {path}: {exc}; {fix}") from exc
    missing = [name for name in names if name not in data]
    if missing:
        raise NetworkError(f"{path} is not a saved network file (it lacks {missing}); {fix}")
    if int(data.pop("format_version")) != _FORMAT_VERSION:
        raise NetworkError(f"{path} was saved by another version of yizhan; {fix}")
    strings: dict[str, Any] = {name: str(data.pop(name)) for name in _SAVED_STRINGS}
    if mode is not None and strings["mode"] != mode:
        raise NetworkError(
            f"{path} holds a {strings['mode']} network, not {mode}; "
            f"load the file of the {mode} network"
        )
    try:
        return Network(**strings, **data)
    except InputError as exc:
        raise NetworkError(f"the saved network file {path} is damaged: {exc}; {fix}") from exc


