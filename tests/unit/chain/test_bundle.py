"""A lot's evidence bundle verifies offline, and any tampering is refused at the first bad event.

Each test builds an honest bundle from an in-memory chain and log (as the portal
would export it), goes through JSON, tampers with it as a forger holding the file
would, and verifies it against the portal's published log key.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from traceability.chain.audit import ChainEntry, KeyInfo, LogEvidence
from traceability.chain.bundle import BUNDLE_FORMAT, Bundle, build_bundle
from traceability.chain.bundle_fields import MalformedBundle
from traceability.chain.bundle_verify import BundleReport, verify_bundle
from traceability.chain.record import EventRecord, LotKey, link_event
from traceability.crypto.signing import SigningKey
from traceability.log.memory_tree import MemoryTree
from traceability.log.note import Checkpoint, NoteSigner, sign_checkpoint
from traceability.log.tlog_proof import TlogProof, parse_tlog_proof

LOT = LotKey("08930000000019", "L1")
OTHER = LotKey("08930000000026", "L9")
ORG = "org-1"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
ORIGIN = "truyxuat.example.vn/log"
LOG_SIGNER = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
LOG_KEY = LOG_SIGNER.verifier_key()
ROTATION_SEQ = 3  # the organisation rotates its key: events from seq 3 on use the new one


def make_bundle(
    length: int = 4, *, log_signer: NoteSigner = LOG_SIGNER, with_head: bool = True
) -> dict[str, Any]:
    """An honest bundle of LOT, as JSON: event 2 also names OTHER, other lots' leaves interleave."""
    old_key, new_key = SigningKey.generate(), SigningKey.generate()
    rotated_at = T0 + timedelta(minutes=ROTATION_SEQ - 1)
    keys = [
        KeyInfo(old_key.key_id, ORG, old_key.public_raw, T0, valid_to=rotated_at),
        KeyInfo(new_key.key_id, ORG, new_key.public_raw, rotated_at),
    ]
    heads: dict[LotKey, tuple[int, bytes | None]] = {LOT: (0, None), OTHER: (0, None)}
    tree = MemoryTree()
    made: list[tuple[EventRecord, bytes, bytes, int]] = []
    for i in range(length):
        tree.append(f"another lot's event {i}".encode())
        signer = old_key if i + 1 < ROTATION_SEQ else new_key
        links = link_event(heads, [LOT, OTHER] if i == 1 else [LOT])
        record = EventRecord(
            {"eventID": f"urn:uuid:event-{i + 1}", "type": "ObjectEvent", "quantity": 100.5},
            ORG,
            signer.key_id,
            links,
            T0 + timedelta(minutes=i),
        )
        digest = record.hash()
        for link in links:
            heads[link.lot] = (link.seq, digest)
        made.append((record, digest, signer.sign(digest), tree.append(digest)))
    size = tree.size
    checkpoint = sign_checkpoint(log_signer, Checkpoint(ORIGIN, size, tree.root(size)))
    events = [
        (
            ChainEntry(
                record,
                digest,
                signature,
                LogEvidence(index, digest, tree.inclusion_proof(index, size)),
            ),
            "portal",
        )
        for record, digest, signature, index in made
    ]
    bundle = build_bundle(
        LOT,
        events,
        keys,
        origin=ORIGIN,
        verifier_key=log_signer.verifier_key(),
        checkpoint=checkpoint,
        generated_at=T0 + timedelta(days=1),
        head=heads[LOT] if with_head else None,
    )
    result: dict[str, Any] = json.loads(json.dumps(bundle.to_json()))
    return result


@pytest.fixture(scope="module")
def honest() -> dict[str, Any]:
    return make_bundle()


@pytest.fixture
def bundle(honest: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(honest)


def event_id(seq: int) -> str:
    return f"urn:uuid:event-{seq}"


def refused(report: BundleReport, kind: str, seq: int | None) -> BundleReport:
    assert not report.ok, report.lines
    assert report.failure is not None
    assert (report.failure.kind, report.failure.seq) == (kind, seq), report.failure
    assert report.summary().startswith("FAILED")
    assert any(line.startswith("✗") for line in report.lines)
    return report


def key_of(bundle: dict[str, Any], seq: int) -> dict[str, Any]:
    key_id = bundle["events"][seq - 1]["record"]["key_id"]
    return next(k for k in bundle["keys"] if k["key_id"] == key_id)


def forged_event(
    bundle: dict[str, Any], seq: int, forger: SigningKey, key_id: str
) -> dict[str, Any]:
    """An event at ``seq`` chained onto the real event before it, signed by ``forger``."""
    previous = bundle["events"][seq - 2]
    record = EventRecord.from_hashed_document(
        {
            **previous["record"],
            "event": {"eventID": "urn:uuid:forged", "type": "ObjectEvent"},
            "key_id": key_id,
            "links": [
                {"gtin": LOT.gtin, "lot": LOT.lot, "seq": seq, "prev": previous["event_hash"]}
            ],
        }
    )
    digest = record.hash()
    return {
        **previous,
        "record": record.hashed_document(),
        "event_hash": digest.hex(),
        "signature": base64.b64encode(forger.sign(digest)).decode(),
    }


# --------------------------------------------------------------------------- honest bundles


def test_an_honest_bundle_verifies_against_the_published_log_key(bundle: dict[str, Any]) -> None:
    report = verify_bundle(bundle, LOG_KEY)
    assert report.ok and report.failure is None
    assert report.log_key_supplied
    assert (report.lot, report.checked, report.checkpoint_size) == (LOT, 4, 8)
    assert report.summary() == (
        f"OK: 4 events of lot 01/{LOT.gtin}/10/{LOT.lot} verified against checkpoint 8"
    )
    assert any("checkpoint signed by" in line for line in report.lines)
    assert all(not line.startswith("✗") for line in report.lines)


def test_the_bundle_format_is_plain_json_that_round_trips(bundle: dict[str, Any]) -> None:
    assert bundle["format"] == BUNDLE_FORMAT
    assert set(bundle) == {"format", "lot", "generated_at", "log", "keys", "events", "head"}
    assert bundle["lot"] == {"gtin": LOT.gtin, "lot": LOT.lot}
    assert bundle["generated_at"].endswith("Z")
    assert bundle["head"]["seq"] == 4
    event = bundle["events"][1]
    assert set(event) == {
        "record",
        "event_hash",
        "signature",
        "signed_by",
        "log_index",
        "inclusion_proof",
        "tlog_proof",
    }
    assert event["record"] == EventRecord.from_hashed_document(event["record"]).hashed_document()
    assert Bundle.from_json(bundle).to_json() == bundle


def test_the_log_key_may_carry_surrounding_whitespace(bundle: dict[str, Any]) -> None:
    assert verify_bundle(bundle, f"  {LOG_KEY}\n").ok


def test_without_a_log_key_the_bundle_is_checked_against_its_own_key_and_says_so(
    bundle: dict[str, Any],
) -> None:
    report = verify_bundle(bundle)
    assert report.ok
    assert not report.log_key_supplied
    assert any("NOT independently supplied" in line for line in report.lines)
    assert "NOT independently supplied" in report.summary()


def test_a_bundle_without_a_head_verifies_but_warns_that_a_lost_tail_would_go_unnoticed() -> None:
    report = verify_bundle(make_bundle(with_head=False), LOG_KEY)
    assert report.ok
    assert any("no head" in line for line in report.lines)


def test_progress_is_reported_event_by_event(bundle: dict[str, Any]) -> None:
    seen: list[tuple[int, int]] = []
    assert verify_bundle(
        bundle, LOG_KEY, progress=lambda done, total: seen.append((done, total))
    ).ok
    assert seen[0] == (0, 4) and seen[-1] == (4, 4)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


# --------------------------------------------------------------------------- tampered events


def test_an_edited_event_field_is_a_hash_mismatch_at_that_event(bundle: dict[str, Any]) -> None:
    bundle["events"][2]["record"]["event"]["quantity"] = 1000.5
    report = refused(verify_bundle(bundle, LOG_KEY), "hash_mismatch", 3)
    assert report.failure is not None and report.failure.event_id == event_id(3)
    assert report.checked == 2
    assert report.summary().startswith(f"FAILED at seq 3 (event {event_id(3)}): hash_mismatch: ")


def test_an_edited_event_with_its_hash_recomputed_fails_the_signature(
    bundle: dict[str, Any],
) -> None:
    record = bundle["events"][2]["record"]
    record["event"]["quantity"] = 1000.5
    bundle["events"][2]["event_hash"] = EventRecord.from_hashed_document(record).hash().hex()
    refused(verify_bundle(bundle, LOG_KEY), "bad_signature", 3)


def test_a_moved_recording_time_is_a_hash_mismatch(bundle: dict[str, Any]) -> None:
    bundle["events"][1]["record"]["recorded_at"] = "2025-01-01T00:00:00.000000Z"
    refused(verify_bundle(bundle, LOG_KEY), "hash_mismatch", 2)


def test_a_record_with_a_field_outside_the_hashed_document_is_a_hash_mismatch(
    bundle: dict[str, Any],
) -> None:
    bundle["events"][1]["record"]["note"] = "recalled"
    report = refused(verify_bundle(bundle, LOG_KEY), "hash_mismatch", 2)
    assert report.failure is not None and "recorded form" in report.failure.message


def test_a_deleted_event_is_a_gap_where_it_was(bundle: dict[str, Any]) -> None:
    del bundle["events"][1]
    report = refused(verify_bundle(bundle, LOG_KEY), "gap", 2)
    assert report.failure is not None and report.failure.event_id is None


def test_a_deleted_last_event_is_a_truncation_against_the_recorded_head(
    bundle: dict[str, Any],
) -> None:
    del bundle["events"][-1]
    refused(verify_bundle(bundle, LOG_KEY), "truncated", 4)


def test_two_swapped_events_are_caught_at_the_first_of_them(bundle: dict[str, Any]) -> None:
    events = bundle["events"]
    events[1], events[2] = events[2], events[1]
    report = refused(verify_bundle(bundle, LOG_KEY), "gap", 3)
    assert report.failure is not None and report.failure.event_id == event_id(3)


def test_an_inserted_event_signed_by_a_forger_claiming_the_real_key_is_a_bad_signature(
    bundle: dict[str, Any],
) -> None:
    real_key = bundle["events"][2]["record"]["key_id"]
    bundle["events"].insert(2, forged_event(bundle, 3, SigningKey.generate(), real_key))
    report = refused(verify_bundle(bundle, LOG_KEY), "bad_signature", 3)
    assert report.failure is not None and report.failure.event_id == "urn:uuid:forged"


def test_an_inserted_event_with_the_forgers_own_key_in_the_bundle_is_not_in_the_log(
    bundle: dict[str, Any],
) -> None:
    forger = SigningKey.generate()
    bundle["keys"].append(
        {**key_of(bundle, 2), "key_id": forger.key_id, "public_key": forger.public_b64}
    )
    bundle["events"].insert(2, forged_event(bundle, 3, forger, forger.key_id))
    report = refused(verify_bundle(bundle, LOG_KEY), "not_in_log", 3)
    assert report.failure is not None and report.failure.event_id == "urn:uuid:forged"


def test_a_changed_signature_is_a_bad_signature(bundle: dict[str, Any]) -> None:
    other = make_bundle()
    bundle["events"][3]["signature"] = other["events"][3]["signature"]
    refused(verify_bundle(bundle, LOG_KEY), "bad_signature", 4)


def test_a_signature_of_the_wrong_length_is_a_bad_signature(bundle: dict[str, Any]) -> None:
    bundle["events"][3]["signature"] = "AAAA"
    refused(verify_bundle(bundle, LOG_KEY), "bad_signature", 4)


# --------------------------------------------------------------------------- tampered keys


def test_a_replaced_public_key_is_refused_at_the_first_event_it_signed(
    bundle: dict[str, Any],
) -> None:
    key_of(bundle, ROTATION_SEQ)["public_key"] = SigningKey.generate().public_b64
    report = refused(verify_bundle(bundle, LOG_KEY), "bad_key", ROTATION_SEQ)
    assert report.failure is not None and "replaced" in report.failure.message


def test_a_key_missing_from_the_bundle_is_an_unknown_key(bundle: dict[str, Any]) -> None:
    bundle["keys"].remove(key_of(bundle, 1))
    refused(verify_bundle(bundle, LOG_KEY), "unknown_key", 1)


def test_a_key_claimed_for_another_organisation_is_a_bad_signature(
    bundle: dict[str, Any],
) -> None:
    key_of(bundle, ROTATION_SEQ)["organization_id"] = "org-2"
    refused(verify_bundle(bundle, LOG_KEY), "bad_signature", ROTATION_SEQ)


def test_an_event_recorded_after_its_key_expired_is_refused(bundle: dict[str, Any]) -> None:
    key_of(bundle, 1)["valid_to"] = "2026-01-01T00:00:30.000000Z"  # before event 2
    refused(verify_bundle(bundle, LOG_KEY), "key_not_valid", 2)


# --------------------------------------------------------------------------- the log


def test_a_checkpoint_signed_by_another_log_key_is_refused_with_the_trusted_key() -> None:
    impostor = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    forged = make_bundle(log_signer=impostor)
    report = refused(verify_bundle(forged, LOG_KEY), "bad_checkpoint", None)
    assert report.summary().startswith("FAILED: bad_checkpoint: ")
    # Self-consistent as it is, only the trusted key tells it apart:
    unsupplied = verify_bundle(forged)
    assert unsupplied.ok and not unsupplied.log_key_supplied


def test_a_checkpoint_swapped_for_one_signed_by_another_key_fails_even_without_a_log_key(
    bundle: dict[str, Any],
) -> None:
    bundle["log"]["checkpoint"] = make_bundle(
        log_signer=NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    )["log"]["checkpoint"]
    refused(verify_bundle(bundle), "bad_checkpoint", None)


def restated(bundle: dict[str, Any]) -> dict[str, Any]:
    """The bundle with each event's tlog-proof rewritten to say what its other fields say, as a
    careful forger would (an event with no log index has none)."""
    checkpoint = bundle["log"]["checkpoint"]
    for event in bundle["events"]:
        event.pop("tlog_proof", None)
        if event["log_index"] is not None:
            path = tuple(bytes.fromhex(h) for h in event["inclusion_proof"])
            event["tlog_proof"] = TlogProof(event["log_index"], path, checkpoint).text()
    return bundle


def test_a_checkpoint_of_another_honest_log_fails_inclusion(bundle: dict[str, Any]) -> None:
    bundle["log"]["checkpoint"] = make_bundle()["log"]["checkpoint"]  # same key, other tree
    refused(verify_bundle(restated(bundle), LOG_KEY), "not_in_log", 1)


def test_an_altered_inclusion_proof_is_not_in_the_log(bundle: dict[str, Any]) -> None:
    bundle["events"][1]["inclusion_proof"][0] = "00" * 32
    report = refused(verify_bundle(restated(bundle), LOG_KEY), "not_in_log", 2)
    assert report.failure is not None and report.failure.event_id == event_id(2)


def test_an_altered_log_index_is_not_in_the_log(bundle: dict[str, Any]) -> None:
    bundle["events"][1]["log_index"] += 1
    refused(verify_bundle(restated(bundle), LOG_KEY), "not_in_log", 2)


def test_an_event_without_a_log_entry_is_not_in_the_log(bundle: dict[str, Any]) -> None:
    bundle["events"][1]["log_index"] = None
    refused(verify_bundle(restated(bundle), LOG_KEY), "not_in_log", 2)


# --- each event's C2SP tlog-proof (c2sp.org/tlog-proof) ----------------------------------------


def test_each_event_carries_its_tlog_proof_in_the_c2sp_form(bundle: dict[str, Any]) -> None:
    checkpoint = bundle["log"]["checkpoint"]
    for event in bundle["events"]:
        lines = event["tlog_proof"].split("\n")
        assert lines[0] == "c2sp.org/tlog-proof@v1"
        assert lines[1] == f"index {event['log_index']}"
        path = lines[2 : 2 + len(event["inclusion_proof"])]
        assert [base64.b64decode(h).hex() for h in path] == event["inclusion_proof"]
        assert "\n".join(lines[3 + len(path) :]) == checkpoint  # blank line, then verbatim


def test_a_bundle_without_tlog_proofs_still_verifies(bundle: dict[str, Any]) -> None:
    """Bundles written before events carried their tlog-proof."""
    for event in bundle["events"]:
        del event["tlog_proof"]
    assert verify_bundle(bundle, LOG_KEY).ok


def test_a_tlog_proof_that_says_another_index_is_inconsistent(bundle: dict[str, Any]) -> None:
    proof = parse_tlog_proof(bundle["events"][2]["tlog_proof"])
    bundle["events"][2]["tlog_proof"] = replace(proof, index=proof.index + 1).text()
    refused(verify_bundle(bundle, LOG_KEY), "inconsistent", 3)


def test_a_tlog_proof_against_another_checkpoint_is_inconsistent(bundle: dict[str, Any]) -> None:
    proof = parse_tlog_proof(bundle["events"][0]["tlog_proof"])
    other = make_bundle()["log"]["checkpoint"]
    bundle["events"][0]["tlog_proof"] = replace(proof, checkpoint=other).text()
    refused(verify_bundle(bundle, LOG_KEY), "inconsistent", 1)


def test_a_tlog_proof_that_is_not_one_is_inconsistent(bundle: dict[str, Any]) -> None:
    bundle["events"][1]["tlog_proof"] = "c2sp.org/tlog-proof@v1\nindex x\n\n"
    refused(verify_bundle(bundle, LOG_KEY), "inconsistent", 2)


def test_a_wrong_log_key_fails_the_checkpoint(bundle: dict[str, Any]) -> None:
    wrong = NoteSigner(ORIGIN, Ed25519PrivateKey.generate()).verifier_key()
    report = refused(verify_bundle(bundle, wrong), "bad_checkpoint", None)
    assert report.checked == 0


def test_a_log_key_that_is_not_a_verifier_key_is_a_failed_report(
    bundle: dict[str, Any],
) -> None:
    refused(verify_bundle(bundle, "not-a-key"), "bad_log_key", None)


def test_a_log_origin_that_differs_from_the_signed_checkpoint_is_inconsistent(
    bundle: dict[str, Any],
) -> None:
    bundle["log"]["origin"] = "elsewhere.example/log"
    refused(verify_bundle(bundle, LOG_KEY), "inconsistent", None)


def test_a_bundle_relabelled_for_another_lot_is_a_broken_link(bundle: dict[str, Any]) -> None:
    bundle["lot"] = {"gtin": OTHER.gtin, "lot": OTHER.lot}
    report = refused(verify_bundle(bundle, LOG_KEY), "broken_link", 1)
    assert report.failure is not None and report.failure.event_id == event_id(1)


def test_a_bundle_without_events_is_inconsistent(bundle: dict[str, Any]) -> None:
    bundle["events"] = []
    refused(verify_bundle(bundle, LOG_KEY), "inconsistent", None)


# --------------------------------------------------------------------------- malformed


Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    def mutate(bundle: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = bundle
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return mutate


def _drop(path: str) -> Mutation:
    def mutate(bundle: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = bundle
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        del target[last]

    return mutate


BUNDLE_LEVEL: dict[str, tuple[Mutation, str]] = {
    "missing format": (_drop("format"), "format: is missing"),
    "unknown format": (_set("format", "traceability-bundle/2"), "format: this verifier reads"),
    "missing lot": (_drop("lot"), "lot: is missing"),
    "lot code not a string": (_set("lot.lot", 7), "lot.lot: must be a non-empty string"),
    "generated_at not a time": (_set("generated_at", "yesterday"), "generated_at: must be an ISO"),
    "missing log": (_drop("log"), "log: is missing"),
    "checkpoint not text": (_set("log.checkpoint", 42), "log.checkpoint: must be a non-empty"),
    "keys not a list": (_set("keys", {}), "keys: must be a JSON list"),
    "public key not base64": (_set("keys.0.public_key", "!!"), "keys[0].public_key: must be"),
    "public key too short": (_set("keys.0.public_key", "AAAA"), "keys[0].public_key: an Ed25519"),
    "key time without zone": (
        _set("keys.0.valid_from", "2026-01-01T00:00:00"),
        "keys[0].valid_from: must carry a time zone",
    ),
    "duplicate key": (
        lambda b: b["keys"].append(copy.deepcopy(b["keys"][0])),
        "is listed twice",
    ),
    "events not a list": (_set("events", "many"), "events: must be a JSON list"),
    "head seq not a number": (_set("head.seq", "4"), "head.seq: must be a non-negative integer"),
}


@pytest.mark.parametrize("case", list(BUNDLE_LEVEL), ids=list(BUNDLE_LEVEL))
def test_a_malformed_bundle_is_a_failed_report_naming_the_field(
    bundle: dict[str, Any], case: str
) -> None:
    mutate, expected = BUNDLE_LEVEL[case]
    mutate(bundle)
    report = refused(verify_bundle(bundle, LOG_KEY), "malformed", None)
    assert report.failure is not None and expected in report.failure.message


EVENT_LEVEL: dict[str, tuple[Mutation, str]] = {
    "event not an object": (_set("events.2", ["x"]), "events[2]: must be a JSON object"),
    "record missing": (_drop("events.2.record"), "events[2].record: is missing"),
    "record version unknown": (_set("events.2.record.version", 2), "unknown record version"),
    "record event not an object": (_set("events.2.record.event", "x"), "record.event: must be"),
    "record links not a list": (_set("events.2.record.links", 1), "record.links: must be"),
    "record link not an object": (_set("events.2.record.links.0", 3), "links[0]: must be"),
    "record link without seq": (_drop("events.2.record.links.0.seq"), "lacks the field 'seq'"),
    "record link seq not a number": (
        _set("events.2.record.links.0.seq", "three"),
        "events[2].record",
    ),
    "record prev not hex": (_set("events.2.record.links.0.prev", "zz"), "events[2].record"),
    "record time misspelt": (
        _set("events.2.record.recorded_at", "2026-01-01"),
        "recorded_at: must be UTC",
    ),
    "record organisation missing": (
        _drop("events.2.record.organization"),
        "lacks the field 'organization'",
    ),
    "event hash not hex": (_set("events.2.event_hash", "xyz"), "events[2].event_hash: must be"),
    "event hash too short": (_set("events.2.event_hash", "ab" * 16), "64 lowercase hex"),
    "signature not base64": (_set("events.2.signature", "not base64!"), "events[2].signature"),
    "signed_by unknown": (_set("events.2.signed_by", "nobody"), "events[2].signed_by"),
    "log index negative": (_set("events.2.log_index", -1), "events[2].log_index"),
    "log index as text": (_set("events.2.log_index", "5"), "events[2].log_index"),
    "log index a boolean": (_set("events.2.log_index", True), "events[2].log_index"),
    "proof not a list": (_set("events.2.inclusion_proof", "ab"), "events[2].inclusion_proof"),
    "proof node not hex": (_set("events.2.inclusion_proof.0", 12), "inclusion_proof[0]"),
}


@pytest.mark.parametrize("case", list(EVENT_LEVEL), ids=list(EVENT_LEVEL))
def test_a_malformed_event_is_a_failed_report_at_that_event(
    bundle: dict[str, Any], case: str
) -> None:
    mutate, expected = EVENT_LEVEL[case]
    mutate(bundle)
    report = refused(verify_bundle(bundle, LOG_KEY), "malformed", 3)
    assert report.failure is not None and expected in report.failure.message
    assert report.checked == 2


def test_a_mangled_bundled_log_key_is_malformed_when_no_key_is_supplied(
    bundle: dict[str, Any],
) -> None:
    bundle["log"]["verifier_key"] = "x+y+z"
    report = refused(verify_bundle(bundle), "malformed", None)
    assert report.failure is not None and "log.verifier_key" in report.failure.message
    # With the trusted key supplied, the bundle's own claim is not used at all.
    assert verify_bundle(bundle, LOG_KEY).ok


def test_a_malformed_event_is_reported_only_if_the_events_before_it_verify(
    bundle: dict[str, Any],
) -> None:
    bundle["events"][1]["record"]["event"]["quantity"] = 0
    bundle["events"][2]["signature"] = "not base64!"
    refused(verify_bundle(bundle, LOG_KEY), "hash_mismatch", 2)


@pytest.mark.parametrize("value", [[], "bundle", None, 42, {}], ids=repr)
def test_something_that_is_not_a_bundle_object_is_a_failed_report(value: Any) -> None:
    refused(verify_bundle(value, LOG_KEY), "malformed", None)


def test_a_number_json_cannot_carry_exactly_is_a_hash_mismatch_not_a_crash(
    bundle: dict[str, Any],
) -> None:
    bundle["events"][0]["record"]["event"]["quantity"] = float("nan")
    refused(verify_bundle(bundle, LOG_KEY), "hash_mismatch", 1)


def test_the_strict_parser_names_the_first_bad_field(bundle: dict[str, Any]) -> None:
    bundle["events"][1]["event_hash"] = "nope"
    with pytest.raises(MalformedBundle, match=r"events\[1\]\.event_hash"):
        Bundle.from_json(bundle)


# A piece goes out once it holds chunk_size bytes: with 1, one a event and then the end.
@pytest.mark.parametrize(("chunk_size", "pieces"), [(1, 6), (1 << 20, 1)])
@pytest.mark.parametrize("with_head", [True, False])
def test_a_bundle_written_in_pieces_is_byte_for_byte_the_bundle_written_whole(
    chunk_size: int, pieces: int, with_head: bool
) -> None:
    whole = Bundle.from_json(make_bundle(5, with_head=with_head))
    written = list(whole.json_chunks(chunk_size))
    assert len(written) == pieces
    assert b"".join(written) == orjson.dumps(whole.to_json())
    assert verify_bundle(orjson.loads(b"".join(written)), LOG_KEY).ok
