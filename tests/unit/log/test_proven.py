"""What a process remembers having proven about the log: a lineage of checkpoints, each
proven to extend the one before, and the leaves proven included in it."""

from __future__ import annotations

from traceability.log.memory_tree import MemoryTree
from traceability.log.merkle import leaf_hash
from traceability.log.proven import ProvenLog, RememberingInclusion


def tree_of(size: int) -> MemoryTree:
    return MemoryTree(i.to_bytes(32, "big") for i in range(size))


def proof(tree: MemoryTree, index: int, size: int) -> list[bytes]:
    return tree.inclusion_proof(index, size)


def leaf(i: int) -> bytes:
    return leaf_hash(i.to_bytes(32, "big"))


def test_a_proven_leaf_is_included_in_every_later_member_of_the_lineage() -> None:
    tree = tree_of(9)
    proven = ProvenLog()
    proven.start(5, tree.root(5))
    assert RememberingInclusion(5, tree.root(5), proven).verify(leaf(3), 3, proof(tree, 3, 5))
    proven.extend(9, tree.root(9))
    assert proven.includes(leaf(3), 3, 9, tree.root(9))
    assert proven.includes(leaf(3), 3, 5, tree.root(5))


def test_nothing_is_included_in_a_checkpoint_outside_the_lineage() -> None:
    tree = tree_of(9)
    proven = ProvenLog()
    proven.start(5, tree.root(5))
    RememberingInclusion(5, tree.root(5), proven).verify(leaf(3), 3, proof(tree, 3, 5))
    assert not proven.includes(leaf(3), 3, 9, tree.root(9))  # never proven to extend
    assert not proven.includes(leaf(3), 3, 5, bytes(32))  # another root of that size


def test_another_leaf_hash_at_a_proven_index_is_not_included() -> None:
    tree = tree_of(5)
    proven = ProvenLog()
    proven.start(5, tree.root(5))
    RememberingInclusion(5, tree.root(5), proven).verify(leaf(3), 3, proof(tree, 3, 5))
    assert not proven.includes(leaf(4), 3, 5, tree.root(5))
    # Asked with no proof, the verifier answers from memory only for what it proved.
    verifier = RememberingInclusion(5, tree.root(5), proven)
    assert verifier.verify(leaf(3), 3, [])
    assert not verifier.verify(leaf(4), 3, [])


def test_a_failed_proof_is_not_remembered() -> None:
    tree = tree_of(5)
    proven = ProvenLog()
    proven.start(5, tree.root(5))
    assert not RememberingInclusion(5, tree.root(5), proven).verify(leaf(2), 3, proof(tree, 3, 5))
    assert not proven.includes(leaf(2), 3, 5, tree.root(5))


def test_starting_again_forgets_the_old_lineage_and_its_leaves() -> None:
    tree = tree_of(5)
    proven = ProvenLog()
    proven.start(5, tree.root(5))
    RememberingInclusion(5, tree.root(5), proven).verify(leaf(1), 1, proof(tree, 1, 5))
    proven.start(5, bytes(32))
    assert not proven.holds(5, tree.root(5))
    assert not proven.includes(leaf(1), 1, 5, bytes(32))


def test_memory_is_bounded_and_forgets_the_least_recently_used() -> None:
    tree = tree_of(4)
    proven = ProvenLog(max_leaves=2, max_checkpoints=2)
    proven.start(1, tree.root(1))
    proven.extend(2, tree.root(2))
    proven.extend(4, tree.root(4))
    assert not proven.holds(1, tree.root(1))
    verifier = RememberingInclusion(4, tree.root(4), proven)
    for i in range(3):
        assert verifier.verify(leaf(i), i, proof(tree, i, 4))
    assert not proven.includes(leaf(0), 0, 4, tree.root(4))
    assert proven.includes(leaf(2), 2, 4, tree.root(4))


def test_a_checkpoint_proven_a_prefix_of_a_member_joins_the_lineage() -> None:
    tree = tree_of(9)
    proven = ProvenLog()
    proven.start(9, tree.root(9))
    proven.extend(5, tree.root(5))
    assert proven.newest() == (9, tree.root(9))
    RememberingInclusion(5, tree.root(5), proven).verify(leaf(2), 2, proof(tree, 2, 5))
    assert proven.includes(leaf(2), 2, 9, tree.root(9))
