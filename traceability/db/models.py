"""SQLAlchemy models: the registry, the event ledger and the Merkle log.

Ledger tables are append-only by design: code never issues UPDATE or DELETE on
events, chain_links, log_leaves or log_nodes. Lot heads and the log state are the
only rows that move, and they are derived (the audit recomputes them).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JsonValue = JSON().with_variant(JSONB(), "postgresql")
# SQLite only has 64-bit INTEGER PRIMARY KEY as its rowid alias; BIGINT would not autoincrement.
BigId = BigInteger().with_variant(Integer(), "sqlite")
UtcDateTime = DateTime(timezone=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    tax_code: Mapped[str | None] = mapped_column(String(14), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(Text)
    province: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CompanyPrefix(Base):
    """A GS1 company prefix licensed to one organisation (a GTIN's owner is found by it)."""

    __tablename__ = "company_prefixes"

    prefix: Mapped[str] = mapped_column(String(12), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    # Only a hash is kept: a leaked database does not leak working keys.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(16))
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SigningKeyRow(Base):
    __tablename__ = "signing_keys"

    key_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    custody: Mapped[str] = mapped_column(String(20))
    sealed_private_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    valid_from: Mapped[datetime] = mapped_column(UtcDateTime)
    valid_to: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Location(Base):
    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    gln: Mapped[str] = mapped_column(String(13), unique=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    address: Mapped[str | None] = mapped_column(Text)
    province: Mapped[str | None] = mapped_column(String(100))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    gtin: Mapped[str] = mapped_column(String(14), unique=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str | None] = mapped_column(String(300))
    brand: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(200))
    category_en: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
    image_url: Mapped[str | None] = mapped_column(String(1000))
    applied_standards: Mapped[list[str]] = mapped_column(JsonValue, default=list)
    shelf_life_days: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Lot(Base):
    __tablename__ = "lots"
    __table_args__ = (UniqueConstraint("gtin", "lot_code", name="uq_lots_gtin_lot_code"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    gtin: Mapped[str] = mapped_column(String(14))
    lot_code: Mapped[str] = mapped_column(String(20))
    production_date: Mapped[date | None] = mapped_column(Date)
    expiry_date: Mapped[date | None] = mapped_column(Date)
    quantity: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(20))
    origin_location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    certifications: Mapped[list[dict[str, Any]]] = mapped_column(JsonValue, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Chain(Base):
    """One lot's hash chain, keyed by GTIN and lot code.

    Separate from the lot registry: events may name lots nobody registered here
    (imports, other portals' GTINs), and those are chained all the same.
    """

    __tablename__ = "chains"
    __table_args__ = (UniqueConstraint("gtin", "lot_code", name="uq_chains_gtin_lot_code"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    gtin: Mapped[str] = mapped_column(String(14))
    lot_code: Mapped[str] = mapped_column(String(20))
    # The head: moved only by the append transaction, under this row's lock.
    head_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    head_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))


class Event(Base):
    __tablename__ = "events"
    # An error declaration (EPCIS 7.4.1.5) repeats the eventID of the event it corrects.
    __table_args__ = (
        UniqueConstraint("event_id", "declares_error", name="uq_events_event_id_declaration"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(512))
    declares_error: Mapped[bool] = mapped_column(Boolean, default=False)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    key_id: Mapped[str] = mapped_column(ForeignKey("signing_keys.key_id"))
    event: Mapped[dict[str, Any]] = mapped_column(JsonValue)
    event_type: Mapped[str] = mapped_column(String(40), index=True)
    event_time: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    # Copies of fields of the event, for queries (the event JSON stays the record).
    action: Mapped[str | None] = mapped_column(String(10))
    biz_step: Mapped[str | None] = mapped_column(String(200), index=True)
    disposition: Mapped[str | None] = mapped_column(String(200))
    read_point: Mapped[str | None] = mapped_column(String(500), index=True)
    biz_location: Mapped[str | None] = mapped_column(String(500), index=True)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    event_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))
    signed_by: Mapped[str] = mapped_column(String(20))
    log_index: Mapped[int] = mapped_column(BigInteger, unique=True)


class EventIdentifier(Base):
    """An identifier an event names, in canonical form, with the field it came from."""

    __tablename__ = "event_identifiers"
    __table_args__ = (Index("ix_event_identifiers_value_role", "value", "role"),)

    event_pk: Mapped[int] = mapped_column(ForeignKey("events.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[str] = mapped_column(String(500), primary_key=True)


class CaptureJob(Base):
    """One EPCIS capture request (REST binding): what was asked and how it ended."""

    __tablename__ = "capture_jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    error_behaviour: Mapped[str] = mapped_column(String(20))
    event_count: Mapped[int] = mapped_column(Integer)
    captured_count: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JsonValue, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # What was received, kept so a job interrupted by a crash can be run again.
    document: Mapped[dict[str, Any] | None] = mapped_column(JsonValue)
    principal_role: Mapped[str | None] = mapped_column(String(20))
    # Which serving process runs the job, and until when: a lapsed claim is swept up by another.
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)


class NamedQuery(Base):
    """A SimpleEventQuery an organisation saved under a name (EPCIS REST binding, /queries).

    Names are unique within an organisation; another organisation's queries are invisible.
    Unlike the ledger, a query may be deleted: it is a saved view, not evidence."""

    __tablename__ = "named_queries"
    __table_args__ = (
        UniqueConstraint("organization_id", "name", name="uq_named_queries_organization_name"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    name: Mapped[str] = mapped_column(String(200))
    # The query as the binding writes it: parameter name -> list of values, or one value.
    query: Mapped[dict[str, Any]] = mapped_column(JsonValue)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CaptureJobEvent(Base):
    """One event a capture job captured, in the order it captured them: what its answer lists.

    A row of its own per event, so a job of thousands of events adds one small row a step and
    its answer reads one page of them."""

    __tablename__ = "capture_job_events"

    capture_job_id: Mapped[str] = mapped_column(ForeignKey("capture_jobs.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    event_id: Mapped[str] = mapped_column(String(512))


class InstanceLot(Base):
    """Which lot a serialised item (GTIN + serial) belongs to, as its commissioning said.

    An SGTIN does not carry its lot; later events naming the item find its lot here.
    """

    __tablename__ = "instance_lots"

    gtin: Mapped[str] = mapped_column(String(14), primary_key=True)
    serial: Mapped[str] = mapped_column(String(20), primary_key=True)
    lot_code: Mapped[str] = mapped_column(String(20))


class ChainLinkRow(Base):
    """One event's place in one lot's chain. (chain_id, seq) is the key: a fork cannot be stored."""

    __tablename__ = "chain_links"
    __table_args__ = (
        UniqueConstraint("event_pk", "chain_id", name="uq_chain_links_event_chain"),
        Index("ix_chain_links_event_pk", "event_pk"),
    )

    chain_id: Mapped[int] = mapped_column(ForeignKey("chains.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    event_pk: Mapped[int] = mapped_column(ForeignKey("events.id"))
    prev_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))


class LogLeaf(Base):
    __tablename__ = "log_leaves"

    index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    event_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    event_id: Mapped[str] = mapped_column(String(512))


class LogNode(Base):
    """The hash of one complete aligned subtree: enough for O(log n) proofs."""

    __tablename__ = "log_nodes"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class LogState(Base):
    """The single row that sequences the log; its lock orders all appends."""

    __tablename__ = "log_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger)
    frontier: Mapped[bytes] = mapped_column(LargeBinary)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))


class LogIdentityRow(Base):
    """What the log is, fixed when it is born: the origin line of its checkpoints and the
    verifier key (name, key id, public key) that signs them. A single row."""

    __tablename__ = "log_identity"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    origin: Mapped[str] = mapped_column(Text)
    verifier_key: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class LogCheckpoint(Base):
    __tablename__ = "log_checkpoints"

    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ResolverLink(Base):
    """A link a business attached to its codes on the resolver (traceability.resolver).

    Unlike events, links are edited and deleted. The text columns of the identity hold ""
    rather than NULL when absent, so the unique constraint sees two absent values as equal.
    """

    __tablename__ = "resolver_links"
    __table_args__ = (
        UniqueConstraint(
            "anchor_key",
            "link_type",
            "hreflang",
            "media_type",
            "context",
            name="uq_resolver_links_identity",
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    gtin: Mapped[str] = mapped_column(String(14), index=True)
    anchor_key: Mapped[str] = mapped_column(String(120))
    lot: Mapped[str | None] = mapped_column(String(20))
    serial: Mapped[str | None] = mapped_column(String(20))
    serial_first: Mapped[str | None] = mapped_column(String(20))
    serial_last: Mapped[str | None] = mapped_column(String(20))
    link_type: Mapped[str] = mapped_column(String(64))
    href: Mapped[str] = mapped_column(String(2000))
    title: Mapped[str] = mapped_column(String(300))
    hreflang: Mapped[str] = mapped_column(String(300))
    media_type: Mapped[str] = mapped_column(String(255))
    context: Mapped[str] = mapped_column(String(100))
    is_default: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PrintedSerial(Base):
    """A serial the GTIN's owner issued by printing its label on a sheet of the lot's codes.

    With a commissioning event naming the item, this is what makes a serial known to its
    producer: a scanned serial found in neither was never issued (a guessed or forged code).
    """

    __tablename__ = "printed_serials"

    gtin: Mapped[str] = mapped_column(String(14), primary_key=True)
    serial: Mapped[str] = mapped_column(String(20), primary_key=True)
    lot_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    printed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ResolverDelegation(Base):
    """A GS1 company prefix or a GTIN handed to another resolver: the Digital Links under it
    are answered by a redirect there (``gs1:handledBy``)."""

    __tablename__ = "resolver_delegations"
    __table_args__ = (UniqueConstraint("kind", "key", name="uq_resolver_delegations_kind_key"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # "prefix" or "gtin"
    key: Mapped[str] = mapped_column(String(14), index=True)
    target: Mapped[str] = mapped_column(String(500))
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class LogCosignature(Base):
    """A witness's cosignature line on the log's checkpoint of a size (C2SP tlog-cosignature),
    verified before it was stored. Served after the log's own signature line."""

    __tablename__ = "log_cosignatures"

    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    witness_key: Mapped[str] = mapped_column(Text, primary_key=True)
    line: Mapped[str] = mapped_column(Text)
    cosigned_at: Mapped[datetime] = mapped_column(UtcDateTime)  # the witness's timestamp
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)


class WitnessStatus(Base):
    """How current a configured witness is: the latest size it cosigned for the log, and the
    last error it answered (or that reaching it gave). One row a witness key."""

    __tablename__ = "witness_status"

    witness_key: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    cosigned_size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    cosigned_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    attempted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class QuerySubscription(Base):
    """A webhook subscription to an EPCIS query (REST binding), with its own copy of the
    query's parameters. ``cursor`` is the last log index it has looked at: events are
    appended to the log under one lock, so log order is commit order and nothing new is
    ever behind it."""

    __tablename__ = "query_subscriptions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    # The subscriber's role when it subscribed: what its queries may see.
    principal_role: Mapped[str] = mapped_column(String(20))
    query_name: Mapped[str] = mapped_column(String(200))
    query: Mapped[dict[str, Any]] = mapped_column(JsonValue)
    dest: Mapped[str] = mapped_column(String(2000))
    signature_token: Mapped[str | None] = mapped_column(String(500))
    stream: Mapped[bool] = mapped_column(Boolean)
    schedule: Mapped[dict[str, Any] | None] = mapped_column(JsonValue)
    report_if_empty: Mapped[bool] = mapped_column(Boolean)
    initial_record_time: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_notified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cursor: Mapped[int] = mapped_column(BigInteger)
    next_run_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # When its query last ran (a stream's look, a schedule's run): the binding's
    # minRecordTime from then on, initialRecordTime (or created_at) before.
    last_run_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SubscriptionDelivery(Base):
    """One notification owed to a subscription: the outbox row. Its events lie in a range of
    the log past the subscription's cursor, which moved past them when the row was written,
    so no event is in two rows of one subscription; the key names the range (stream) or the
    run (schedule) and is unique per subscription. A deliverer claims it, as capture jobs
    are claimed."""

    __tablename__ = "subscription_deliveries"
    __table_args__ = (
        UniqueConstraint(
            "subscription_id", "idempotency_key", name="uq_subscription_deliveries_key"
        ),
        Index("ix_subscription_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    subscription_id: Mapped[str] = mapped_column(
        ForeignKey("query_subscriptions.id", ondelete="CASCADE"), index=True
    )
    idempotency_key: Mapped[str] = mapped_column(String(200))
    event_pks: Mapped[list[int]] = mapped_column(JsonValue)
    # pending, delivered, or dead (tried subscription_max_attempts times).
    status: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
