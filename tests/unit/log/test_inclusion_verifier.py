"""Checking many inclusion proofs against one checkpoint answers exactly as one at a time.

The verifier reuses the paths of leaves it has already proven. Whatever it was shown
before, every answer must be the one :func:`verify_inclusion` gives on its own, above
all for a tampered proof arriving right after the honest proofs of its neighbours.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from hypothesis import given
from hypothesis import strategies as st
from hypothesis.strategies import DrawFn

from tests.unit.log.forgeries import flip, tampered_paths
from traceability.log.memory_tree import MemoryTree
from traceability.log.proof_verification import InclusionVerifier, verify_inclusion

MAX_SIZE = 200


def _leaf(i: int) -> bytes:
    return i.to_bytes(4, "big")


@cache
def _tree() -> MemoryTree:
    return MemoryTree(_leaf(i) for i in range(MAX_SIZE))


def _check(verifier: InclusionVerifier, leaf: bytes, index: int, proof: Sequence[bytes]) -> bool:
    expected = verify_inclusion(leaf, index, verifier.size, proof, verifier.root)
    assert verifier.verify(leaf, index, proof) is expected, (index, verifier.size)
    return expected


def test_every_leaf_of_small_trees_is_proven_in_order_and_in_reverse() -> None:
    tree = _tree()
    for size in range(1, 70):
        for order in (range(size), reversed(range(size))):
            verifier = InclusionVerifier(size, tree.root(size))
            for index in order:
                proof = tree.inclusion_proof(index, size)
                assert _check(verifier, tree.leaf_hash(index), index, proof)


def test_a_forged_proof_after_its_proven_neighbours_is_still_refused() -> None:
    tree = _tree()
    for size in (2, 3, 5, 8, 13, 16, 31, 33, 64, 100):
        verifier = InclusionVerifier(size, tree.root(size))
        for index in range(size):
            leaf, proof = tree.leaf_hash(index), tree.inclusion_proof(index, size)
            for forged in tampered_paths(proof):
                assert not _check(verifier, leaf, index, forged)
            assert not _check(verifier, flip(leaf, 5), index, proof)
            for other in (index - 1, index + 1):
                if 0 <= other < size:
                    assert not _check(verifier, leaf, other, proof)
            # The honest proof, checked after the forgeries, still passes.
            assert _check(verifier, leaf, index, proof)


def test_after_any_proven_leaf_any_other_leaf_gets_the_one_at_a_time_answer() -> None:
    # Every pair in trees of up to 24 leaves, right edges (nodes with no right sibling)
    # included: the second leaf's honest proof passes and each forgery of it fails.
    tree = _tree()
    for size in range(1, 25):
        root = tree.root(size)
        for first in range(size):
            for second in range(size):
                verifier = InclusionVerifier(size, root)
                assert _check(
                    verifier, tree.leaf_hash(first), first, tree.inclusion_proof(first, size)
                )
                leaf, proof = tree.leaf_hash(second), tree.inclusion_proof(second, size)
                for forged in tampered_paths(proof):
                    assert not _check(verifier, leaf, second, forged)
                assert _check(verifier, leaf, second, proof)


def test_an_edited_upper_proof_element_is_refused_even_when_the_lower_path_matches() -> None:
    # Leaves 8 and 9 meet at level 1: leaf 9's walk reaches a node leaf 8 proved with
    # the right hash, but a changed element above it must still fail.
    tree = _tree()
    size = 64
    verifier = InclusionVerifier(size, tree.root(size))
    assert _check(verifier, tree.leaf_hash(8), 8, tree.inclusion_proof(8, size))
    proof = tree.inclusion_proof(9, size)
    for i in range(1, len(proof)):
        edited = [*proof[:i], flip(proof[i], 7), *proof[i + 1 :]]
        assert not _check(verifier, tree.leaf_hash(9), 9, edited)
    assert _check(verifier, tree.leaf_hash(9), 9, proof)


def test_a_verifier_with_a_wrong_root_or_garbage_proves_nothing() -> None:
    tree = _tree()
    size = 40
    good = b"\x00" * 32
    wrong = InclusionVerifier(size, flip(tree.root(size), 31))
    for index in range(size):
        assert not _check(wrong, tree.leaf_hash(index), index, tree.inclusion_proof(index, size))
    verifier = InclusionVerifier(size, tree.root(size))
    assert _check(verifier, tree.leaf_hash(3), 3, tree.inclusion_proof(3, size))
    assert not _check(verifier, tree.leaf_hash(3), 3, ["not bytes"])  # type: ignore[list-item]
    assert not _check(verifier, b"short", 3, tree.inclusion_proof(3, size))
    assert not _check(verifier, good, -1, [])
    assert not _check(verifier, good, size, [])
    assert not _check(InclusionVerifier(0, good), good, 0, [])
    assert not _check(InclusionVerifier(1, b"short"), b"short", 0, [])
    # A proof given as a tuple or any other sequence answers the same.
    assert _check(verifier, tree.leaf_hash(4), 4, tuple(tree.inclusion_proof(4, size)))


@st.composite
def _checks(draw: DrawFn) -> tuple[int, list[tuple[int, int]]]:
    size = draw(st.integers(min_value=1, max_value=MAX_SIZE))
    steps = draw(
        st.lists(
            st.tuples(st.integers(0, size - 1), st.integers(-1, 40)),
            min_size=1,
            max_size=40,
        )
    )
    return size, steps


@given(_checks())
def test_any_sequence_of_honest_and_forged_proofs_gets_the_one_at_a_time_answers(
    case: tuple[int, list[tuple[int, int]]],
) -> None:
    size, steps = case
    tree = _tree()
    verifier = InclusionVerifier(size, tree.root(size))
    for index, damage in steps:
        leaf, proof = tree.leaf_hash(index), tree.inclusion_proof(index, size)
        forgeries = tampered_paths(proof)
        # damage -1: the honest proof; otherwise one forgery (when there is one to pick).
        if damage >= 0 and forgeries:
            proof = forgeries[damage % len(forgeries)]
        _check(verifier, leaf, index, proof)


def test_proofs_that_are_not_lists_or_indexes_that_are_not_ints_are_refused_not_raised() -> None:
    tree = _tree()
    verifier = InclusionVerifier(8, tree.root(8))
    leaf, proof = tree.leaf_hash(3), tree.inclusion_proof(3, 8)
    assert _check(verifier, tree.leaf_hash(2), 2, tree.inclusion_proof(2, 8))
    assert not verifier.verify(leaf, 3, 42)  # type: ignore[arg-type]
    assert not _check(verifier, leaf, 3.0, proof)  # type: ignore[arg-type]
    # Any iterable of hashes is read as verify_inclusion reads it.
    assert verify_inclusion(leaf, 3, 8, iter(proof), tree.root(8))  # type: ignore[arg-type]
    assert verifier.verify(leaf, 3, iter(proof))  # type: ignore[arg-type]
