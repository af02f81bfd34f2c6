"""Checking RFC 9162 inclusion and consistency proofs against a trusted root."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from traceability.log.merkle import HASH_SIZE, NODE_PREFIX, is_hash, node_hash

_sha256 = hashlib.sha256


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
        self._root_ok = is_hash(root)
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
                            r = _sha256(NODE_PREFIX + proof[k] + r).digest()
                        else:
                            r = _sha256(NODE_PREFIX + r + proof[k]).digest()
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
                r = _sha256(NODE_PREFIX + p + r).digest()
                if not fn & 1 and fn != 0 and straight < 0:
                    straight = len(hashes) - 1
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
            else:
                r = _sha256(NODE_PREFIX + r + p).digest()
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
    if not (is_hash(first_root) and is_hash(second_root) and all(is_hash(p) for p in proof)):
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
