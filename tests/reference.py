"""Independent references: what yizhan's answers are checked against, in tests and benchmarks.

Each function computes an answer the way the field's peer libraries do, without yizhan's engine:
networkx Dijkstra over the whole graph (every station tried), osmnx snapping, spopt + CBC for the
covering models, pysal ``access`` for 2SFCA, and plain brute force over all combinations. The
benchmarks import the same functions, so a peer's figure and a test's reference are one code.

Only the network arrays (:class:`geo.network.Network`) and a finder's station placement
(``station_node``, ``station_leg_m``/``_s``: where each station joins the network) are read from
yizhan; all distances are the reference's own.
"""

from __future__ import annotations

import itertools
import time

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import linprog

from geo.coords import project
from geo.nearest import StationFinder, access_speed_kmh
from geo.network import Network

# --- graphs ---------------------------------------------------------------------------------------


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


# --- nearest stations -----------------------------------------------------------------------------


def networkx_nearest(finder: StationFinder, lon: float, lat: float, *, k: int, kinds=None,
                     services=(), open_at=None, open_only: bool = False) -> list[tuple[float, str]]:
    """The k nearest matching stations as ``(metres, id)``: networkx Dijkstra over the whole
    graph from where the point joins it, every station tried, filters applied before k."""
    net = finder.network
    graph = net.to_networkx("length")
    node, snap = net.snap(np.array([lon]), np.array([lat]))
    lengths = nx.single_source_dijkstra_path_length(graph, int(node[0]), weight="weight")
    found = []
    for i, s in enumerate(finder.stations):
        target = int(finder.station_node[i])
        if target < 0 or target not in lengths:
            continue
        if kinds and s.kind not in kinds or not set(services) <= s.services:
            continue
        if open_only and not s.is_open(open_at):
            continue
        found.append((lengths[target] + float(finder.station_leg_m[i]) + float(snap[0]), s.id))
    return sorted(found)[:k]


def osmnx_nearest(graph: nx.MultiDiGraph, finder: StationFinder, lon: float, lat: float, *,
                  k: int, services=(), open_at=None, open_only: bool = False,
                  ) -> list[tuple[float, str]]:
    """What an analyst writes with osmnx: snap with ``nearest_nodes``, Dijkstra to everything,
    filter, sort, and the route to each of the k with ``osmnx.routing.shortest_path``."""
    import osmnx as ox

    x, y = project(lon, lat, finder.network.crs)
    source, snap = ox.distance.nearest_nodes(graph, float(x), float(y), return_dist=True)
    lengths = nx.single_source_dijkstra_path_length(graph, source, weight="length")
    found = []
    for i, s in enumerate(finder.stations):
        node = int(finder.station_node[i])
        if node in lengths and set(services) <= s.services and (not open_only
                                                                 or s.is_open(open_at)):
            found.append((lengths[node] + float(finder.station_leg_m[i]) + snap, s.id, node))
    found.sort()
    for _, _, node in found[:k]:
        ox.routing.shortest_path(graph, source, node, weight="length")
    return [(d, sid) for d, sid, _ in found[:k]]


# --- coverage -------------------------------------------------------------------------------------


def networkx_travel(finder: StationFinder, lon, lat, kinds, *, weight: str = "time",
                    open_at=None) -> np.ndarray:
    """Per point: minutes (or metres) to the nearest usable station by networkx, every station
    tried; ``inf`` when the point is off the network or nothing is reachable."""
    net = finder.network
    graph = net.to_networkx(weight)
    nodes, legs = net.snap(np.asarray(lon), np.asarray(lat), main_component=True)
    speed = access_speed_kmh(net.mode) / 3.6
    out = []
    for node, leg in zip(nodes.tolist(), legs.tolist()):
        if leg > finder.max_snap_m:
            out.append(np.inf)
            continue
        cost = nx.single_source_dijkstra_path_length(graph, node, weight="weight")
        best = np.inf
        for i, s in enumerate(finder.stations):
            target = int(finder.station_node[i])
            if s.kind not in kinds or target < 0 or target not in cost:
                continue
            if open_at is not None and not s.is_open(open_at):
                continue
            station_leg = finder.station_leg_s[i] if weight == "time" else finder.station_leg_m[i]
            best = min(best, cost[target] + station_leg)
        out.append((best + leg / speed) / 60 if weight == "time" else best + leg)
    return np.array(out)


def osmnx_snap(graph: nx.MultiDiGraph, finder: StationFinder, lon, lat):
    """All points snapped in one ``osmnx.distance.nearest_nodes`` call (its fastest use)."""
    import osmnx as ox

    x, y = project(np.asarray(lon), np.asarray(lat), finder.network.crs)
    return ox.distance.nearest_nodes(graph, x, y, return_dist=True)


def networkx_covered(graph: nx.MultiDiGraph, finder: StationFinder, node: int, snap: float,
                     kinds, budget_min: float) -> bool:
    """One point the networkx way: a Dijkstra bounded by the budget; is any usable station in
    reach?"""
    speed = access_speed_kmh(finder.network.mode) / 3.6
    budget_s = budget_min * 60 - snap / speed
    if snap > finder.max_snap_m or budget_s < 0:
        return False
    times = nx.single_source_dijkstra_path_length(graph, node, cutoff=budget_s, weight="time")
    for i, s in enumerate(finder.stations):
        target = int(finder.station_node[i])
        if (s.kind in kinds and target in times
                and times[target] + finder.station_leg_s[i] <= budget_s):
            return True
    return False


def pysal_2sfca(cost: sp.csr_array, demand: np.ndarray, supply: np.ndarray, *, max_cost: float,
                steps: dict[float, float] | None = None) -> np.ndarray:
    """2SFCA (or, with ``steps``, E2SFCA with that step decay) per demand row by pysal
    ``access`` on the same sparse cost matrix (demand rows × stations)."""
    from access import Access, weights

    coo = cost.tocoo()
    cost_df = pd.DataFrame({"origin": coo.row, "dest": coo.col, "cost": coo.data})
    supply_df = pd.DataFrame({"sid": range(len(supply)), "capacity": supply})
    demand_df = pd.DataFrame({"did": range(len(demand)), "workers": demand})
    peer = Access(demand_df=demand_df, demand_index="did", demand_value="workers",
                  supply_df=supply_df, supply_index="sid", supply_value="capacity",
                  cost_df=cost_df, cost_origin="origin", cost_dest="dest", cost_name="cost")
    if steps is None:
        scores = peer.two_stage_fca(max_cost=max_cost)
    else:
        scores = peer.enhanced_two_stage_fca(max_cost=max_cost,
                                             weight_fn=weights.step_fn(steps))
    return scores.iloc[:, 0].reindex(range(len(demand))).fillna(0).to_numpy()


# --- covering models ------------------------------------------------------------------------------


def covered_weight(cover: np.ndarray, weights: np.ndarray, selected) -> float:
    """Demand weight that any of the ``selected`` columns covers."""
    selected = list(selected)
    return float(weights[cover[:, selected].any(axis=1)].sum()) if selected else 0.0


def brute_mclp(cover, weights, p, fixed=()) -> float:
    """Best covered weight with ``p`` open columns (``fixed`` among them), every choice tried."""
    fixed = list(fixed)
    others = [j for j in range(cover.shape[1]) if j not in fixed]
    return max(covered_weight(cover, weights, fixed + list(c))
               for c in itertools.combinations(others, p - len(fixed)))


def brute_budget(cover, weights, cost, budget, fixed=()) -> float:
    """Best covered weight for a total column cost within ``budget``, every choice tried."""
    fixed = list(fixed)
    others = [j for j in range(cover.shape[1]) if j not in fixed]
    best = 0.0
    for size in range(len(others) + 1):
        for c in itertools.combinations(others, size):
            if cost[list(c)].sum() <= budget:
                best = max(best, covered_weight(cover, weights, fixed + list(c)))
    return best


def brute_min(cover, weights, share, fixed=()) -> int:
    """Fewest open columns (``fixed`` counted) covering ``share`` of all weight."""
    fixed = list(fixed)
    others = [j for j in range(cover.shape[1]) if j not in fixed]
    target = share * weights.sum()
    for size in range(len(others) + 1):
        for c in itertools.combinations(others, size):
            if covered_weight(cover, weights, fixed + list(c)) >= target - 1e-9:
                return len(fixed) + size
    raise AssertionError("unreachable target")


def served_weight(cover, weights, capacity, selected) -> float:
    """Most weight the selected columns can serve within their capacities: a transportation
    LP."""
    pairs = [(i, j) for j in selected for i in np.flatnonzero(cover[:, j])]
    if not pairs:
        return 0.0
    rows = [[1.0 if pi == i else 0.0 for pi, _ in pairs] for i in range(cover.shape[0])]
    rows += [[1.0 if pj == j else 0.0 for _, pj in pairs] for j in selected]
    limits = list(weights) + [min(capacity[j], weights.sum()) for j in selected]
    return -linprog(-np.ones(len(pairs)), A_ub=rows, b_ub=limits).fun


def brute_capacitated(cover, weights, capacity, p, fixed=()) -> float:
    """Best served weight with ``p`` open capacitated columns, every choice tried."""
    fixed = list(fixed)
    others = [j for j in range(cover.shape[1]) if j not in fixed]
    return max(served_weight(cover, weights, capacity, fixed + list(c))
               for c in itertools.combinations(others, p - len(fixed)))


def _predefined(n: int, fixed) -> np.ndarray | None:
    if not len(fixed):
        return None
    predefined = np.zeros(n, dtype=int)
    predefined[list(fixed)] = 1
    return predefined


def spopt_mclp(cover, weights, p, fixed=()) -> float:
    """spopt's MCLP (PuLP + CBC) on the same coverage: the covered weight."""
    return spopt_mclp_timed(cover, weights, p, fixed)[0]


def spopt_mclp_timed(cover, weights, p, fixed=()) -> tuple[float, float, float]:
    """spopt's MCLP as an analyst writes it: ``(objective, build seconds, CBC seconds)``."""
    import pulp
    from spopt.locate import MCLP

    dense = cover.toarray() if sp.issparse(cover) else np.asarray(cover)
    cost = np.where(dense, 0.0, 1.0)  # covered iff cost <= the service radius 0.5
    started = time.perf_counter()
    model = MCLP.from_cost_matrix(cost, weights, 0.5, p_facilities=p,
                                  predefined_facilities_arr=_predefined(dense.shape[1], fixed))
    built = time.perf_counter()
    model.solve(pulp.PULP_CBC_CMD(msg=False))
    solved = time.perf_counter()
    return float(pulp.value(model.problem.objective)), built - started, solved - built


def spopt_lscp(cover, fixed=()) -> int:
    """spopt's LSCP (PuLP + CBC): the fewest columns covering every row."""
    import pulp
    from spopt.locate import LSCP

    dense = cover.toarray() if sp.issparse(cover) else np.asarray(cover)
    cost = np.where(dense, 0.0, 1.0)
    model = LSCP.from_cost_matrix(cost, 0.5,
                                  predefined_facilities_arr=_predefined(dense.shape[1], fixed))
    model.solve(pulp.PULP_CBC_CMD(msg=False))
    return round(pulp.value(model.problem.objective))
