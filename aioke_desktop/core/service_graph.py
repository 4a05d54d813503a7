"""A layered drawing of the call graph: callers to the left of whom they call.

The steps are Sugiyama's, kept small because a service map holds tens of services, not
thousands: break cycles, put each service one column right of its furthest caller, give
calls that skip columns a bend point in every column they cross, order each column by the
average row of its neighbours (sweeping right then left, keeping the order with the fewest
crossings), then pull each service towards its neighbours without breaking that order.
Everything is plain Python, so the layout is tested without a screen.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

Edge = tuple[str, str]  # (caller, callee)
_SWEEPS = 8
_STRAIGHTEN_PASSES = 6
_EXHAUSTIVE_LIMIT = 5000  # orderings; a dozen services in three columns stay under it


@dataclass(frozen=True)
class Point:
    x: float
    y: float


@dataclass(frozen=True)
class GraphLayout:
    """Where each service sits, and the points each call passes through.

    Attributes:
        positions: the centre of each service's box.
        routes: for each call, its caller's centre, the bend points, its callee's centre.
        columns: each service's column, 0 for services no one calls.
        width, height: the extent of all centres (0 for a single service).
    """

    positions: Mapping[str, Point]
    routes: Mapping[Edge, tuple[Point, ...]]
    columns: Mapping[str, int]
    width: float
    height: float

    def crossings(self) -> int:
        """How many pairs of call segments cross (what the ordering minimises)."""
        segments = [(a, b) for route in self.routes.values() for a, b in itertools.pairwise(route)]
        count = 0
        for (a, b), (c, d) in itertools.combinations(segments, 2):
            if a.x == c.x and b.x == d.x and a.x != b.x and a.y != c.y and b.y != d.y:
                count += (a.y - c.y) * (b.y - d.y) < 0
        return count


def _acyclic(nodes: Sequence[str], edges: Sequence[Edge]) -> list[Edge]:
    """The edges with every back edge of a depth-first search turned round."""
    out: dict[str, list[str]] = {n: [] for n in nodes}
    for caller, callee in edges:
        out[caller].append(callee)
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    reversed_edges: set[Edge] = set()
    called = {callee for _, callee in edges}
    # Start from services no one calls, so entry points end up on the left.
    for root in [n for n in nodes if n not in called] + list(nodes):
        if root in state:
            continue
        stack = [(root, iter(out[root]))]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                reversed_edges.add((node, child))
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(out[child])))
    return [(b, a) if (a, b) in reversed_edges else (a, b) for a, b in edges if a != b]


def _columns(nodes: Sequence[str], edges: Sequence[Edge]) -> dict[str, int]:
    """Longest path from the entry points: one column right of the furthest caller."""
    column = dict.fromkeys(nodes, 0)
    for _ in nodes:  # at most len(nodes) rounds settle an acyclic graph
        changed = False
        for caller, callee in edges:
            if column[callee] < column[caller] + 1:
                column[callee] = column[caller] + 1
                changed = True
        if not changed:
            break
    return column


def _count_crossings(order: Sequence[Sequence[str]], links: Sequence[Edge]) -> int:
    rank = {node: i for layer in order for i, node in enumerate(layer)}
    by_layer: dict[int, list[tuple[int, int]]] = {}
    layer_of = {node: n for n, layer in enumerate(order) for node in layer}
    for caller, callee in links:
        by_layer.setdefault(layer_of[caller], []).append((rank[caller], rank[callee]))
    total = 0
    for pairs in by_layer.values():
        for (a, b), (c, d) in itertools.combinations(pairs, 2):
            total += (a - c) * (b - d) < 0
    return total


def _by_barycentre(
    layer: list[str], fixed: Sequence[str], neighbours: Mapping[str, list[str]]
) -> list[str]:
    """``layer`` sorted by the mean rank of each node's neighbours in the ``fixed`` column;
    a node without any keeps its place."""
    rank = {node: i for i, node in enumerate(fixed)}

    def key(node: str) -> tuple[float, int]:
        near = [rank[m] for m in neighbours.get(node, []) if m in rank]
        here = layer.index(node)
        return (sum(near) / len(near) if near else float(here)), here

    return sorted(layer, key=key)


def _barycentre_order(order: list[list[str]], links: Sequence[Edge]) -> list[list[str]]:
    """Reorder each column by its neighbours' mean rank; keep the best order seen."""
    left: dict[str, list[str]] = {}
    right: dict[str, list[str]] = {}
    for a, b in links:
        right.setdefault(a, []).append(b)
        left.setdefault(b, []).append(a)
    best = [list(layer) for layer in order]
    best_crossings = _count_crossings(best, links)
    current = [list(layer) for layer in order]
    for sweep in range(_SWEEPS):
        forward = sweep % 2 == 0
        indices = range(1, len(current)) if forward else range(len(current) - 2, -1, -1)
        neighbours = left if forward else right
        for n in indices:
            fixed = current[n - 1] if forward else current[n + 1]
            current[n] = _by_barycentre(current[n], fixed, neighbours)
        crossings = _count_crossings(current, links)
        if crossings < best_crossings:
            best, best_crossings = [list(layer) for layer in current], crossings
    if best_crossings and _orderings(best) <= _EXHAUSTIVE_LIMIT:
        return _exhaustive(best, links)
    return _transpose(best, links, best_crossings)


def _orderings(order: Sequence[Sequence[str]]) -> int:
    return math.prod(math.factorial(len(layer)) for layer in order)


def _exhaustive(order: list[list[str]], links: Sequence[Edge]) -> list[list[str]]:
    """Every ordering of a small map, fewest crossings first; ties keep the earliest, which
    ``permutations`` makes the barycentre order itself."""
    best, fewest = order, _count_crossings(order, links)
    for candidate in itertools.product(*(itertools.permutations(layer) for layer in order)):
        crossings = _count_crossings(candidate, links)
        if crossings < fewest:
            best, fewest = [list(layer) for layer in candidate], crossings
            if not fewest:
                break
    return best


def _transpose(order: list[list[str]], links: Sequence[Edge], crossings: int) -> list[list[str]]:
    """Swap neighbours in a column while that removes crossings (barycentres miss some)."""
    improved = True
    while improved and crossings:
        improved = False
        for layer in order:
            for i in range(len(layer) - 1):
                layer[i], layer[i + 1] = layer[i + 1], layer[i]
                fewer = _count_crossings(order, links)
                if fewer < crossings:
                    crossings, improved = fewer, True
                else:
                    layer[i], layer[i + 1] = layer[i + 1], layer[i]
    return order


def _spaced(wanted: Sequence[float]) -> list[float]:
    """The rows closest to ``wanted`` (least squares) that keep their order a row apart.

    With ``z[i] = wanted[i] - i`` the constraint is that ``z`` does not decrease: isotonic
    regression, solved by pooling adjacent violators into their mean.
    """
    blocks: list[list[float]] = []  # [sum, count]
    for i, value in enumerate(wanted):
        blocks.append([value - i, 1.0])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += count
    fitted = [total / count for total, count in blocks for _ in range(int(count))]
    return [z + i for i, z in enumerate(fitted)]


def _rows(order: Sequence[Sequence[str]], links: Sequence[Edge]) -> dict[str, float]:
    """Rows (in units of one row gap) that keep each column's order and a gap of at least
    one, with each node drawn towards the mean row of its neighbours."""
    tallest = max(len(layer) for layer in order)
    row = {
        node: i + (tallest - len(layer)) / 2  # start centred
        for layer in order
        for i, node in enumerate(layer)
    }
    neighbours: dict[str, list[str]] = {}
    for a, b in links:
        neighbours.setdefault(a, []).append(b)
        neighbours.setdefault(b, []).append(a)
    for _ in range(_STRAIGHTEN_PASSES):
        for layer in order:
            wanted = [
                sum(row[m] for m in neighbours[node]) / len(neighbours[node])
                if neighbours.get(node)
                else row[node]
                for node in layer
            ]
            for node, value in zip(layer, _spaced(wanted), strict=True):
                row[node] = value
    low = min(row.values())
    return {node: value - low for node, value in row.items()}


def layered_layout(
    nodes: Iterable[str],
    edges: Iterable[Edge],
    *,
    column_gap: float = 1.0,
    row_gap: float = 1.0,
) -> GraphLayout:
    """Lay out services (``nodes``) and calls (``edges``) in columns, left to right.

    Calls to a service not in ``nodes`` are ignored; so are calls of a service to itself.
    The layout depends only on its input (names sort ties), so a refresh never reshuffles
    the map.
    """
    names = sorted(set(nodes))
    if not names:
        return GraphLayout({}, {}, {}, 0.0, 0.0)
    known = set(names)
    calls = sorted({(a, b) for a, b in edges if a in known and b in known and a != b})
    forward = _acyclic(names, calls)
    column = _columns(names, forward)
    # Calls spanning columns get a bend point ("dummy node") in each column they cross.
    links: list[Edge] = []
    bends: dict[Edge, list[str]] = {}
    for original, (a, b) in zip(calls, forward, strict=True):
        chain = [a]
        for c in range(column[a] + 1, column[b]):
            dummy = f"\0{a}\0{b}\0{c}"
            column[dummy] = c
            chain.append(dummy)
        chain.append(b)
        links.extend(itertools.pairwise(chain))
        inner = chain[1:-1]
        bends[original] = inner if original == (a, b) else inner[::-1]
    layers: list[list[str]] = [[] for _ in range(max(column.values()) + 1)]
    for node in sorted(column, key=lambda n: (n.startswith("\0"), n)):
        layers[column[node]].append(node)
    order = _barycentre_order(layers, links)
    rows = _rows(order, links)

    def at(node: str) -> Point:
        return Point(column[node] * column_gap, rows[node] * row_gap)

    positions = {name: at(name) for name in names}
    routes = {
        call: (positions[call[0]], *(at(d) for d in bends[call]), positions[call[1]])
        for call in calls
    }
    return GraphLayout(
        positions=positions,
        routes=routes,
        columns={name: column[name] for name in names},
        width=max(p.x for p in positions.values()),
        height=max(p.y for p in positions.values()),
    )
