"""RFC 9162 Merkle tree math for the portal-wide transparency log.

The log stores only *complete aligned subtrees* ("nodes"): level 0 index i is the
hash of leaf i, level L index i is the root of leaves [i*2^L, (i+1)*2^L). Such a
node never changes once its last leaf is appended, so the database can insert it
once and never update it. Every hash the RFC defines over a prefix of the log --
roots, audit paths, consistency proofs -- is a right-to-left fold of a handful of
these nodes, which is why proofs cost O(log n) reads instead of a tree walk.

This module is pure: callers decide where nodes live. :class:`MemoryTree` is a
direct transcription of the RFC's recursive definitions (MTH, PATH, SUBPROOF) and
serves as the oracle the stored-node path is tested against.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from traceability.errors import ChainBroken, InvalidInput

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

# Domain separation (RFC 9162 2.1.1): without distinct prefixes an interior node
# could be passed off as a leaf whose data is the concatenation of two hashes.
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
_sha256 = hashlib.sha256


def leaf_hash(data: bytes) -> bytes:
    """MTH of a one-entry list: SHA-256(0x00 || data)."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


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


def _split(n: int) -> int:
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
        k = _split(hi - lo)
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
        k = _split(hi - lo)
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


def _fold(hashes: Sequence[bytes]) -> bytes:
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
    return [_fold([_read(nodes, i) for i in _range_node_ids(lo, hi)]) for lo, hi in ranges]


def _ids_for(ranges: Iterable[tuple[int, int]]) -> list[NodeId]:
    return [node_id for lo, hi in ranges for node_id in _range_node_ids(lo, hi)]


# --------------------------------------------------------------------------- arguments


def _check_size(size: int) -> None:
    if size < 0:
        raise InvalidInput(f"tree size must not be negative, got {size}", field="size")


def _check_inclusion(index: int, size: int) -> None:
    if not 0 <= index < size:
        raise InvalidInput(
            f"leaf index {index} is not in a tree of size {size} (valid: 0 <= index < size)",
            field="index",
        )


def _check_consistency(first: int, second: int) -> None:
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
    _check_size(size)
    return _range_node_ids(0, size)


def root_from_nodes(size: int, nodes: Mapping[NodeId, bytes]) -> bytes:
    """RFC 9162 MTH(D[0:size]) from the nodes named by :func:`root_nodes`."""
    ids = root_nodes(size)
    if not ids:
        return EMPTY_ROOT
    return _fold([_read(nodes, i) for i in ids])


def inclusion_proof_nodes(index: int, size: int) -> list[NodeId]:
    """Stored nodes needed for PATH(index, D[0:size]); at most about 2*log2(size) of them."""
    _check_inclusion(index, size)
    return _ids_for(_inclusion_ranges(index, size))


def build_inclusion_proof(index: int, size: int, nodes: Mapping[NodeId, bytes]) -> list[bytes]:
    """RFC 9162 audit path PATH(index, D[0:size]) from the nodes of :func:`inclusion_proof_nodes`.

    Raises ChainBroken naming the first node that is absent or not a hash.
    """
    _check_inclusion(index, size)
    return _hash_ranges(_inclusion_ranges(index, size), nodes)


def consistency_proof_nodes(first: int, second: int) -> list[NodeId]:
    """Stored nodes needed for PROOF(first, D[0:second]); empty when first == second."""
    _check_consistency(first, second)
    return _ids_for(_consistency_ranges(first, second))


def build_consistency_proof(first: int, second: int, nodes: Mapping[NodeId, bytes]) -> list[bytes]:
    """RFC 9162 PROOF(first, D[0:second]) from the nodes of :func:`consistency_proof_nodes`."""
    _check_consistency(first, second)
    return _hash_ranges(_consistency_ranges(first, second), nodes)


# --------------------------------------------------------------------------- verification


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 2.1.3.2. False, never an exception, for anything that does not prove inclusion.

    ``size`` and ``root`` must come from the same signed checkpoint: the audit path
    alone does not pin the tree size (the path for leaf 0 of 3 leaves has the same
    shape as for 4 leaves), only the pair (size, root) does.
    """
    # One walk for both: a fresh verifier shares nothing, so it walks the whole proof.
    return InclusionVerifier(size, root).verify(leaf_hash, index, proof)


class InclusionVerifier:
    """:func:`verify_inclusion` for many leaves against one checkpoint (``size``, ``root``).

    Neighbouring leaves share the upper part of their audit paths. Once a leaf is
    proven, the node its walk reached at each level is known to be the true node
    there, and so is the rest of its proof from that node up. The next leaf's path
    joins that path at the level where the two indexes stop differing; if its walk
    reaches the joining node with the same hash, and the rest of its proof is that same
    list of hashes, the rest of its walk would repeat exactly the computation that
    already ended at the root, so it stops there and answers True. Otherwise it walks
    the whole proof as :func:`verify_inclusion` does. Every answer is the one
    :func:`verify_inclusion` gives.
    """

    __slots__ = ("_hashes", "_last", "_proofs", "_root_ok", "_straight", "root", "size")

    def __init__(self, size: int, root: bytes) -> None:
        self.size = size
        self.root = root
        self._root_ok = _is_hash(root)
        # The path of the leaf proven last (-1: none yet). At each level k up to
        # _straight, where its walk still took one proof element per level: the hash
        # reached after k elements, and a proof whose elements from k on led from there
        # to the root (above the level where that leaf joined the path before it, the
        # earlier leaf's proof).
        self._last = -1
        self._straight = -1
        self._hashes: list[bytes] = []
        self._proofs: list[list[bytes]] = []

    def verify(self, leaf_hash: bytes, index: int, proof: Sequence[bytes]) -> bool:
        """Same answer as ``verify_inclusion(leaf_hash, index, size, proof, root)``."""
        size = self.size
        if (
            not self._root_ok
            or not isinstance(leaf_hash, bytes)
            or len(leaf_hash) != HASH_SIZE
            or not 0 <= index < size
        ):
            return False
        try:
            if type(proof) is not list:
                proof = list(proof)
            last = self._last
            if last >= 0:
                join = (index ^ last).bit_length()
                # From level ``edge`` up this path runs along the right edge of the tree,
                # where a node whose index bit is 0 has no right sibling and is carried up
                # without a proof element. Below ``join`` there must be no such node, so
                # that each element is one level, on the side the index bit says.
                edge = (index ^ (size - 1)).bit_length()
                if (
                    join <= self._straight
                    and len(proof) >= join
                    and (edge >= join or not (~index >> edge) & ((1 << (join - edge)) - 1))
                ):
                    r = leaf_hash
                    hashes = [r]
                    for k in range(join):
                        if index >> k & 1:
                            r = _sha256(_NODE_PREFIX + proof[k] + r).digest()
                        else:
                            r = _sha256(_NODE_PREFIX + r + proof[k]).digest()
                        hashes.append(r)
                    if r == self._hashes[join] and proof[join:] == self._proofs[join][join:]:
                        self._hashes[: join + 1] = hashes
                        self._proofs[: join + 1] = [proof] * (join + 1)
                        self._last = index
                        return True
            return self._walk(leaf_hash, index, proof)
        except TypeError:
            return False

    def _walk(self, leaf_hash: bytes, index: int, proof: list[bytes]) -> bool:
        """verify_inclusion's walk, remembering the path when it proves one."""
        fn, sn = index, self.size - 1
        r = leaf_hash
        hashes = [r]
        straight = -1  # the level where a node was first carried up (-1: none was)
        for p in proof:
            if sn == 0:
                return False
            if fn & 1 or fn == sn:
                r = _sha256(_NODE_PREFIX + p + r).digest()
                if not fn & 1 and fn != 0 and straight < 0:
                    straight = len(hashes) - 1
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
            else:
                r = _sha256(_NODE_PREFIX + r + p).digest()
            fn >>= 1
            sn >>= 1
            hashes.append(r)
        if not (sn == 0 and hmac.compare_digest(r, self.root)):
            return False
        self._straight = len(hashes) - 1 if straight < 0 else straight
        self._hashes = hashes
        self._proofs = [proof] * len(hashes)
        self._last = index
        return True


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 2.1.4.2. False, never an exception, for anything that does not prove consistency.

    first == second is consistent exactly when the proof is empty and the roots are
    equal. first == 0 is refused like any other size no proof exists for (see
    :func:`consistency_proof_nodes`).
    """
    if not (_is_hash(first_root) and _is_hash(second_root) and all(_is_hash(p) for p in proof)):
        return False
    if not 0 < first <= second:
        return False
    if first == second:
        return not proof and hmac.compare_digest(first_root, second_root)
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:
        # The old tree is a complete left subtree of the new one; the prover omits
        # its hash because the verifier already holds it.
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and hmac.compare_digest(fr, first_root) and hmac.compare_digest(sr, second_root)


# --------------------------------------------------------------------------- append


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
        _check_size(self.size)
        if len(self.hashes) != self.size.bit_count():
            raise InvalidInput(
                f"a tree of size {self.size} has {self.size.bit_count()} frontier hashes, "
                f"got {len(self.hashes)}",
                field="frontier",
            )
        if not all(_is_hash(h) for h in self.hashes):
            raise InvalidInput(f"frontier hashes must be {HASH_SIZE} bytes", field="frontier")

    @classmethod
    def empty(cls) -> Frontier:
        return cls(0, ())

    def node_ids(self) -> list[NodeId]:
        """Where each of :attr:`hashes` lives in the node store."""
        return root_nodes(self.size)

    def root(self) -> bytes:
        return _fold(self.hashes) if self.hashes else EMPTY_ROOT

    def append(self, leaf: bytes) -> tuple[Frontier, list[tuple[NodeId, bytes]]]:
        """Append leaf *data* (hashed here with :func:`leaf_hash`).

        Returns the new frontier and every node this append completes -- the leaf at
        level 0 and each parent it closes -- which is exactly what must be inserted.
        """
        return self.append_leaf_hash(leaf_hash(leaf))

    def append_leaf_hash(self, hashed_leaf: bytes) -> tuple[Frontier, list[tuple[NodeId, bytes]]]:
        """Like :meth:`append` for a caller that already holds the leaf hash."""
        if not _is_hash(hashed_leaf):
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
        _check_size(size)
        expected = size.bit_count() * HASH_SIZE
        if len(blob) != expected:
            raise InvalidInput(
                f"a frontier of a tree of size {size} is {expected} bytes, got {len(blob)}",
                field="frontier",
            )
        return cls(size, tuple(blob[i : i + HASH_SIZE] for i in range(0, expected, HASH_SIZE)))


# --------------------------------------------------------------------------- references


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
        _check_inclusion(index, self.size)
        return self._leaves[index]

    def _size(self, size: int | None) -> int:
        if size is None:
            return self.size
        _check_size(size)
        if size > self.size:
            raise InvalidInput(
                f"tree size {size} is beyond the {self.size} leaves appended", field="size"
            )
        return size

    def root(self, size: int | None = None) -> bytes:
        return self._mth(0, self._size(size))

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        size = self._size(size)
        _check_inclusion(index, size)
        return self._path(index, 0, size)

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        second = self._size(second)
        _check_consistency(first, second)
        return self._subproof(first, 0, second, True)

    def _mth(self, lo: int, hi: int) -> bytes:
        n = hi - lo
        if n == 0:
            return EMPTY_ROOT
        if n == 1:
            return self._leaves[lo]
        cached = self._memo.get((lo, hi))
        if cached is None:
            k = _split(n)
            cached = node_hash(self._mth(lo, lo + k), self._mth(lo + k, hi))
            self._memo[(lo, hi)] = cached
        return cached

    def _path(self, m: int, lo: int, hi: int) -> list[bytes]:
        """PATH(m, D[lo:hi]) with m relative to lo."""
        n = hi - lo
        if n == 1:
            return []
        k = _split(n)
        if m < k:
            return [*self._path(m, lo, lo + k), self._mth(lo + k, hi)]
        return [*self._path(m - k, lo + k, hi), self._mth(lo, lo + k)]

    def _subproof(self, m: int, lo: int, hi: int, b: bool) -> list[bytes]:
        """SUBPROOF(m, D[lo:hi], b) with m relative to lo."""
        n = hi - lo
        if m == n:
            return [] if b else [self._mth(lo, hi)]
        k = _split(n)
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
