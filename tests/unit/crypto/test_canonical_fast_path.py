"""The fast canonical path writes exactly the reference bytes, whatever shape the value has.

canonical_bytes hands most values to orjson after turning integral doubles into ints
and checking what orjson would write differently from RFC 8785. These cases aim at
that preparation: doubles deep inside containers, shared objects, tuples, keys whose
order differs between code points and UTF-16, and types JSON does not have.
"""

from __future__ import annotations

import copy
import datetime
import decimal
import enum
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from traceability.crypto.canonical import canonical_bytes, reference_canonical_bytes
from traceability.errors import InvalidInput


def _same_as_reference(value: Any) -> bytes | None:
    """canonical_bytes(value), asserted equal to the reference (None when both refuse)."""
    try:
        expected = reference_canonical_bytes(value)
    except InvalidInput:
        with pytest.raises(InvalidInput):
            canonical_bytes(value)
        return None
    assert canonical_bytes(value) == expected
    return expected


def test_integral_doubles_at_every_depth_are_written_as_integers() -> None:
    value = {"a": 1.0, "b": [2.0, {"c": (3.0, "x")}, [4.0]], "d": "5.0", "e": 6}
    assert _same_as_reference(value) == b'{"a":1,"b":[2,{"c":[3,"x"]},[4]],"d":"5.0","e":6}'


def test_the_value_given_is_left_unchanged() -> None:
    shared = [1.0, 2.5]
    value = {"first": shared, "second": shared, "nested": {"n": [shared, 7.0]}}
    before = copy.deepcopy(value)
    assert _same_as_reference(value) == (
        b'{"first":[1,2.5],"nested":{"n":[[1,2.5],7]},"second":[1,2.5]}'
    )
    assert value == before
    assert type(value["first"][0]) is float


def test_the_same_double_object_repeated_is_written_each_time() -> None:
    one = float("1")
    assert _same_as_reference([one, one, {"k": one}]) == b'[1,1,{"k":1}]'


def test_keys_above_u_e000_and_above_u_ffff_sort_by_utf16_code_units() -> None:
    # Code points put U+E000 first; UTF-16 puts the surrogate pair of U+1F600 first.
    value = {"\ue000": 1, "\U0001f600": 2, "\uffff": 3, "a": 4}
    assert _same_as_reference(value) == '{"a":4,"\U0001f600":2,"\ue000":1,"\uffff":3}'.encode()


class Colour(enum.Enum):
    RED = "red"


class Size(enum.IntEnum):
    LARGE = 3


class Label(str):
    pass


@pytest.mark.parametrize(
    "odd",
    [
        uuid.UUID(int=7),
        Colour.RED,
        Size.LARGE,
        Label("x"),
        datetime.date(2026, 11, 24),
        decimal.Decimal("1.5"),
        b"bytes",
        float("nan"),
        float("inf"),
        2**53,
        -(2**60),
        1e-7,
        1e21,
        {1: "integer key"},
    ],
)
def test_values_json_does_not_have_or_orjson_writes_otherwise_get_the_reference_answer(
    odd: object,
) -> None:
    _same_as_reference(odd)
    _same_as_reference({"deep": [{"x": odd}]})
    _same_as_reference([1.0, odd])


doubles = st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(2**20), 2**20).map(float)
keys = st.text(max_size=3) | st.sampled_from(["\ue000", "\uffff", "\U0001f600", "\U00010000"])
shaped = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**54), 2**54) | doubles | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=5)
        | st.lists(children, max_size=3).map(tuple)
        | st.dictionaries(keys, children, max_size=5)
    ),
    max_leaves=40,
)


@given(shaped)
def test_any_value_is_written_as_the_reference_writes_it_and_left_unchanged(value: Any) -> None:
    before = copy.deepcopy(value)
    _same_as_reference(value)
    assert repr(value) == repr(before)
