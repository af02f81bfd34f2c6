"""The whole-log audit: every leaf of the portal's Merkle log against its stored event, the
tree recomputed from the leaves against the stored nodes and state, and the stored checkpoints
against each other. It signs nothing and stores nothing: it reads, in one snapshot.

The per-lot audit starts from a lot and cannot see an event that no lot leads to any more
(a chain's last event deleted and its head rewound). Every recorded event is a leaf of the
log, and the log cannot be rewritten without breaking its signed checkpoints, so walking
the leaves finds such an event: its leaf is there, the event is not.

For each leaf, in index order: the event stored at its index must exist, its record (rebuilt
and hashed exactly as the per-lot audit does) must hash to the leaf, and its signature must
verify with its organisation's key, valid at its recording time. The leaves are folded into
a Merkle tree as they stream by: every complete subtree the fold closes must be the stored
node, the fold must give the signed root of every stored checkpoint it reaches, and at the
log's end the log's state row. A second fold over the events' hashes tells a rewritten leaf
(the events still give the signed root) from an event edited in place (the leaves do).

The audit trusts the latest stored checkpoint whose signature verifies with the log key.
Each stored checkpoint must verify; one whose root the leaves do not give, while a later one's
they do, is not consistent with that later one: the log key signed two histories. The log
signs a checkpoint with every append, so leaves past the latest signed checkpoint (or any
leaf, when no checkpoint is stored) mean checkpoints were removed: they are checked like
the others, counted, and named as a fault (uncovered_leaves).

A range of leaves starts from the stored subtree nodes of the leaves before it, and must
end in a tree the latest signed checkpoint extends (a consistency proof from the stored
nodes); what it cannot check from where it stands it lists as skipped. Memory stays bounded:
one batch of leaves with their nodes, one batch of checkpoints and two O(log n) frontiers.
"""
