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
                         zip(rows[mask], net.indices[mask], values[mask], strict=True))
    return graph


# --- joining points to the road, the reference way -------------------------------------------


def main_nodes(net: Network) -> set[int]:
    """The largest strongly connected component, by networkx."""
    graph = net.to_networkx("length")
    return set(max(nx.strongly_connected_components(graph), key=len))


def reference_place(net: Network, lon, lat) -> list[tuple[int, int, float, float]]:
    """Per point, ``(a, b, t, distance_m)``: the nearest segment ``a–b`` (``a < b``) of the main
    component by brute force over every segment, the fraction ``t`` of the foot from ``a`` and
    the straight distance to it."""
    keep = main_nodes(net)
    rows = np.repeat(np.arange(net.n_nodes), np.diff(net.indptr))
    pairs = {(min(int(u), int(v)), max(int(u), int(v)))
             for u, v in zip(rows, net.indices, strict=True)
             if int(u) in keep and int(v) in keep and u != v}
    pairs = np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)
    ax, ay = net.x[pairs[:, 0]], net.y[pairs[:, 0]]
    dx, dy = net.x[pairs[:, 1]] - ax, net.y[pairs[:, 1]] - ay
    span = np.where(dx * dx + dy * dy > 0, dx * dx + dy * dy, 1.0)
    x, y = project(np.atleast_1d(np.asarray(lon, float)), np.atleast_1d(np.asarray(lat, float)),
                   net.crs)
    out = []
    for px, py in zip(np.atleast_1d(x), np.atleast_1d(y), strict=True):
        t = np.clip(((px - ax) * dx + (py - ay) * dy) / span, 0.0, 1.0)
        d = np.hypot(px - (ax + t * dx), py - (ay + t * dy))
        j = int(np.argmin(d))
        tj, length = float(t[j]), float(np.sqrt(span[j]))
        if tj * length < 1e-3:  # the same rule as yizhan: within 1 mm of a node is at the node
            tj = 0.0
        elif (1 - tj) * length < 1e-3:
            tj = 1.0
        out.append((int(pairs[j, 0]), int(pairs[j, 1]), tj, float(d[j])))
    return out


def split_graph(net: Network, weight: str, inserted: dict) -> nx.DiGraph:
    """The network's main component as a networkx DiGraph with each inserted point made a node
    that splits its edge: ``inserted`` maps a node name to ``(a, b, t)``. Each existing direction
    of the edge becomes a chain through the points, its weight shared out by the fractions; a
    point at an end (``t`` 0 or 1) is tied to that node both ways at no cost."""
    keep = main_nodes(net)
    graph = net.to_networkx(weight).subgraph(keep).copy()
    on_segment: dict[tuple[int, int], list[tuple[float, object]]] = {}
    for name, (a, b, t) in inserted.items():
        if t in (0.0, 1.0):  # a foot on an end node is that node
            node = a if t == 0.0 else b
            graph.add_edge(name, node, weight=0.0)
            graph.add_edge(node, name, weight=0.0)
        else:
            on_segment.setdefault((a, b), []).append((t, name))
    for (a, b), points in on_segment.items():
        points.sort(key=lambda item: item[0])
        chain = [a, *[name for _, name in points], b]
        where = [0.0, *[t for t, _ in points], 1.0]
        for u, v in ((a, b), (b, a)):
            if not graph.has_edge(u, v):
                continue
            w = graph[u][v]["weight"]
            graph.remove_edge(u, v)
            order = list(zip(chain, where, strict=True))
            if u != a:
                order.reverse()
            for (n1, f1), (n2, f2) in itertools.pairwise(order):
                graph.add_edge(n1, n2, weight=w * abs(f2 - f1))
    return graph


def _legs(finder: StationFinder, places) -> tuple[np.ndarray, np.ndarray]:
    speed = access_speed_kmh(finder.network.mode) / 3.6
    metres = np.array([p[3] for p in places])
    return metres, metres / speed


def networkx_nearest(finder: StationFinder, lon: float, lat: float, *, k: int, kinds=None,
                     services=(), open_at=None, open_only: bool = False) -> list[tuple[float, str]]:
    """The k nearest matching stations as ``(metres, id)``: the point and every station inserted
    on their nearest edges, networkx Dijkstra over the whole graph, every station tried, filters
    applied before k."""
    net = finder.network
    point = reference_place(net, [lon], [lat])[0]
    places = reference_place(net, [s.lon for s in finder.stations],
                             [s.lat for s in finder.stations]) if finder.stations else []
    legs, _ = _legs(finder, places)
    inserted = {("station", i): p[:3] for i, p in enumerate(places) if legs[i] <= finder.max_snap_m}
    inserted["point"] = point[:3]
    lengths = nx.single_source_dijkstra_path_length(split_graph(net, "length", inserted), "point",
                                                    weight="weight")
    found = []
    for i, s in enumerate(finder.stations):
        if ("station", i) not in inserted or ("station", i) not in lengths:
            continue
        if (kinds and s.kind not in kinds) or not set(services) <= s.services:
            continue
        if open_only and not s.is_open(open_at):
            continue
        found.append((lengths[("station", i)] + legs[i] + point[3], s.id))
    return sorted(found)[:k]


def networkx_nearest_each(finder: StationFinder, lon, lat, *, k: int, kinds=None, services=(),
                          open_at=None, open_only: bool = False) -> list[list[tuple[float, str]]]:
    """:func:`networkx_nearest` for each point, from one graph with every point and station
    inserted on its edge (:func:`networkx_costs` in metres): inserting the other points splits
    edges without changing any distance, and saves a graph per point."""
    out = []
    for costs in networkx_costs(finder, lon, lat, weight="length"):
        found = []
        for i, metres in costs.items():
            s = finder.stations[i]
            if (kinds and s.kind not in kinds) or not set(services) <= s.services:
                continue
            if open_only and not s.is_open(open_at):
                continue
            found.append((metres, s.id))
        out.append(sorted(found)[:k])
    return out


def networkx_k_nearest(finder: StationFinder, lon, lat, *, k: int
                       ) -> list[list[tuple[float, str]]]:
    """Per point, its k nearest stations as ``(metres, id)`` by networkx, the points and every
    station inserted on their edges (one graph for all points); ``[]`` for a point off the
    network."""
    costs = networkx_costs(finder, lon, lat, weight="length")
    return [sorted((d, finder.stations[i].id) for i, d in row.items())[:k] for row in costs]


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
    """Per point: minutes (or metres) to the nearest usable station by networkx, the points and
    stations inserted on their edges, every station tried; ``inf`` when the point is off the
    network or nothing is reachable."""
    table = networkx_costs(finder, lon, lat, weight=weight, kinds=kinds, open_at=open_at)
    return np.array([min(row.values(), default=np.inf) for row in table])


def networkx_costs(finder: StationFinder, lon, lat, *, weight: str = "time", kinds=None,
                   open_at=None) -> list[dict[int, float]]:
    """Per point, ``{station index: cost}`` to every reachable usable station: minutes
    (``weight="time"``) or metres, legs included, by networkx on the graph with the points and
    the stations inserted on their edges."""
    net = finder.network
    lon, lat = np.atleast_1d(np.asarray(lon, float)), np.atleast_1d(np.asarray(lat, float))
    points = reference_place(net, lon, lat)
    places = reference_place(net, [s.lon for s in finder.stations],
                             [s.lat for s in finder.stations]) if finder.stations else []
    station_m, station_s = _legs(finder, places)
    point_m, point_s = _legs(finder, points)
    usable = [i for i, s in enumerate(finder.stations) if station_m[i] <= finder.max_snap_m
              and (kinds is None or s.kind in kinds)
              and (open_at is None or s.is_open(open_at))]
    inserted = {("station", i): places[i][:3] for i in usable}
    inserted.update({("point", j): p[:3] for j, p in enumerate(points)})
    graph = split_graph(net, weight, inserted)
    scale = 60.0 if weight == "time" else 1.0
    out = []
    for j in range(len(points)):
        if point_m[j] > finder.max_snap_m:
            out.append({})
            continue
        reach = nx.single_source_dijkstra_path_length(graph, ("point", j), weight="weight")
        legs = (station_s, point_s[j]) if weight == "time" else (station_m, point_m[j])
        out.append({i: (reach[("station", i)] + legs[0][i] + legs[1]) / scale for i in usable
                    if ("station", i) in reach})
    return out


def networkx_table(finder: StationFinder, *, weight: str = "length", kinds=None,
                   open_at=None) -> np.ndarray:
    """Per node of the main component (``inf`` elsewhere): metres (or seconds) to its nearest
    usable station, the station's part of its edge and its leg included, by networkx from every
    station on the reversed graph with the stations inserted on their edges."""
    net = finder.network
    places = reference_place(net, [s.lon for s in finder.stations],
                             [s.lat for s in finder.stations]) if finder.stations else []
    station_m, station_s = _legs(finder, places)
    usable = [i for i, s in enumerate(finder.stations) if station_m[i] <= finder.max_snap_m
              and (kinds is None or s.kind in kinds)
              and (open_at is None or s.is_open(open_at))]
    graph = split_graph(net, weight, {("station", i): places[i][:3] for i in usable})
    reverse = graph.reverse(copy=True)
    best = np.full(net.n_nodes, np.inf)
    for i in usable:
        leg = station_s[i] if weight == "time" else station_m[i]
        for node, d in nx.single_source_dijkstra_path_length(reverse, ("station", i),
                                                             weight="weight").items():
            if isinstance(node, int):
                best[node] = min(best[node], d + leg)
    return best


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


def cbc_min_cover(cover, weights, share, fixed=()) -> int:
    """The fewest open columns (``fixed`` counted) covering ``share`` of all weight: partial set
    covering written in PuLP and solved by CBC (spopt has no partial model), ``min sum y``
    subject to ``z_i ≤ sum_j a_ij y_j``, ``sum w_i z_i ≥ share · sum w``, ``z_i ≤ 1``."""
    import pulp

    dense = cover.toarray() if sp.issparse(cover) else np.asarray(cover)
    m, n = dense.shape
    problem = pulp.LpProblem("partial_cover", pulp.LpMinimize)
    y = [pulp.LpVariable(f"y{j}", cat="Binary") for j in range(n)]
    z = [pulp.LpVariable(f"z{i}", lowBound=0, upBound=1) for i in range(m)]
    problem += pulp.lpSum(y)
    for i in range(m):
        problem += z[i] <= pulp.lpSum(y[j] for j in np.flatnonzero(dense[i]))
    problem += pulp.lpSum(float(weights[i]) * z[i] for i in range(m)) >= (
        share * float(np.sum(weights)) - 1e-9)
    for j in fixed:
        problem += y[j] == 1
    problem.solve(pulp.PULP_CBC_CMD(msg=False))
    assert pulp.LpStatus[problem.status] == "Optimal"
    return round(pulp.value(problem.objective))
