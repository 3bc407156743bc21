"""The peers' own data structures, built from ours so that both answer on the same graph."""

from __future__ import annotations

import networkx as nx
import numpy as np

from geo.network import Network


def osmnx_graph(net: Network, weight: str = "length") -> nx.MultiDiGraph:
    """The network as an osmnx graph (projected; ``weight`` as edge attribute ``length`` or
    ``time``), restricted like ours to the largest strongly connected component, which is what
    osmnx keeps by default too."""
    keep = net.main_component()
    graph = nx.MultiDiGraph(crs=net.crs)
    graph.add_nodes_from((int(i), {"x": float(net.x[i]), "y": float(net.y[i])}) for i in keep)
    rows = np.repeat(np.arange(net.n_nodes), np.diff(net.indptr))
    inside = np.zeros(net.n_nodes, bool)
    inside[keep] = True
    mask = inside[rows] & inside[net.indices]
    values = getattr(net, weight)
    graph.add_edges_from((int(u), int(v), {weight: float(d)}) for u, v, d in
                         zip(rows[mask], net.indices[mask], values[mask]))
    return graph
