"""How one audit uses what the process already proved about the log (traceability/log/proven.py):
which inclusion proofs it can skip, and the one consistency proof that carries the proven
lineage forward to the checkpoint the audit stands on.

The plan is optimistic: the nodes of that consistency proof are read with the audit's other
nodes, in the same round trip, as if it will verify; when it does not (a forked or rewritten
log), the lineage starts again at the audit's checkpoint and the skipped proofs are read and
checked after all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from traceability.errors import TraceabilityError
from traceability.log.merkle import (
    NodeId,
    build_consistency_proof,
    consistency_proof_nodes,
    leaf_hash,
)
from traceability.log.proof_verification import verify_consistency
from traceability.log.proven import ProvenLog


@dataclass(frozen=True)
class LineagePlan:
    """``usable``: the audit's checkpoint is, or will be once ``since`` is proven to reach
    it, in the lineage; ``since``: the lineage's newest member, to prove consistency from."""

    size: int
    root: bytes
    usable: bool
    since: tuple[int, bytes] | None = None

    @property
    def ids(self) -> list[NodeId]:
        """The nodes of the consistency proof from ``since``."""
        return [] if self.since is None else consistency_proof_nodes(self.since[0], self.size)


def plan(proven: ProvenLog, size: int, root: bytes) -> LineagePlan:
    """The plan for an audit standing on the signed checkpoint (size, root)."""
    if proven.holds(size, root):
        return LineagePlan(size, root, usable=True)
    newest = proven.newest()
    if newest is None or newest[0] == 0 or newest[0] == size:
        # Nothing proven yet, or a checkpoint of the same size with another root (a fork):
        # start over on this one, which a signature vouches for.
        proven.start(size, root)
        return LineagePlan(size, root, usable=True)
    if newest[0] > size:
        # An older checkpoint than the lineage's (a lagging snapshot): check everything.
        return LineagePlan(size, root, usable=False)
    return LineagePlan(size, root, usable=True, since=newest)


def skips(proven: ProvenLog, plan: LineagePlan, index: int, event_hash: bytes) -> bool:
    """Whether the inclusion proof of the stored ``event_hash`` at ``index`` need not be read:
    its leaf was proven in the lineage, below the size the plan proves consistency from."""
    if not plan.usable:
        return False
    size, root = plan.since if plan.since is not None else (plan.size, plan.root)
    return proven.includes(leaf_hash(event_hash), index, size, root)


def settle(proven: ProvenLog, plan: LineagePlan, nodes: Mapping[NodeId, bytes]) -> bool:
    """Prove the plan's consistency step from the nodes read; True when the audit's
    checkpoint is now in the lineage. False: the lineage started again at it, and nothing
    skipped may be trusted."""
    if plan.since is None:
        return plan.usable
    first, first_root = plan.since
    try:
        proof = build_consistency_proof(first, plan.size, nodes)
    except TraceabilityError:
        proof = None
    if proof is not None and verify_consistency(first, plan.size, first_root, plan.root, proof):
        proven.extend(plan.size, plan.root)
        return True
    proven.start(plan.size, plan.root)
    return False
