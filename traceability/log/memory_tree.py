"""In-memory logs: the RFC 9162 definitions transcribed (the oracle of the stored-node math)
and a node store kept in memory, for tests, benchmarks and local runs."""

from __future__ import annotations

from collections.abc import Iterable

from traceability.errors import ChainBroken, InvalidInput
from traceability.log.frontier import Frontier
from traceability.log.merkle import (
    EMPTY_ROOT,
    NodeId,
    build_consistency_proof,
    build_inclusion_proof,
    check_consistency,
    check_inclusion,
    check_size,
    consistency_proof_nodes,
    inclusion_proof_nodes,
    leaf_hash,
    node_hash,
    root_from_nodes,
    root_nodes,
    split_point,
)


class MemoryTree:
    """In-memory log computed straight from the RFC 9162 recursive definitions.

    The test oracle (and a baseline for benchmarks). Subtree hashes are memoised;
    that is sound because a range [lo, hi) of an append-only log never changes.
    """

    def __init__(self, leaves: Iterable[bytes] = ()) -> None:
        self._leaves: list[bytes] = []
        self._memo: dict[tuple[int, int], bytes] = {}
        for leaf in leaves:
            self.append(leaf)

    @property
    def size(self) -> int:
        return len(self._leaves)

    def append(self, leaf: bytes) -> int:
        """Append leaf data; returns its index."""
        self._leaves.append(leaf_hash(leaf))
        return len(self._leaves) - 1

    def leaf_hash(self, index: int) -> bytes:
        check_inclusion(index, self.size)
        return self._leaves[index]

    def _size(self, size: int | None) -> int:
        if size is None:
            return self.size
        check_size(size)
        if size > self.size:
            raise InvalidInput(
                f"tree size {size} is beyond the {self.size} leaves appended", field="size"
            )
        return size

    def root(self, size: int | None = None) -> bytes:
        return self._mth(0, self._size(size))

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        size = self._size(size)
        check_inclusion(index, size)
        return self._path(index, 0, size)

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        second = self._size(second)
        check_consistency(first, second)
        return self._subproof(first, 0, second, True)

    def _mth(self, lo: int, hi: int) -> bytes:
        n = hi - lo
        if n == 0:
            return EMPTY_ROOT
        if n == 1:
            return self._leaves[lo]
        cached = self._memo.get((lo, hi))
        if cached is None:
            k = split_point(n)
            cached = node_hash(self._mth(lo, lo + k), self._mth(lo + k, hi))
            self._memo[(lo, hi)] = cached
        return cached

    def _path(self, m: int, lo: int, hi: int) -> list[bytes]:
        """PATH(m, D[lo:hi]) with m relative to lo."""
        n = hi - lo
        if n == 1:
            return []
        k = split_point(n)
        if m < k:
            return [*self._path(m, lo, lo + k), self._mth(lo + k, hi)]
        return [*self._path(m - k, lo + k, hi), self._mth(lo, lo + k)]

    def _subproof(self, m: int, lo: int, hi: int, b: bool) -> list[bytes]:
        """SUBPROOF(m, D[lo:hi], b) with m relative to lo."""
        n = hi - lo
        if m == n:
            return [] if b else [self._mth(lo, hi)]
        k = split_point(n)
        if m <= k:
            return [*self._subproof(m, lo, lo + k, b), self._mth(lo + k, hi)]
        return [*self._subproof(m - k, lo + k, hi, False), self._mth(lo, lo + k)]


class MemoryNodeStore:
    """Stored-node log kept in a dict, the way the database keeps it in a table.

    Appends go through :meth:`Frontier.append`; proofs read only the node ids the
    ``*_nodes`` functions name, and :attr:`reads` counts them so tests and
    benchmarks can check the O(log n) claim.
    """

    def __init__(self) -> None:
        self.nodes: dict[NodeId, bytes] = {}
        self.frontier = Frontier.empty()
        self.reads = 0

    @property
    def size(self) -> int:
        return self.frontier.size

    def append(self, leaf: bytes) -> list[NodeId]:
        """Append leaf data; returns the ids of the nodes inserted."""
        self.frontier, created = self.frontier.append(leaf)
        for node_id, value in created:
            if node_id in self.nodes:
                raise ChainBroken(f"{node_id} would be written twice", field="node")
            self.nodes[node_id] = value
        return [node_id for node_id, _ in created]

    def fetch(self, ids: Iterable[NodeId]) -> dict[NodeId, bytes]:
        """Only the requested nodes, as one database query would return them."""
        found: dict[NodeId, bytes] = {}
        for node_id in ids:
            self.reads += 1
            if node_id in self.nodes:
                found[node_id] = self.nodes[node_id]
        return found

    def root(self, size: int | None = None) -> bytes:
        size = self.size if size is None else size
        return root_from_nodes(size, self.fetch(root_nodes(size)))

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        size = self.size if size is None else size
        return build_inclusion_proof(index, size, self.fetch(inclusion_proof_nodes(index, size)))

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        second = self.size if second is None else second
        return build_consistency_proof(
            first, second, self.fetch(consistency_proof_nodes(first, second))
        )
