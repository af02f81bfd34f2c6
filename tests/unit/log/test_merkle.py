"""RFC 9162 Merkle math: reference vectors, stored-node proofs against the RFC oracle, tampering."""

from __future__ import annotations

import hashlib
import itertools
import math
from functools import cache

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.strategies import DrawFn

from tests.unit.log.forgeries import flip, tampered_paths
from traceability.errors import ChainBroken, InvalidInput
from traceability.log.frontier import Frontier
from traceability.log.memory_tree import MemoryNodeStore, MemoryTree
from traceability.log.merkle import (
    EMPTY_ROOT,
    NodeId,
    build_consistency_proof,
    build_inclusion_proof,
    consistency_proof_nodes,
    inclusion_proof_nodes,
    leaf_hash,
    node_hash,
    root_from_nodes,
    root_nodes,
)
from traceability.log.proof_verification import verify_consistency, verify_inclusion

# certificate-transparency (C++ merkle_tree_test.cc, Go merkletree tests): the
# 8-leaf reference tree, its roots, and its published inclusion/consistency proofs.
CT_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (0-based leaf index, tree size, audit path)
CT_INCLUSION_PROOFS = [
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
# (first size, second size, consistency proof)
CT_CONSISTENCY_PROOFS = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]

MAX_SIZE = 300


def _leaf(i: int) -> bytes:
    return f"event-{i}".encode()


@cache
def _oracle() -> MemoryTree:
    return MemoryTree(_leaf(i) for i in range(MAX_SIZE))


@cache
def _store() -> MemoryNodeStore:
    store = MemoryNodeStore()
    for i in range(MAX_SIZE):
        store.append(_leaf(i))
    return store


def _ct_tree() -> tuple[MemoryTree, MemoryNodeStore]:
    tree, store = MemoryTree(CT_LEAVES), MemoryNodeStore()
    for leaf in CT_LEAVES:
        store.append(leaf)
    return tree, store


def _stored_inclusion(index: int, size: int) -> list[bytes]:
    # Only the named nodes are handed over, proving nothing else is needed.
    store = _store()
    return build_inclusion_proof(index, size, store.fetch(inclusion_proof_nodes(index, size)))


def _stored_consistency(first: int, second: int) -> list[bytes]:
    store = _store()
    return build_consistency_proof(
        first, second, store.fetch(consistency_proof_nodes(first, second))
    )


# --------------------------------------------------------------------------- hashing


def test_leaf_and_node_hashes_are_domain_separated_as_rfc9162_says() -> None:
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    left, right = b"\x11" * 32, b"\x22" * 32
    assert node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()
    assert leaf_hash(left + right) != node_hash(left, right)


def test_empty_tree_root_is_sha256_of_the_empty_string() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert MemoryTree().root() == EMPTY_ROOT
    assert Frontier.empty().root() == EMPTY_ROOT
    assert root_from_nodes(0, {}) == EMPTY_ROOT


# --------------------------------------------------------------------------- CT vectors


def test_roots_of_the_certificate_transparency_reference_tree_match_for_every_size() -> None:
    tree, store = _ct_tree()
    frontier = Frontier.empty()
    for size, expected in enumerate(CT_ROOTS, start=1):
        frontier, _ = frontier.append(CT_LEAVES[size - 1])
        assert tree.root(size).hex() == expected
        assert store.root(size).hex() == expected
        assert frontier.root().hex() == expected


@pytest.mark.parametrize(("index", "size", "path"), CT_INCLUSION_PROOFS)
def test_inclusion_proofs_match_the_certificate_transparency_reference_paths(
    index: int, size: int, path: list[str]
) -> None:
    tree, store = _ct_tree()
    expected = [bytes.fromhex(h) for h in path]
    assert tree.inclusion_proof(index, size) == expected
    assert store.inclusion_proof(index, size) == expected
    assert verify_inclusion(leaf_hash(CT_LEAVES[index]), index, size, expected, tree.root(size))


@pytest.mark.parametrize(("first", "second", "path"), CT_CONSISTENCY_PROOFS)
def test_consistency_proofs_match_the_certificate_transparency_reference_proofs(
    first: int, second: int, path: list[str]
) -> None:
    tree, store = _ct_tree()
    expected = [bytes.fromhex(h) for h in path]
    assert tree.consistency_proof(first, second) == expected
    assert store.consistency_proof(first, second) == expected
    assert verify_consistency(first, second, tree.root(first), tree.root(second), expected)


# --------------------------------------------------------------------------- node ids


def test_node_ids_order_by_level_then_index_and_know_their_leaf_range() -> None:
    assert sorted([NodeId(1, 0), NodeId(0, 5), NodeId(0, 1)]) == [
        NodeId(0, 1),
        NodeId(0, 5),
        NodeId(1, 0),
    ]
    node = NodeId(3, 2)
    assert (node.start, node.end) == (16, 24)
    assert "3/2" in str(node)


def test_node_ids_refuse_negative_coordinates() -> None:
    with pytest.raises(InvalidInput):
        NodeId(-1, 0)
    with pytest.raises(InvalidInput):
        NodeId(0, -1)


def test_root_nodes_are_one_complete_subtree_per_set_bit_largest_first() -> None:
    assert root_nodes(0) == []
    assert root_nodes(13) == [NodeId(3, 0), NodeId(2, 2), NodeId(0, 12)]
    for size in range(1, 200):
        ids = root_nodes(size)
        assert len(ids) == size.bit_count()
        assert ids[0].start == 0 and ids[-1].end == size
        assert all(a.end == b.start for a, b in itertools.pairwise(ids))


# --------------------------------------------------------------------------- frontier


def test_appending_the_eighth_leaf_completes_the_leaf_and_three_parents() -> None:
    frontier = Frontier.empty()
    for leaf in CT_LEAVES[:7]:
        frontier, _ = frontier.append(leaf)
    frontier, created = frontier.append(CT_LEAVES[7])
    assert [node_id for node_id, _ in created] == [
        NodeId(0, 7),
        NodeId(1, 3),
        NodeId(2, 1),
        NodeId(3, 0),
    ]
    assert created[-1][1].hex() == CT_ROOTS[7]
    assert frontier.hashes == (created[-1][1],)


def test_appends_create_every_complete_aligned_subtree_exactly_once_with_its_rfc_hash() -> None:
    oracle = _oracle()
    frontier = Frontier.empty()
    seen: dict[NodeId, bytes] = {}
    for i in range(MAX_SIZE):
        frontier, created = frontier.append(_leaf(i))
        for node_id, value in created:
            assert node_id not in seen
            assert node_id.end == i + 1, "a node is created by the append of its last leaf"
            seen[node_id] = value
        assert frontier.root() == oracle.root(i + 1)
        assert frontier.node_ids() == root_nodes(i + 1)
    expected = {
        NodeId(level, index)
        for level in range(MAX_SIZE.bit_length())
        for index in range(MAX_SIZE >> level)
    }
    assert set(seen) == expected
    for node_id, value in seen.items():
        subtree = MemoryTree(_leaf(i) for i in range(node_id.start, node_id.end))
        assert value == subtree.root()


def test_frontier_round_trips_through_its_storage_bytes() -> None:
    frontier = _store().frontier
    blob = frontier.to_bytes()
    assert len(blob) == 32 * frontier.size.bit_count()
    assert Frontier.from_bytes(frontier.size, blob) == frontier
    assert Frontier.from_bytes(0, b"") == Frontier.empty()


def test_frontier_refuses_blobs_and_hash_counts_that_do_not_fit_the_size() -> None:
    with pytest.raises(InvalidInput):
        Frontier.from_bytes(3, b"\x00" * 32)
    with pytest.raises(InvalidInput):
        Frontier(3, (b"\x00" * 32,))
    with pytest.raises(InvalidInput):
        Frontier(1, (b"\x00" * 31,))
    with pytest.raises(InvalidInput):
        Frontier(-1, ())
    with pytest.raises(InvalidInput):
        Frontier.empty().append_leaf_hash(b"short")


def test_appending_a_leaf_hash_is_appending_the_leaf() -> None:
    by_data, _ = Frontier.empty().append(b"x")
    by_hash, _ = Frontier.empty().append_leaf_hash(leaf_hash(b"x"))
    assert by_data == by_hash


# --------------------------------------------------------------------------- inclusion


def test_stored_node_roots_equal_the_rfc_root_for_every_size() -> None:
    oracle, store = _oracle(), _store()
    for size in range(MAX_SIZE + 1):
        assert store.root(size) == oracle.root(size)


def test_stored_inclusion_proofs_equal_the_rfc_path_for_every_leaf_of_small_trees() -> None:
    oracle = _oracle()
    for size in range(1, 129):
        root = oracle.root(size)
        for index in range(size):
            proof = _stored_inclusion(index, size)
            assert proof == oracle.inclusion_proof(index, size)
            assert verify_inclusion(oracle.leaf_hash(index), index, size, proof, root)


def test_stored_inclusion_proofs_equal_the_rfc_path_at_the_edges_of_every_size() -> None:
    oracle = _oracle()
    for size in range(1, MAX_SIZE + 1):
        root = oracle.root(size)
        for index in {0, 1 % size, size // 2, max(size - 2, 0), size - 1}:
            proof = _stored_inclusion(index, size)
            assert proof == oracle.inclusion_proof(index, size)
            assert verify_inclusion(oracle.leaf_hash(index), index, size, proof, root)


@st.composite
def _index_and_size(draw: DrawFn) -> tuple[int, int]:
    size = draw(st.integers(1, MAX_SIZE))
    return draw(st.integers(0, size - 1)), size


@given(_index_and_size())
def test_inclusion_proofs_from_stored_nodes_equal_the_rfc_path(case: tuple[int, int]) -> None:
    index, size = case
    oracle = _oracle()
    proof = _stored_inclusion(index, size)
    assert proof == oracle.inclusion_proof(index, size)
    assert verify_inclusion(oracle.leaf_hash(index), index, size, proof, oracle.root(size))


def _assert_inclusion_tampering_fails(index: int, size: int) -> None:
    oracle = _oracle()
    leaf, root = oracle.leaf_hash(index), oracle.root(size)
    proof = oracle.inclusion_proof(index, size)
    for variant in tampered_paths(proof):
        assert not verify_inclusion(leaf, index, size, variant, root), variant
    for i in range(len(proof)):
        assert not verify_inclusion(leaf, index, size, [*proof[:i], proof[i][:31]], root)
    assert not verify_inclusion(flip(leaf), index, size, proof, root)
    assert not verify_inclusion(leaf, index, size, proof, flip(root, 31))
    for other in (index - 1, index + 1):
        if 0 <= other < size:
            assert not verify_inclusion(leaf, other, size, proof, root)
            assert not verify_inclusion(oracle.leaf_hash(other), other, size, proof, root)
    # A different size only passes with that size's root, which the checkpoint pins.
    for other_size in (size - 1, size + 1):
        if index < other_size <= MAX_SIZE:
            assert not verify_inclusion(leaf, index, other_size, proof, oracle.root(other_size))
    assert not verify_inclusion(leaf, index, index, proof, root)
    assert not verify_inclusion(leaf, -1, size, proof, root)


def test_every_tampered_inclusion_proof_of_small_trees_is_refused() -> None:
    for size in range(1, 33):
        for index in range(size):
            _assert_inclusion_tampering_fails(index, size)


@given(_index_and_size())
def test_every_tampered_inclusion_proof_is_refused(case: tuple[int, int]) -> None:
    _assert_inclusion_tampering_fails(*case)


def test_inclusion_verification_returns_false_instead_of_raising_on_garbage() -> None:
    good = b"\x00" * 32
    assert not verify_inclusion(good, 0, 0, [], good)
    assert not verify_inclusion(good, 5, 3, [good], good)
    assert not verify_inclusion(b"short", 0, 1, [], b"short")
    assert not verify_inclusion(good, 0, 2, [b"short"], good)
    assert not verify_inclusion(good, 0, 2, ["not bytes"], good)  # type: ignore[list-item]


def test_inclusion_proofs_are_refused_for_leaves_outside_the_tree() -> None:
    for index, size in [(0, 0), (3, 3), (-1, 5)]:
        with pytest.raises(InvalidInput):
            inclusion_proof_nodes(index, size)
        with pytest.raises(InvalidInput):
            build_inclusion_proof(index, size, {})
        with pytest.raises(InvalidInput):
            _oracle().inclusion_proof(index, size)


def test_a_missing_stored_node_is_reported_as_a_broken_chain_naming_the_node() -> None:
    store = _store()
    ids = inclusion_proof_nodes(5, 13)
    nodes = store.fetch(ids)
    del nodes[ids[-1]]
    with pytest.raises(ChainBroken, match=f"{ids[-1].level}/{ids[-1].index}"):
        build_inclusion_proof(5, 13, nodes)
    with pytest.raises(ChainBroken):
        root_from_nodes(13, {})
    with pytest.raises(ChainBroken, match="bytes"):
        root_from_nodes(1, {NodeId(0, 0): b"short"})


# --------------------------------------------------------------------------- consistency


def test_consistency_proofs_from_stored_nodes_equal_the_rfc_proof_for_all_sizes_to_130() -> None:
    oracle = _oracle()
    roots = [oracle.root(size) for size in range(131)]
    for second in range(1, 131):
        for first in range(1, second + 1):
            proof = _stored_consistency(first, second)
            assert proof == oracle.consistency_proof(first, second)
            assert verify_consistency(first, second, roots[first], roots[second], proof)


@st.composite
def _size_pair(draw: DrawFn) -> tuple[int, int]:
    second = draw(st.integers(1, MAX_SIZE))
    return draw(st.integers(1, second)), second


@given(_size_pair())
def test_consistency_proofs_from_stored_nodes_equal_the_rfc_proof(case: tuple[int, int]) -> None:
    first, second = case
    oracle = _oracle()
    proof = _stored_consistency(first, second)
    assert proof == oracle.consistency_proof(first, second)
    assert verify_consistency(first, second, oracle.root(first), oracle.root(second), proof)


def _assert_consistency_tampering_fails(first: int, second: int) -> None:
    oracle = _oracle()
    r1, r2 = oracle.root(first), oracle.root(second)
    proof = oracle.consistency_proof(first, second)
    for variant in tampered_paths(proof):
        assert not verify_consistency(first, second, r1, r2, variant), variant
    assert not verify_consistency(first, second, flip(r1), r2, proof)
    assert not verify_consistency(first, second, r1, flip(r2, 31), proof)
    assert not verify_consistency(first, second, r2, r1, proof) or r1 == r2
    m, n = first, second
    for f, s in [(m - 1, n), (m + 1, n), (m, n - 1), (m, n + 1)]:
        if 0 < f <= s <= MAX_SIZE and (f, s) != (first, second):
            assert not verify_consistency(f, s, oracle.root(f), oracle.root(s), proof)
    assert not verify_consistency(second, first, r2, r1, proof) or first == second
    assert not verify_consistency(0, second, EMPTY_ROOT, r2, proof)


def test_every_tampered_consistency_proof_of_small_trees_is_refused() -> None:
    for second in range(1, 41):
        for first in range(1, second + 1):
            _assert_consistency_tampering_fails(first, second)


@given(_size_pair())
def test_every_tampered_consistency_proof_is_refused(case: tuple[int, int]) -> None:
    _assert_consistency_tampering_fails(*case)


def test_a_tree_is_consistent_with_itself_only_through_an_empty_proof_and_equal_roots() -> None:
    root, other = _oracle().root(5), _oracle().root(6)
    assert consistency_proof_nodes(5, 5) == []
    assert verify_consistency(5, 5, root, root, [])
    assert not verify_consistency(5, 5, root, other, [])
    assert not verify_consistency(5, 5, root, root, [root])


def test_consistency_verification_returns_false_instead_of_raising_on_garbage() -> None:
    good = b"\x00" * 32
    assert not verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert not verify_consistency(3, 2, good, good, [good])
    assert not verify_consistency(-1, 2, good, good, [good])
    assert not verify_consistency(1, 2, good, good, [])
    assert not verify_consistency(1, 2, b"short", good, [good])
    assert not verify_consistency(1, 2, good, good, [b"short"])


def test_consistency_from_the_empty_tree_is_refused_with_the_reason() -> None:
    with pytest.raises(InvalidInput, match="empty tree"):
        consistency_proof_nodes(0, 5)
    with pytest.raises(InvalidInput, match="empty tree"):
        build_consistency_proof(0, 5, {})
    with pytest.raises(InvalidInput, match="empty tree"):
        _oracle().consistency_proof(0, 5)


def test_consistency_towards_a_smaller_tree_is_refused() -> None:
    with pytest.raises(InvalidInput, match="larger"):
        consistency_proof_nodes(6, 5)
    with pytest.raises(InvalidInput):
        _oracle().consistency_proof(6, 5)


# --------------------------------------------------------------------------- cost


def _log_bound(size: int) -> int:
    return 2 * math.ceil(math.log2(size)) + 2


@pytest.mark.parametrize("exponent", range(41))
def test_proofs_of_trees_near_each_power_of_two_read_logarithmically_many_nodes(
    exponent: int,
) -> None:
    for size in {2**exponent - 1, 2**exponent, 2**exponent + 1} - {0}:
        for index in {0, size // 3, size // 2, size - 2, size - 1} - {-1}:
            assert len(inclusion_proof_nodes(index, size)) <= _log_bound(size)
        for first in {1, size // 3, size // 2, size - 1, size} - {0}:
            assert len(consistency_proof_nodes(first, size)) <= _log_bound(size)
        assert len(root_nodes(size)) <= _log_bound(size)


@given(st.integers(1, 2**40).flatmap(lambda n: st.tuples(st.integers(0, n - 1), st.just(n))))
def test_inclusion_proofs_of_trees_up_to_2_to_the_40_read_logarithmically_many_nodes(
    case: tuple[int, int],
) -> None:
    index, size = case
    assert len(inclusion_proof_nodes(index, size)) <= _log_bound(size)


@given(st.integers(1, 2**40).flatmap(lambda n: st.tuples(st.integers(1, n), st.just(n))))
def test_consistency_proofs_of_trees_up_to_2_to_the_40_read_logarithmically_many_nodes(
    case: tuple[int, int],
) -> None:
    first, second = case
    assert len(consistency_proof_nodes(first, second)) <= _log_bound(second)


def test_the_node_store_reads_only_the_nodes_a_proof_names() -> None:
    store = _store()
    before = store.reads
    store.inclusion_proof(123, 299)
    assert store.reads - before == len(inclusion_proof_nodes(123, 299))
