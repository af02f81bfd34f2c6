"""An EPCISDocument's events, as the capture endpoint reads them before its 202."""

from __future__ import annotations

import pytest

from traceability.epcis.validation import EVENT_SIZE_LIMIT, document_events
from traceability.errors import TooLarge


def document(*events: object) -> dict[str, object]:
    return {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-10-30T08:00:00+07:00",
        "epcisBody": {"eventList": list(events)},
    }


def test_too_many_events_are_refused_by_their_count_before_any_is_measured() -> None:
    # Each event is over the size limit too: the count is what the refusal names, found
    # without measuring (canonicalising) thousands of events first.
    oversized = {"type": "ObjectEvent", "note": "x" * EVENT_SIZE_LIMIT}
    with pytest.raises(TooLarge, match="the document has 4 events; the limit is 3"):
        document_events(document(*[oversized] * 4), max_events=3)


def test_events_up_to_the_limit_are_each_measured() -> None:
    oversized = {"type": "ObjectEvent", "note": "x" * EVENT_SIZE_LIMIT}
    with pytest.raises(TooLarge, match="event 0"):
        document_events(document(oversized), max_events=3)
    events, context = document_events(document({"type": "ObjectEvent"}), max_events=1)
    assert (events, context) == (
        [{"type": "ObjectEvent"}],
        ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
    )
