"""Appending to the log: the compact range of a tree and the nodes each new leaf completes."""

from __future__ import annotations

from dataclasses import dataclass

from traceability.errors import InvalidInput
from traceability.log.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    NodeId,
    check_size,
    fold,
    is_hash,
    leaf_hash,
    node_hash,
    root_nodes,
)


@dataclass(frozen=True)
class Frontier:
    """Compact range [0, size): the hashes of the complete subtrees that make up the tree.

    One hash per set bit of ``size``, largest (leftmost) subtree first. It is all an
    appender needs to compute the root and every node the next leaf completes, so
    appending never reads the node store.
    """

    size: int
    hashes: tuple[bytes, ...]

    def __post_init__(self) -> None:
        check_size(self.size)
        if len(self.hashes) != self.size.bit_count():
            raise InvalidInput(
                f"a tree of size {self.size} has {self.size.bit_count()} frontier hashes, "
                f"got {len(self.hashes)}",
                field="frontier",
            )
        if not all(is_hash(h) for h in self.hashes):
            raise InvalidInput(f"frontier hashes must be {HASH_SIZE} bytes", field="frontier")

    @classmethod
    def empty(cls) -> Frontier:
        return cls(0, ())

    def node_ids(self) -> list[NodeId]:
        """Where each of :attr:`hashes` lives in the node store."""
        return root_nodes(self.size)

    def root(self) -> bytes:
        return fold(self.hashes) if self.hashes else EMPTY_ROOT

    def append(self, leaf: bytes) -> tuple[Frontier, list[tuple[NodeId, bytes]]]:
        """Append leaf *data* (hashed here with :func:`leaf_hash`).

        Returns the new frontier and every node this append completes -- the leaf at
        level 0 and each parent it closes -- which is exactly what must be inserted.
        """
        return self.append_leaf_hash(leaf_hash(leaf))

    def append_leaf_hash(self, hashed_leaf: bytes) -> tuple[Frontier, list[tuple[NodeId, bytes]]]:
        """Like :meth:`append` for a caller that already holds the leaf hash."""
        if not is_hash(hashed_leaf):
            raise InvalidInput(f"a leaf hash is {HASH_SIZE} bytes", field="leaf_hash")
        n = self.size
        stack = list(self.hashes)
        carry = hashed_leaf
        created = [(NodeId(0, n), carry)]
        level = 0
        # Like binary increment: each trailing 1 bit of n is a subtree of equal size
        # just left of the new leaf, which now merges with it into a complete parent.
        while (n >> level) & 1:
            carry = node_hash(stack.pop(), carry)
            level += 1
            created.append((NodeId(level, ((n + 1) >> level) - 1), carry))
        stack.append(carry)
        return Frontier(n + 1, tuple(stack)), created

    def to_bytes(self) -> bytes:
        return b"".join(self.hashes)

    @classmethod
    def from_bytes(cls, size: int, blob: bytes) -> Frontier:
        check_size(size)
        expected = size.bit_count() * HASH_SIZE
        if len(blob) != expected:
            raise InvalidInput(
                f"a frontier of a tree of size {size} is {expected} bytes, got {len(blob)}",
                field="frontier",
            )
        return cls(size, tuple(blob[i : i + HASH_SIZE] for i in range(0, expected, HASH_SIZE)))
