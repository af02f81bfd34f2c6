"""Whatever bytes or text arrive, the parsers answer with a value or InvalidInput, never a crash.

Every parser the portal runs on outside input is fed arbitrary input here: the GS1 Digital
Link parser, the GS1 key and AI checks, EPC URN parsing, the JSON body reader and the EPCIS
document and event checks (with the event hash that follows them). A TypeError, KeyError,
RecursionError or anything but the domain error would reach the caller as a 500.
"""

from __future__ import annotations

import contextlib
import string
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from traceability.chain.record import parse_record_time
from traceability.crypto.canonical import canonical_bytes
from traceability.crypto.strict_json import MAX_DEPTH, parse_json
from traceability.epcis.event_hash import event_hash_id
from traceability.epcis.lots import named_lots
from traceability.epcis.query import parse_event_query
from traceability.epcis.validation import document_events, validate_event
from traceability.errors import InvalidInput
from traceability.identifiers.digital_link import parse_digital_link
from traceability.identifiers.epc import (
    epc_to_digital_link,
    identifier_kind,
    lot_key_from_epc,
    parse_lgtin,
    parse_sgtin,
    sgln_to_gln,
    sscc_urn_to_sscc,
)
from traceability.identifiers.gs1 import (
    normalize_gtin,
    parse_expiry,
    validate_cpv,
    validate_gln,
    validate_gln_extension,
    validate_lot,
    validate_serial,
    validate_sscc,
)

NOW = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text that looks enough like the real thing to get past the first checks: digits, GS1
# separators, percent escapes, URN and URL pieces, NUL, surrogates and other odd characters.
PIECES = st.sampled_from(
    [
        "/01/",
        "/10/",
        "/21/",
        "/22/",
        "/17/",
        "/414/",
        "/00/",
        "https://id.gs1.org",
        "http://x",
        "urn:epc:id:sgtin:",
        "urn:epc:class:lgtin:",
        "urn:epc:id:sgln:",
        "urn:epc:id:sscc:",
        "urn:epc:idpat:sgtin:",
        "09506000134352",
        "8934588013102",
        "0614141",
        ".",
        "%2F",
        "%2f",
        "%00",
        "%",
        "%ZZ",
        "%C3%A9",
        "%ff",
        "..",
        "?",
        "#",
        "=",
        "&",
        "\x00",
        "\ud800",
        "é",
        " ",
        "*",
    ]
)
odd_text = st.one_of(
    st.text(max_size=60),
    st.lists(
        st.one_of(PIECES, st.text(string.digits, max_size=14), st.text(max_size=4)), max_size=12
    ).map("".join),
)

CHECKS: list[Callable[[str], object]] = [
    parse_digital_link,
    normalize_gtin,
    validate_gln,
    validate_sscc,
    validate_lot,
    validate_serial,
    validate_cpv,
    validate_gln_extension,
    lambda text: parse_expiry(text, today=date(2026, 11, 1)),
    parse_sgtin,
    parse_lgtin,
    sgln_to_gln,
    sscc_urn_to_sscc,
    epc_to_digital_link,
    identifier_kind,
    lot_key_from_epc,
    parse_record_time,
]


def only_invalid_input(call: Callable[[], object]) -> None:
    """Runs ``call``; InvalidInput (or a subclass) is an answer, anything else a failure."""
    with contextlib.suppress(InvalidInput):
        call()


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: getattr(c, "__name__", "parse_expiry"))
@FUZZ
@given(text=odd_text)
def test_identifier_parsers_answer_any_text_with_a_value_or_invalid_input(
    check: Callable[[str], object], text: str
) -> None:
    only_invalid_input(lambda: check(text))


@FUZZ
@given(path=odd_text, query=st.text(max_size=20))
def test_the_digital_link_parser_answers_any_uri_with_a_link_or_invalid_input(
    path: str, query: str
) -> None:
    for uri in (path, f"https://truyxuat.example.vn{path}", f"{path}?{query}"):
        only_invalid_input(lambda u=uri: parse_digital_link(u))


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    odd_text,
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(odd_text, children, max_size=4)
    ),
    max_leaves=20,
)


@FUZZ
@given(body=st.binary(max_size=200))
def test_the_json_body_reader_answers_any_bytes_with_a_value_or_invalid_input(body: bytes) -> None:
    only_invalid_input(lambda: parse_json(body))


@FUZZ
@given(
    body=st.one_of(
        json_values.map(lambda v: orjson.dumps(v) if _dumpable(v) else b"null"),
        st.lists(
            st.sampled_from(
                [
                    *(b"[", b"]", b"{", b"}", b'"a":', b",", b"1e400", b"-0", b"NaN", b"Infinity"),
                    *(b"123456789012345678901234", b'"\\u0000"', b"\xff", b"1.0", b"-"),
                ]
            ),
            max_size=30,
        ).map(b"".join),
    )
)
def test_the_json_body_reader_refuses_only_with_invalid_input(body: bytes) -> None:
    only_invalid_input(lambda: parse_json(body))


def _dumpable(value: Any) -> bool:
    try:
        orjson.dumps(value)
    except orjson.JSONEncodeError:
        return False
    return True


def test_nesting_past_the_limit_is_refused_however_deep() -> None:
    for depth in (MAX_DEPTH + 1, 1_000, 10_000, 100_000):
        with pytest.raises(InvalidInput, match=r"nested|depth"):
            parse_json(b"[" * depth + b"]" * depth)


VALID_EVENT: dict[str, Any] = {
    "type": "ObjectEvent",
    "eventTime": "2026-10-30T07:15:00.000+07:00",
    "eventTimeZoneOffset": "+07:00",
    "action": "OBSERVE",
    "bizStep": "shipping",
    "epcList": ["https://id.gs1.org/01/09506000134352/21/7"],
    "quantityList": [
        {"epcClass": "https://id.gs1.org/01/09506000134352/10/L1", "quantity": 5, "uom": "KGM"}
    ],
    "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234"},
}
FIELDS = [
    *sorted(VALID_EVENT),
    "eventID",
    "parentID",
    "childEPCs",
    "inputEPCList",
    "outputQuantityList",
    "bizLocation",
    "disposition",
    "errorDeclaration",
    "ilmd",
    "sensorElementList",
    "certificationInfo",
    "example:extension",
]
events = st.builds(
    lambda changes, extra: VALID_EVENT | changes | extra,
    st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=3),
    st.dictionaries(odd_text, json_values, max_size=2),
)


def capture_checks(event: Any, context: Any = None) -> None:
    """What capture runs on a submitted event before it is stored, in order."""
    validate_event(event, 0, NOW)
    event_hash_id(event, context)
    named_lots(event)
    canonical_bytes(event)


@FUZZ
@given(event=events)
def test_an_event_with_arbitrary_fields_is_captured_or_refused_with_invalid_input(
    event: dict[str, Any],
) -> None:
    only_invalid_input(lambda: capture_checks(event))


@FUZZ
@given(event=json_values)
def test_any_json_value_as_an_event_is_refused_with_invalid_input(event: Any) -> None:
    only_invalid_input(lambda: capture_checks(event))


documents = st.one_of(
    json_values,
    st.builds(
        lambda body, context, extra: {
            "type": "EPCISDocument",
            "@context": context,
            "epcisBody": body,
            **extra,
        },
        st.one_of(json_values, st.builds(lambda e: {"eventList": e}, st.lists(events, max_size=3))),
        json_values,
        st.dictionaries(odd_text, json_values, max_size=2),
    ),
)


@FUZZ
@given(document=documents)
def test_an_epcis_document_is_read_or_refused_with_invalid_input(document: Any) -> None:
    def read() -> None:
        found, context = document_events(document)
        for event in found:
            capture_checks(event, context)

    only_invalid_input(read)


QUERY_NAMES = [
    "EQ_bizStep",
    "EQ_action",
    "GE_eventTime",
    "LT_eventTime",
    "GE_recordTime",
    "MATCH_epc",
    "MATCH_epcClass",
    "EQ_readPoint",
    "EQ_eventID",
    "EXISTS_errorDeclaration",
    "orderBy",
    "orderDirection",
    "perPage",
    "nextPageToken",
]


@FUZZ
@given(params=st.dictionaries(st.one_of(st.sampled_from(QUERY_NAMES), odd_text), odd_text))
def test_event_query_parameters_are_read_or_refused_with_invalid_input(
    params: dict[str, str],
) -> None:
    only_invalid_input(lambda: parse_event_query(params))
