"""What one process has already proven about the log, so that an audit checks only what is new.

Every lot page audits its lot's chain against the newest signed checkpoint, and the log signs
a new checkpoint with every append. Two facts, once proven, stay true whatever the database
says later, because each is about hashes that a signature pins:

- a checkpoint (size, root) extends an earlier one (a consistency proof verified): then the
  checkpoints proven that way form one *lineage*, every member a prefix of the later ones;
- the leaf hash ``h`` sits at ``index`` of a lineage member (an inclusion proof verified):
  then it sits there in every member of at least ``index + 1`` leaves.

So an audit against a lineage member need not read and re-verify the inclusion proof of a
leaf proven before. It still recomputes each event's hash from the stored row and compares
it with the log's stored leaf and level-0 node (chain/audit.py): the memo is keyed by the
leaf hash recomputed from what is stored, so a tampered event or log leaf misses it and fails
as before. What it no longer catches is a stored *interior* node altered after a leaf was
proven: that alters nothing the signed checkpoints say, and the log audit
(services/log_audit) checks every node against them.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Final

from traceability.log.proof_verification import InclusionVerifier

# Bounds: a leaf remembered costs ~150 bytes, a checkpoint ~100. Forgetting only costs a
# re-verification.
MAX_LEAVES: Final = 200_000
MAX_CHECKPOINTS: Final = 10_000


class ProvenLog:
    """The lineage of checkpoints proven consistent, and the leaves proven in it (LRU)."""

    def __init__(self, max_leaves: int = MAX_LEAVES, max_checkpoints: int = MAX_CHECKPOINTS):
        self.max_leaves = max_leaves
        self.max_checkpoints = max_checkpoints
        self._lineage: OrderedDict[int, bytes] = OrderedDict()  # size -> root, as added
        self._leaves: OrderedDict[tuple[int, bytes], None] = OrderedDict()
        self._newest: int | None = None

    def newest(self) -> tuple[int, bytes] | None:
        """The largest checkpoint of the lineage, if any."""
        size = self._newest
        return None if size is None else (size, self._lineage[size])

    def holds(self, size: int, root: bytes) -> bool:
        """Whether the checkpoint (size, root) is a member of the lineage."""
        return self._lineage.get(size) == root

    def start(self, size: int, root: bytes) -> None:
        """Begin a new lineage at a checkpoint whose signature was checked, forgetting all
        else (the old lineage may not be consistent with it)."""
        self._lineage.clear()
        self._leaves.clear()
        self._lineage[size] = root
        self._newest = size

    def extend(self, size: int, root: bytes) -> None:
        """Add a checkpoint proven consistent with a member: extending the newest one, or a
        prefix of a member (then it is a prefix of every larger member too)."""
        if self._newest is None:
            raise ValueError("a lineage is started, then extended")
        self._lineage[size] = root
        self._newest = max(self._newest, size)
        while len(self._lineage) > self.max_checkpoints:
            gone, _ = self._lineage.popitem(last=False)
            if gone == self._newest:
                self._newest = max(self._lineage)

    def includes(self, leaf_hash: bytes, index: int, size: int, root: bytes) -> bool:
        """Whether ``leaf_hash`` was proven at ``index`` and (size, root) is in the lineage."""
        key = (index, leaf_hash)
        if index >= size or key not in self._leaves or not self.holds(size, root):
            return False
        self._leaves.move_to_end(key)
        return True

    def remember(self, leaf_hash: bytes, index: int, size: int, root: bytes) -> None:
        """A leaf proven at ``index`` of (size, root); kept only if that is in the lineage."""
        if not self.holds(size, root):
            return
        self._leaves[(index, leaf_hash)] = None
        self._leaves.move_to_end((index, leaf_hash))
        while len(self._leaves) > self.max_leaves:
            self._leaves.popitem(last=False)


class RememberingInclusion(InclusionVerifier):
    """An :class:`InclusionVerifier` that answers at once for leaves ``proven`` holds, and
    remembers every leaf it proves."""

    __slots__ = ("proven",)

    def __init__(self, size: int, root: bytes, proven: ProvenLog) -> None:
        super().__init__(size, root)
        self.proven = proven

    def verify(self, leaf_hash: bytes, index: int, proof: Sequence[bytes]) -> bool:
        if self.proven.includes(leaf_hash, index, self.size, self.root):
            return True
        if not super().verify(leaf_hash, index, proof):
            return False
        self.proven.remember(leaf_hash, index, self.size, self.root)
        return True
