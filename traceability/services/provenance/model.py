"""The provenance presenter: plain data a page, the JSON API and the linkset are made from.

Built by ``service.py`` from the registry and the ledger; templates only
read it (no logic in templates). ``to_json`` is the public JSON form of each piece.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any, Literal

Level = Literal["product", "lot", "serial"]
ScanWarning = Literal["often", "old"]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class Party:
    """An organisation as the public may see it (no private contact data)."""

    name: str
    address: str | None = None
    province: str | None = None
    tax_code: str | None = None


@dataclass(frozen=True, slots=True)
class Place:
    gln: str
    name: str | None = None
    address: str | None = None
    province: str | None = None
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True, slots=True)
class Certification:
    scheme: str
    number: str | None = None
    issuer: str | None = None
    valid_until: date | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class LotRef:
    """Another lot, linked from this page (an input or output of a transformation)."""

    gtin: str
    lot: str
    path: str  # canonical Digital Link path of that lot's page
    product_name: str | None = None
    product_name_en: str | None = None


@dataclass(frozen=True, slots=True)
class Stage:
    """One supply-chain event, in words: what happened, when, where and who said so."""

    event_id: str
    event_type: str
    biz_step: str | None  # bare CBV word, e.g. "commissioning", or the URI when not CBV
    action: str | None
    disposition: str | None  # bare CBV word, e.g. "in_transit", "recalled"
    time: datetime | None
    time_zone: str | None  # the event's own offset, e.g. "+07:00"
    place: Place | None
    party: Party  # the organisation that recorded (and signed) the event
    inputs: tuple[LotRef, ...] = ()
    outputs: tuple[LotRef, ...] = ()
    # Set when a later event declared this one erroneous (EPCIS errorDeclaration).
    declared_error: str | None = None
    # The lots this one was made from that the stage concerned (harvest, milling...), each
    # event once however many of them it names; empty for the lot's own stages. Inputs of a
    # transformation are in ``inputs`` and not repeated here.
    upstream: tuple[LotRef, ...] = ()


@dataclass(frozen=True, slots=True)
class Verification:
    """The lot chain's audit, for a shopper: intact, signed, and in the public log."""

    intact: bool
    signatures_valid: bool
    checked: int  # events checked
    problem: str | None  # first problem found, in the auditor's words
    checkpoint_size: int  # the signed log checkpoint the chain was checked against
    log_indexes: tuple[int, ...]  # where this lot's events sit in the log
    proof_path: str  # link to the inclusion proof of the latest event
    # What kind of problem ``problem`` is, for a page that words it in its own language:
    # the audit's fault ("hash_mismatch", "bad_signature"...), or "log" for the public log.
    problem_kind: str | None = None


@dataclass(frozen=True, slots=True)
class Recall:
    recalled: bool
    since: datetime | None = None
    reason: str | None = None
    event_id: str | None = None
    # Who put the lot under recall: its owner, or an inspector organisation acting as the
    # authority (``by_authority``). Nobody else's recall is honoured.
    ordered_by: Party | None = None
    by_authority: bool = False


@dataclass(frozen=True, slots=True)
class ScanInfo:
    """How often a serialised item's code has been scanned: a copied label shows up here."""

    count: int  # distinct clients a day, added up over the days (a refresh is not a scan)
    first_seen: datetime | None
    warning: ScanWarning | None = None


@dataclass(frozen=True, slots=True)
class ProductInfo:
    gtin: str
    name: str
    name_en: str | None = None
    brand: str | None = None
    category: str | None = None
    category_en: str | None = None
    description: str | None = None
    description_en: str | None = None
    image_url: str | None = None
    applied_standards: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LotInfo:
    lot: str
    production_date: date | None = None
    expiry_date: date | None = None
    quantity: float | None = None
    unit: str | None = None
    origin: Place | None = None
    certifications: tuple[Certification, ...] = ()


@dataclass(frozen=True, slots=True)
class Provenance:
    level: Level
    canonical_path: str  # e.g. "/01/08930000000018/10/LOT1"
    product: ProductInfo
    producer: Party
    lot: LotInfo | None = None
    serial: str | None = None
    cpv: str | None = None
    stages: tuple[Stage, ...] = ()
    verification: Verification | None = None
    recall: Recall = field(default_factory=lambda: Recall(False))
    # Product level: the product's lots, newest first (a bounded number).
    lots: tuple[LotRef, ...] = ()
    scans: ScanInfo | None = None
    # Serial level: whether the GTIN's owner issued this serial (printed its label, or
    # commissioned the item); None on product and lot pages. A serial nobody issued is no
    # verified item: its page says the code is unknown to the producer.
    issued: bool | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = _plain(asdict(self))
        return data
