"""RFC 9162 Merkle tree math for the portal-wide transparency log.

The log stores only *complete aligned subtrees* ("nodes"): level 0 index i is the
hash of leaf i, level L index i is the root of leaves [i*2^L, (i+1)*2^L). Such a
node never changes once its last leaf is appended, so the database can insert it
once and never update it. Every hash the RFC defines over a prefix of the log --
roots, audit paths, consistency proofs -- is a right-to-left fold of a handful of
these nodes, which is why proofs cost O(log n) reads instead of a tree walk.

This module is pure: callers decide where nodes live.

Checking proofs is :mod:`traceability.log.proof_verification`; appending is
:class:`~traceability.log.frontier.Frontier`; :class:`~traceability.log.memory_tree.MemoryTree`
is the reference.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from traceability.errors import ChainBroken, InvalidInput

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

# Domain separation (RFC 9162 2.1.1): without distinct prefixes an interior node
# could be passed off as a leaf whose data is the concatenation of two hashes.
_LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    """MTH of a one-entry list: SHA-256(0x00 || data)."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


@dataclass(frozen=True, order=True, slots=True)
class NodeId:
    """Address of a stored node: the root of leaves [index * 2^level, (index + 1) * 2^level)."""

    level: int
    index: int

    def __post_init__(self) -> None:
        if self.level < 0 or self.index < 0:
            raise InvalidInput(
                f"node level and index must not be negative, got {self.level}/{self.index}",
                field="node",
            )

    @property
    def start(self) -> int:
        """First leaf covered."""
        return self.index << self.level

    @property
    def end(self) -> int:
        """One past the last leaf covered."""
        return (self.index + 1) << self.level

    def __str__(self) -> str:
        return f"node {self.level}/{self.index} (leaves [{self.start}, {self.end}))"


# --------------------------------------------------------------------------- ranges


def split_point(n: int) -> int:
    """The RFC's k: the largest power of two strictly smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _range_node_ids(lo: int, hi: int) -> list[NodeId]:
    """The complete aligned subtrees whose right-to-left fold is MTH(D[lo:hi]).

    Only valid for ranges the RFC recursion produces: lo is a multiple of a power of
    two at least hi - lo, so taking the largest power of two that fits, repeatedly,
    always yields aligned subtrees -- exactly the left/right split MTH itself makes.
    """
    ids: list[NodeId] = []
    while lo < hi:
        level = (hi - lo).bit_length() - 1
        assert lo % (1 << level) == 0, "range is not one the RFC recursion produces"
        ids.append(NodeId(level, lo >> level))
        lo += 1 << level
    return ids


def _inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Leaf ranges whose MTHs form PATH(index, D[0:size]), bottom-up as the RFC orders them."""
    ranges: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = split_point(hi - lo)
        if index < lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
    ranges.reverse()
    return ranges


def _consistency_ranges(first: int, second: int) -> list[tuple[int, int]]:
    """Leaf ranges whose MTHs form PROOF(first, D[0:second]) = SUBPROOF(first, D[second], true).

    The recursion is unrolled: ``first`` stays absolute, so the RFC's "m == n" is
    ``first == hi`` and "m <= k" is ``first <= lo + k``.
    """
    ranges: list[tuple[int, int]] = []
    lo, hi = 0, second
    # The RFC's b: while the old tree is still a left-aligned prefix of the current
    # subtree, the verifier already knows its hash and it is left out of the proof.
    old_root_known = True
    while hi != first:
        k = split_point(hi - lo)
        if first <= lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
            old_root_known = False
    if not old_root_known:
        ranges.append((lo, hi))
    ranges.reverse()
    return ranges


def fold(hashes: Sequence[bytes]) -> bytes:
    """MTH of consecutive subtrees listed left to right, largest first (RFC 9162 2.1.1)."""
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def _read(nodes: Mapping[NodeId, bytes], node_id: NodeId) -> bytes:
    value = nodes.get(node_id)
    if value is None:
        raise ChainBroken(f"{node_id} is missing from the node store", field="node")
    if len(value) != HASH_SIZE:
        raise ChainBroken(
            f"{node_id} holds {len(value)} bytes, expected a {HASH_SIZE}-byte hash", field="node"
        )
    return value


def _hash_ranges(ranges: Iterable[tuple[int, int]], nodes: Mapping[NodeId, bytes]) -> list[bytes]:
    return [fold([_read(nodes, i) for i in _range_node_ids(lo, hi)]) for lo, hi in ranges]


def _ids_for(ranges: Iterable[tuple[int, int]]) -> list[NodeId]:
    return [node_id for lo, hi in ranges for node_id in _range_node_ids(lo, hi)]


# --------------------------------------------------------------------------- arguments


def is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def check_size(size: int) -> None:
    if size < 0:
        raise InvalidInput(f"tree size must not be negative, got {size}", field="size")


def check_inclusion(index: int, size: int) -> None:
    if not 0 <= index < size:
        raise InvalidInput(
            f"leaf index {index} is not in a tree of size {size} (valid: 0 <= index < size)",
            field="index",
        )


def check_consistency(first: int, second: int) -> None:
    if first <= 0:
        raise InvalidInput(
            f"first tree size must be at least 1, got {first}: RFC 9162 defines no "
            "consistency proof from the empty tree, since every tree extends it; "
            "a client without a previous checkpoint should simply trust the new one",
            field="first",
        )
    if first > second:
        raise InvalidInput(
            f"first tree size {first} is larger than second tree size {second}; "
            "a log only grows, so ask for the proof the other way round",
            field="second",
        )


# --------------------------------------------------------------------------- stored nodes


def root_nodes(size: int) -> list[NodeId]:
    """Stored nodes whose fold is the root of the tree of ``size`` leaves (one per set bit)."""
    check_size(size)
    return _range_node_ids(0, size)


def root_from_nodes(size: int, nodes: Mapping[NodeId, bytes]) -> bytes:
    """RFC 9162 MTH(D[0:size]) from the nodes named by :func:`root_nodes`."""
    ids = root_nodes(size)
    if not ids:
        return EMPTY_ROOT
    return fold([_read(nodes, i) for i in ids])


@lru_cache(maxsize=4096)
def _inclusion_plan(index: int, size: int) -> tuple[tuple[NodeId, ...], ...]:
    """Per element of PATH(index, D[0:size]), bottom-up, the stored nodes it folds. Kept for
    recent leaves: an audit or a proof names a leaf's nodes, then builds its path from them."""
    return tuple(tuple(_range_node_ids(lo, hi)) for lo, hi in _inclusion_ranges(index, size))


def inclusion_proof_nodes(index: int, size: int) -> list[NodeId]:
    """Stored nodes needed for PATH(index, D[0:size]); at most about 2*log2(size) of them."""
    check_inclusion(index, size)
    return [node for group in _inclusion_plan(index, size) for node in group]


def build_inclusion_proof(index: int, size: int, nodes: Mapping[NodeId, bytes]) -> list[bytes]:
    """RFC 9162 audit path PATH(index, D[0:size]) from the nodes of :func:`inclusion_proof_nodes`.

    Raises ChainBroken naming the first node that is absent or not a hash.
    """
    check_inclusion(index, size)
    return [
        _read(nodes, group[0]) if len(group) == 1 else fold([_read(nodes, i) for i in group])
        for group in _inclusion_plan(index, size)
    ]


def consistency_proof_nodes(first: int, second: int) -> list[NodeId]:
    """Stored nodes needed for PROOF(first, D[0:second]); empty when first == second."""
    check_consistency(first, second)
    return _ids_for(_consistency_ranges(first, second))


def build_consistency_proof(first: int, second: int, nodes: Mapping[NodeId, bytes]) -> list[bytes]:
    """RFC 9162 PROOF(first, D[0:second]) from the nodes of :func:`consistency_proof_nodes`."""
    check_consistency(first, second)
    return _hash_ranges(_consistency_ranges(first, second), nodes)
