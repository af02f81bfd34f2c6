"""Canonical bytes are RFC 8785: anyone with the same JSON gets the same bytes to hash."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from traceability.crypto.canonical import canonical_bytes, reference_canonical_bytes
from traceability.errors import InvalidInput


def test_keys_are_sorted_by_utf16_code_units_and_whitespace_removed() -> None:
    # RFC 8785 section 3.2.3: sorting by UTF-16 code units, not code points or UTF-8.
    value = {"\u20ac": "Euro", "\r": "CR", "1": "One", "\U0001f600": "Smiley", "\u0080": "Ctl"}
    assert (
        canonical_bytes(value)
        == ('{"\\r":"CR","1":"One","\u0080":"Ctl","\u20ac":"Euro","\U0001f600":"Smiley"}').encode()
    )


def test_numbers_use_the_ecmascript_shortest_form() -> None:
    assert canonical_bytes([1.0, 0.1, 1e21, 1e-7, -0.0, 100]) == b"[1,0.1,1e+21,1e-7,0,100]"


def test_vietnamese_text_is_kept_as_utf8_not_escaped() -> None:
    assert canonical_bytes({"tên": "Gạo ST25"}) == '{"tên":"Gạo ST25"}'.encode()


def test_integers_beyond_double_precision_are_refused() -> None:
    with pytest.raises(InvalidInput, match="as a string"):
        canonical_bytes({"quantity": 2**53 + 1})


def test_a_large_integer_that_is_exactly_a_double_canonicalises_as_that_double() -> None:
    # JSON numbers are doubles: 1e16 read back from a database as the int 10**16 must hash
    # the same as the float it was.
    assert (
        canonical_bytes({"n": 10**16}) == canonical_bytes({"n": 1e16}) == b'{"n":10000000000000000}'
    )


def test_nan_is_refused() -> None:
    with pytest.raises(InvalidInput):
        canonical_bytes({"value": math.nan})


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_canonical_bytes_survive_a_json_round_trip(value: object) -> None:
    once = canonical_bytes(value)
    assert canonical_bytes(json.loads(once)) == once


edge_floats = st.sampled_from(
    [
        1.0,
        -0.0,
        0.1,
        1e-4,
        9.99e-5,
        1e-5,
        1e-6,
        1e-7,
        5e-324,
        2.0**53,
        2.0**53 - 1,
        1e16,
        1e20,
        9.999e20,
        1e21,
        1.5e300,
        1.7976931348623157e308,
        123.456,
        4019.0,
        1e15 + 0.5,
    ]
)
awkward_text = st.text(
    alphabet=st.characters(codec="utf-8", categories=None, exclude_categories=("Cs",)), max_size=6
) | st.sampled_from(["\ue000", "\uffff", "\U0001f600", "a\U0001f600", "\x7f\u2028", ""])
wide_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | edge_floats
    | awkward_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(awkward_text, children, max_size=4)
    ),
    max_leaves=25,
)


@given(wide_json)
def test_the_fast_path_writes_exactly_the_reference_bytes(value: object) -> None:
    try:
        expected = reference_canonical_bytes(value)
    except InvalidInput:
        with pytest.raises(InvalidInput):
            canonical_bytes(value)
        return
    assert canonical_bytes(value) == expected
