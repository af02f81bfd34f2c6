"""Each leaf's event: it must be stored, hash to the leaf, and carry its organisation's
signature over that hash, made with a key valid at its recording time."""

from __future__ import annotations

from typing import Final

from traceability.chain.audit import KeyInfo
from traceability.chain.record import EventRecord
from traceability.crypto.signing import SignatureVerifier
from traceability.repositories.log_walk import LoggedLeaf
from traceability.repositories.lot_chain import KeyRow
from traceability.services.log_audit.results import Finding, Findings, LogFault
from traceability.services.rebuilt_records import record_of

# Signing keys kept loaded between batches; a log of many organisations loads them again.
_KEY_CACHE: Final = 4096


class LeafEventChecks:
    """Checks the event stored at each leaf's index; a fault is a finding."""

    def __init__(self, findings: Findings) -> None:
        self.findings = findings
        self.keys: dict[str, tuple[KeyInfo, SignatureVerifier]] = {}
        self.signatures_checked = 0

    def _bad(self, fault: LogFault, leaf: LoggedLeaf, event_id: str | None, message: str) -> None:
        self.findings.add(Finding(fault, message, index=leaf.index, event_id=event_id))

    def event_hash(self, leaf: LoggedLeaf) -> bytes | None:
        """The hash the stored event gives (None if it gives none), after checking it."""
        if leaf.event is None:
            self._bad(
                LogFault.EVENT_MISSING,
                leaf,
                leaf.event_id,
                f"leaf {leaf.index} names event {leaf.event_id}, and no event is stored "
                "at that log index",
            )
            return leaf.data
        event_id = str(leaf.event.row.event_id)
        try:
            record = record_of(leaf.event)
            computed = record.hash()
        except Exception as exc:  # a tampered body may not even canonicalise
            self._bad(
                LogFault.HASH_MISMATCH, leaf, event_id, f"the stored event cannot be hashed: {exc}"
            )
            return None
        if computed != leaf.data:
            self._bad(
                LogFault.HASH_MISMATCH,
                leaf,
                event_id,
                f"the stored event hashes to {computed.hex()}, but leaf {leaf.index} "
                f"holds {leaf.data.hex()}",
            )
        elif leaf.event.row.event_hash != computed:
            self._bad(
                LogFault.HASH_MISMATCH,
                leaf,
                event_id,
                f"the stored event records the hash {leaf.event.row.event_hash.hex()}, but "
                f"its content and leaf {leaf.index} hold {computed.hex()}",
            )
        self._check_signature(leaf, event_id, record, computed)
        return computed

    def _check_signature(
        self, leaf: LoggedLeaf, event_id: str, record: EventRecord, computed: bytes
    ) -> None:
        """The event's signature over its record hash, with its organisation's key, valid at
        its recording time: what the per-lot audit checks of each event on a chain."""
        assert leaf.event is not None
        self.signatures_checked += 1
        key_id = record.key_id
        loaded = self._key(leaf.key)
        if loaded is None:
            self._bad(LogFault.UNKNOWN_KEY, leaf, event_id, f"key {key_id} is unknown")
            return
        key, verifier = loaded
        if key.organization_id != record.organization_id:
            self._bad(
                LogFault.BAD_SIGNATURE,
                leaf,
                event_id,
                f"key {key_id} belongs to another organisation",
            )
        elif not verifier.verify(leaf.event.row.signature, computed):
            self._bad(
                LogFault.BAD_SIGNATURE,
                leaf,
                event_id,
                f"the signature does not verify with key {key_id}",
            )
        elif not key.valid_at(record.recorded_at):
            self._bad(
                LogFault.KEY_NOT_VALID,
                leaf,
                event_id,
                f"key {key_id} was not valid at {record.recorded_at.isoformat()}",
            )

    def _key(self, row: KeyRow | None) -> tuple[KeyInfo, SignatureVerifier] | None:
        if row is None:
            return None
        loaded = self.keys.get(row.key_id)
        if loaded is None:
            # Imported here: the audit service imports this package, and its key_info is the
            # one mapping of a stored key to what the chain audit checks.
            from traceability.services.audit import key_info

            if len(self.keys) >= _KEY_CACHE:
                self.keys.clear()
            key = key_info(row)
            loaded = self.keys[row.key_id] = (key, SignatureVerifier(key.public_key))
        return loaded
