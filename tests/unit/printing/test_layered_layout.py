"""The layered layout: inputs left of what was made of them, few crossings, always the same."""

from __future__ import annotations

from traceability.printing.layered_layout import Slot, layered_layout


def test_each_node_sits_right_of_its_furthest_parent() -> None:
    slots = layered_layout(
        ["salt", "paddy", "rice", "meal"],
        [("paddy", "rice"), ("rice", "meal"), ("salt", "meal")],
    )
    assert slots["paddy"].column == slots["salt"].column == 0
    assert slots["rice"].column == 1
    assert slots["meal"].column == 2


def test_rows_follow_the_parents_so_lines_do_not_cross() -> None:
    # Given in an order that would cross: a's child listed second, b's first.
    slots = layered_layout(["a", "b", "from_b", "from_a"], [("a", "from_a"), ("b", "from_b")])
    assert slots["a"].row < slots["b"].row
    assert slots["from_a"].row < slots["from_b"].row


def test_a_cycle_is_laid_out_without_looping() -> None:
    slots = layered_layout(["a", "b", "c"], [("a", "b"), ("b", "c"), ("c", "a")])
    assert [slots[n].column for n in ("a", "b", "c")] == [0, 1, 2]


def test_edges_to_unknown_nodes_and_self_loops_are_ignored() -> None:
    slots = layered_layout(["a"], [("a", "a"), ("a", "ghost"), ("ghost", "a")])
    assert slots == {"a": Slot(0, 0)}


def test_the_same_graph_gets_the_same_layout() -> None:
    nodes = [f"n{i}" for i in range(40)]
    edges = [(f"n{i}", f"n{(i * 7 + 3) % 40}") for i in range(40) if (i * 7 + 3) % 40 > i]
    assert layered_layout(nodes, edges) == layered_layout(list(nodes), list(edges))
