"""A layered (Sugiyama-style) layout of a directed graph, left to right.

Each node gets a column (longest-path layering: a node sits one column right of its
furthest-right parent, so an input is always left of what was made from it) and a row
inside its column (barycentre ordering: a few sweeps that put each node near the mean
row of its neighbours, which removes most crossings in a supply chain). Everything is
decided by the order of the input and stable sorts, so the same graph always gets the
same layout.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

# Down and up sweeps of the barycentre ordering; supply chains settle within a few.
SWEEPS: Final = 4


@dataclass(frozen=True)
class Slot:
    """Where a node goes: its column (0 is the leftmost) and its row in that column."""

    column: int
    row: int


def layered_layout(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> dict[str, Slot]:
    """The slot of every node; an edge ``(a, b)`` puts ``b`` right of ``a``. Edges naming an
    unknown node are ignored, and an edge closing a cycle is ignored for the layering."""
    known = dict.fromkeys(nodes)
    pairs = [(a, b) for a, b in dict.fromkeys(edges) if a in known and b in known and a != b]
    forward = _acyclic(list(known), pairs)
    columns = _columns(list(known), forward)
    rows = _ordered(list(known), columns, forward)
    return {node: Slot(columns[node], rows[node]) for node in known}


def _acyclic(nodes: list[str], pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The edges without those that close a cycle (found depth first, in input order)."""
    children: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in pairs:
        children[a].append(b)
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    back: set[tuple[str, str]] = set()
    for start in nodes:
        if start in state:
            continue
        state[start] = 1
        stack = [(start, iter(children[start]))]
        while stack:
            node, pending = stack[-1]
            child = next(pending, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                back.add((node, child))
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(children[child])))
    return [p for p in pairs if p not in back]


def _columns(nodes: list[str], pairs: list[tuple[str, str]]) -> dict[str, int]:
    """Longest path from the sources, walked in topological order."""
    parents: dict[str, list[str]] = {n: [] for n in nodes}
    children: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in pairs:
        parents[b].append(a)
        children[a].append(b)
    waiting = {n: len(parents[n]) for n in nodes}
    ready = [n for n in nodes if waiting[n] == 0]
    column: dict[str, int] = {}
    while ready:
        node = ready.pop(0)
        column[node] = max((column[p] + 1 for p in parents[node]), default=0)
        for child in children[node]:
            waiting[child] -= 1
            if waiting[child] == 0:
                ready.append(child)
    return column


def _ordered(
    nodes: list[str], columns: Mapping[str, int], pairs: list[tuple[str, str]]
) -> dict[str, int]:
    """Rows inside each column after the barycentre sweeps."""
    width = max(columns.values(), default=-1) + 1
    layers: list[list[str]] = [[] for _ in range(width)]
    for node in nodes:
        layers[columns[node]].append(node)
    parents: dict[str, list[str]] = {n: [] for n in nodes}
    children: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in pairs:
        parents[b].append(a)
        children[a].append(b)
    row = {n: i for layer in layers for i, n in enumerate(layer)}
    for _ in range(SWEEPS):
        for index in range(1, width):
            layers[index] = _by_barycentre(layers[index], parents, row)
            row.update((n, i) for i, n in enumerate(layers[index]))
        for index in range(width - 2, -1, -1):
            layers[index] = _by_barycentre(layers[index], children, row)
            row.update((n, i) for i, n in enumerate(layers[index]))
    return row


def _by_barycentre(
    layer: list[str], neighbours: Mapping[str, list[str]], row: Mapping[str, int]
) -> list[str]:
    """The layer sorted by the mean row of each node's neighbours; a node without any keeps
    its place. Stable, so ties keep the previous order."""

    def key(node: str) -> float:
        around = neighbours[node]
        return sum(row[n] for n in around) / len(around) if around else float(row[node])

    return sorted(layer, key=key)
