"""FSMA 204 Critical Tracking Events and the CBV words an EPCIS event uses for what happened."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from traceability.epcis.index import cbv_word

_VOCAB_PREFIXES: Final = (
    "urn:epcglobal:cbv:sdt:",
    "urn:epcglobal:cbv:btt:",
    "https://ref.gs1.org/cbv/SDT-",
    "https://ref.gs1.org/cbv/BTT-",
    "https://gs1.org/voc/SDT-",
    "https://gs1.org/voc/BTT-",
)
_HARVEST_ILMD: Final = (
    "cbvmda:harvestStartDate",
    "cbvmda:harvestEndDate",
    "harvestStartDate",
    "harvestEndDate",
    "urn:epcglobal:cbv:mda#harvestStartDate",
    "urn:epcglobal:cbv:mda#harvestEndDate",
)

# FSMA 204 Critical Tracking Events (21 CFR 1.1325-1.1350).
CTE_HARVESTING: Final = "harvesting"
CTE_COOLING: Final = "cooling"
CTE_INITIAL_PACKING: Final = "initial packing"
CTE_FIRST_LAND_BASED_RECEIVING: Final = "first land-based receiving"
CTE_SHIPPING: Final = "shipping"
CTE_RECEIVING: Final = "receiving"
CTE_TRANSFORMATION: Final = "transformation"
CRITICAL_TRACKING_EVENTS: Final = (
    CTE_HARVESTING,
    CTE_COOLING,
    CTE_INITIAL_PACKING,
    CTE_FIRST_LAND_BASED_RECEIVING,
    CTE_SHIPPING,
    CTE_RECEIVING,
    CTE_TRANSFORMATION,
)
# CBV 2.0 has no harvesting, cooling or landing step; these words are what senders use instead.
_CTE_BY_STEP: Final[Mapping[str, str]] = {
    "harvesting": CTE_HARVESTING,
    "cooling": CTE_COOLING,
    "first_land_based_receiving": CTE_FIRST_LAND_BASED_RECEIVING,
    "landing": CTE_FIRST_LAND_BASED_RECEIVING,
    "shipping": CTE_SHIPPING,
    "departing": CTE_SHIPPING,
    "receiving": CTE_RECEIVING,
    "arriving": CTE_RECEIVING,
    "accepting": CTE_RECEIVING,
}


def vocabulary_word(value: str) -> str:
    """'owning_party' for 'owning_party', its CBV URN or its GS1 web URI; the same for BizStep,
    Disp, SDT and BTT values. Anything else comes back unchanged."""
    word = cbv_word(value)
    if word != value:
        return word
    for prefix in _VOCAB_PREFIXES:
        if value.startswith(prefix):
            return value[len(prefix) :]
    return value


def optional_vocabulary_word(value: Any) -> str | None:
    return vocabulary_word(value) if isinstance(value, str) and value else None


def biz_step_of(event: Mapping[str, Any]) -> str | None:
    return optional_vocabulary_word(event.get("bizStep"))


def critical_tracking_event(
    event: Mapping[str, Any], *, inputs_harvested: bool = False
) -> str | None:
    """The FSMA 204 Critical Tracking Event an EPCIS event records, or None when it records none.

    * a TransformationEvent is a transformation (a new traceability lot code is assigned), except
      that packing lots that were only harvested, as they are, is initial packing: the caller
      knows the inputs' history and says so with ``inputs_harvested``;
    * commissioning a lot with harvest dates in its ILMD is harvesting;
    * packing without a new lot (an ObjectEvent or AggregationEvent) is initial packing;
    * shipping/departing, receiving/arriving/accepting map to shipping and receiving;
    * the non-CBV words harvesting, cooling and first_land_based_receiving (or landing) map to
      the CTEs of the same name.
    """
    kind = event.get("type")
    step = (biz_step_of(event) or "").lower()
    if kind == "TransformationEvent":
        return CTE_INITIAL_PACKING if step == "packing" and inputs_harvested else CTE_TRANSFORMATION
    if step == "commissioning" and _has_harvest_dates(event):
        return CTE_HARVESTING
    if step == "packing" and kind in ("ObjectEvent", "AggregationEvent"):
        return CTE_INITIAL_PACKING
    return _CTE_BY_STEP.get(step)


def _has_harvest_dates(event: Mapping[str, Any]) -> bool:
    ilmd = event.get("ilmd")
    return isinstance(ilmd, Mapping) and any(ilmd.get(k) for k in _HARVEST_ILMD)


def is_harvest(event: Mapping[str, Any]) -> bool:
    """Whether the event records a harvest (see :func:`critical_tracking_event`)."""
    return critical_tracking_event(event) == CTE_HARVESTING
