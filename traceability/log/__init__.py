"""The portal-wide transparency log: RFC 9162 Merkle math and C2SP signed checkpoints."""

from traceability.log.frontier import Frontier
from traceability.log.memory_tree import MemoryNodeStore, MemoryTree
from traceability.log.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
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
from traceability.log.note import (
    Checkpoint,
    NoteSigner,
    NoteVerifier,
    ed25519_key_id,
    open_checkpoint,
    parse_checkpoint,
    sign_checkpoint,
)
from traceability.log.proof_verification import (
    InclusionVerifier,
    verify_consistency,
    verify_inclusion,
)

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "Checkpoint",
    "Frontier",
    "InclusionVerifier",
    "MemoryNodeStore",
    "MemoryTree",
    "NodeId",
    "NoteSigner",
    "NoteVerifier",
    "build_consistency_proof",
    "build_inclusion_proof",
    "consistency_proof_nodes",
    "ed25519_key_id",
    "inclusion_proof_nodes",
    "leaf_hash",
    "node_hash",
    "open_checkpoint",
    "parse_checkpoint",
    "root_from_nodes",
    "root_nodes",
    "sign_checkpoint",
    "verify_consistency",
    "verify_inclusion",
]
