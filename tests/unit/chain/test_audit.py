"""The pure chain audit: each kind of damage is named at the first event it touches."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from traceability.chain.audit import (
    ChainEntry,
    Fault,
    KeyInfo,
    LogEvidence,
    TrustedRoot,
    audit_chain,
)
from traceability.chain.record import EventRecord, LotKey, link_event
from traceability.crypto.signing import SigningKey
from traceability.log.memory_tree import MemoryTree
from traceability.log.merkle import leaf_hash

LOT = LotKey("08930000000019", "L1")
ORG = "org-1"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def build_chain(length: int = 4, key: SigningKey | None = None):
    key = key or SigningKey.generate()
    heads = {LOT: (0, None)}
    records, hashes = [], []
    tree = MemoryTree()
    for i in range(length):
        links = link_event(heads, [LOT])
        record = EventRecord(
            {"eventID": f"urn:uuid:{i}", "type": "ObjectEvent"},
            ORG,
            key.key_id,
            links,
            T0 + timedelta(minutes=i),
        )
        digest = record.hash()
        heads[LOT] = (links[0].seq, digest)
        records.append(record)
        hashes.append(digest)
        tree.append(digest)
    root = TrustedRoot(length, tree.root(length))
    entries = [
        ChainEntry(r, h, key.sign(h), LogEvidence(i, h, tree.inclusion_proof(i, length)))
        for i, (r, h) in enumerate(zip(records, hashes, strict=True))
    ]
    keys = {key.key_id: KeyInfo(key.key_id, ORG, key.public_raw, T0)}
    return entries, keys, root, heads[LOT]


def test_an_honest_chain_is_intact() -> None:
    entries, keys, root, head = build_chain()
    result = audit_chain(LOT, entries, keys, root, head)
    assert result.intact and result.checked == 4


def test_an_empty_chain_with_an_empty_head_is_intact() -> None:
    assert audit_chain(LOT, [], {}, None, (0, None)).intact


def test_edited_content_is_a_hash_mismatch() -> None:
    entries, keys, root, head = build_chain()
    edited = replace(entries[1].record, event={"eventID": "urn:uuid:1", "type": "Forged"})
    entries[1] = replace(entries[1], record=edited)
    finding = audit_chain(LOT, entries, keys, root, head).first_bad
    assert finding is not None and (finding.fault, finding.seq) == (Fault.HASH_MISMATCH, 2)


def test_a_missing_event_is_a_gap() -> None:
    entries, keys, root, head = build_chain()
    del entries[1]
    finding = audit_chain(LOT, entries, keys, root, head).first_bad
    # Named by the place it is missing from: the event found after the hole is innocent.
    assert finding is not None and (finding.fault, finding.seq) == (Fault.GAP, 2)
    assert finding.event_id is None


def test_a_lost_tail_is_a_truncation() -> None:
    entries, keys, root, head = build_chain()
    finding = audit_chain(LOT, entries[:-1], keys, root, head).first_bad
    assert finding is not None and finding.fault == Fault.TRUNCATED


def test_a_signature_by_another_key_is_bad() -> None:
    entries, keys, root, head = build_chain()
    entries[2] = replace(entries[2], signature=SigningKey.generate().sign(entries[2].stored_hash))
    finding = audit_chain(LOT, entries, keys, root, head).first_bad
    assert finding is not None and (finding.fault, finding.seq) == (Fault.BAD_SIGNATURE, 3)


def test_a_key_of_another_organisation_is_bad() -> None:
    entries, keys, root, head = build_chain()
    keys = {k: replace(v, organization_id="someone-else") for k, v in keys.items()}
    finding = audit_chain(LOT, entries, keys, root, head).first_bad
    assert finding is not None and finding.fault == Fault.BAD_SIGNATURE


def test_an_unknown_key_is_named() -> None:
    entries, _, root, head = build_chain()
    finding = audit_chain(LOT, entries, {}, root, head).first_bad
    assert finding is not None and finding.fault == Fault.UNKNOWN_KEY


def test_events_recorded_after_their_key_was_revoked_are_not_valid() -> None:
    entries, keys, root, head = build_chain()
    keys = {k: replace(v, revoked_at=T0 + timedelta(minutes=2)) for k, v in keys.items()}
    finding = audit_chain(LOT, entries, keys, root, head).first_bad
    # Events 1 and 2 predate the revocation and stay valid: rotation keeps history verifiable.
    assert finding is not None and (finding.fault, finding.seq) == (Fault.KEY_NOT_VALID, 3)


def test_an_event_whose_log_leaf_differs_is_not_in_the_log() -> None:
    entries, keys, root, head = build_chain()
    log = entries[1].log
    assert log is not None
    entries[1] = replace(entries[1], log=replace(log, leaf_data=bytes(32)))
    finding = audit_chain(LOT, entries, keys, root, head).first_bad
    assert finding is not None and (finding.fault, finding.seq) == (Fault.NOT_IN_LOG, 2)


def test_an_event_beyond_the_checkpoint_is_not_in_the_log() -> None:
    entries, keys, _root, head = build_chain()
    smaller = TrustedRoot(3, b"")
    finding = audit_chain(LOT, entries, keys, smaller, head).first_bad
    assert finding is not None and finding.fault == Fault.NOT_IN_LOG


def test_a_wrong_root_fails_inclusion() -> None:
    entries, keys, root, head = build_chain()
    finding = audit_chain(LOT, entries, keys, TrustedRoot(root.size, leaf_hash(b"x")), head)
    assert finding.first_bad is not None and finding.first_bad.fault == Fault.NOT_IN_LOG
