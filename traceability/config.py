"""One Settings class; every value comes from the environment with the TRACE_ prefix."""

from __future__ import annotations

from functools import cached_property
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from urllib.parse import urlsplit

from platformdirs import user_data_dir
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from traceability.errors import TraceabilityError
from traceability.log.witness_protocol import WitnessEndpoint, parse_witness_list

IPNetwork = IPv4Network | IPv6Network


def parse_networks(value: str) -> tuple[IPNetwork, ...]:
    """Comma-separated IP addresses and CIDR networks (a bare address is a network of one)."""
    networks = []
    for item in value.split(","):
        if item.strip():
            try:
                networks.append(ip_network(item.strip(), strict=False))
            except ValueError as exc:
                raise ValueError(f"{item.strip()!r} is not an IP address or CIDR network") from exc
    return tuple(networks)


def local_base_url(host: str, port: int) -> str:
    """The base URL printed in QR codes when none is configured: where a server on this
    host and port answers. A wildcard interface answers on loopback too."""
    if host in {"0.0.0.0", "::", ""}:
        host = "127.0.0.1"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def default_data_dir() -> Path:
    """Where the portal keeps its SQLite file and generated keys when TRACE_DATA_DIR is unset.

    The user's data directory (Linux: ``$XDG_DATA_HOME/traceability``, by default
    ``~/.local/share/traceability``; macOS: ``~/Library/Application Support/traceability``;
    Windows: ``%LOCALAPPDATA%\\traceability``), never the current folder: every command, run from
    any folder, then opens the database the server uses."""
    return Path(user_data_dir("traceability", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRACE_", extra="ignore")

    # Unset: default_data_dir(), the same from whatever folder a command is run.
    data_dir: Path = Field(default_factory=default_data_dir)
    # Unset: an SQLite file in the data dir, so one command runs a trial with nothing installed.
    database_url: str | None = None
    # A PostgreSQL streaming replica for public reads (pages, proofs, tiles, EPCIS queries,
    # traces, exports); writes, logins and a business's read-back of its own writes stay on
    # database_url. A replica more than database_read_max_lag seconds behind, or down, is
    # skipped (reads fall back to the primary); it is checked every
    # database_read_check_interval seconds and used again once it answers and has caught up.
    # Refused with SQLite (there is nothing to replicate to).
    database_read_url: str | None = None
    database_read_max_lag: float = Field(default=5.0, gt=0)
    database_read_check_interval: float = Field(default=1.0, gt=0)
    redis_url: str | None = None
    base_url: str = "http://127.0.0.1:8000"
    # Base64 of 32 bytes. Unset: generated into the data dir on first run (with a warning).
    master_key: str | None = None
    # Base64 of the raw 32-byte Ed25519 private key of the log. Unset: a file in the data dir.
    log_signing_key: str | None = None
    log_origin: str | None = None
    log_key_name: str | None = None
    # How far a record time chosen by a client that signs its own events may drift.
    client_clock_skew_seconds: int = 300
    # For the client commands (keys register, submit): which portal, and whose API key.
    api_url: str | None = None
    api_key: str | None = None
    # Public pages, JSON and QR images are cached (Redis when redis_url is set, else in-process).
    # Off only to measure what a page costs when built per request.
    public_cache: bool = True
    # Every lot's recorded events, exactly as hashed, are public evidence that any browser
    # checks (gateway.routes.evidence). Off, a deployment keeps events to their organisations
    # and inspectors; the pages then say the check in the browser is unavailable.
    public_evidence: bool = True
    # Per-client budget on the public endpoints, requests per minute (0: no limit).
    public_rate_limit: int = 1200
    # A serialised item's page warns of a copied label past this many scans, or when its
    # first scan is older than this many days.
    scan_warn_count: int = 20
    scan_warn_days: int = 365
    log_level: str = "info"
    json_logs: bool = False
    # Capture jobs (POST /capture, run after the 202). While the database is out of reach a
    # job tries again, each wait twice the last (from half a second) up to
    # capture_job_retry_max seconds; a job that has not finished capture_job_deadline seconds
    # after it was accepted (the database stayed away, or the process running it stopped)
    # ends failed, saying why. Every capture_job_sweep_interval seconds a serving process takes
    # up the running jobs no live process holds (0: it never looks). A process holds a job by
    # a lease of capture_job_lease_seconds that it renews while it works (every step, and a
    # third of the lease into a long one); a lease that lapsed (its process died) lets
    # another process take the job over.
    capture_job_retry_max: float = 30.0
    capture_job_deadline: float = 3600.0
    capture_job_sweep_interval: float = 30.0
    capture_job_lease_seconds: float = Field(default=30.0, gt=0)
    # EPCIS query subscriptions (webhooks). Every subscription_poll_interval seconds a serving
    # process queues what subscriptions are owed and sends it (0: it never does); a failed
    # send is tried again after subscription_retry_first seconds, doubling up to
    # subscription_retry_max, and is dead-lettered after subscription_max_attempts tries. A
    # dest on a private or loopback address is refused unless subscription_allow_private.
    subscription_poll_interval: float = 0.2
    subscription_retry_first: float = 1.0
    subscription_retry_max: float = 300.0
    subscription_max_attempts: int = 8
    subscription_timeout: float = 10.0
    subscription_allow_private: bool = False
    # EPCIS WebSocket subscriptions. While a process holds a stream it reads the log's newest
    # index every websocket_poll_interval seconds (one read for all its streams); an
    # organisation holds at most websocket_max_per_organization streams: across every API
    # process when redis_url is set, in the one process otherwise. Each stream holds its
    # place by a lease of websocket_lease_seconds, renewed a third of the way through while
    # it is open, so the places of a process that died free themselves. A client that has
    # not taken a message within websocket_send_timeout seconds is dropped.
    websocket_poll_interval: float = Field(default=0.05, gt=0)
    websocket_max_per_organization: int = Field(default=8, ge=1)
    websocket_lease_seconds: float = Field(default=30.0, gt=0)
    websocket_send_timeout: float = Field(default=5.0, gt=0)
    # How long, in seconds, the nextPageToken of an EPCIS answer keeps working (each answer
    # says until when in GS1-Next-Page-Token-Expires; traceability.services.paging says why
    # tokens expire at all). An expired one is a 400: the client starts its query again.
    page_token_lifetime: float = Field(default=3600.0, gt=0)
    # The client behind a load balancer (the per-client rate limit): X-Forwarded-For, or
    # Forwarded, is believed only from these peers, comma-separated IPs or CIDR networks.
    # Empty: no proxy is trusted and the socket peer is the client.
    trusted_proxies: str = ""
    # Witnesses asked to cosign each checkpoint (C2SP tlog-witness): "VKEY URL[,VKEY URL...]",
    # each witness's verifier key and URL prefix. The checkpoint is served with their
    # cosignatures; witness_quorum is how many a checkpoint needs to count as witnessed.
    witnesses: str = ""
    witness_quorum: int = Field(default=1, ge=0)

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: str) -> str:
        parse_networks(value)
        return value

    @field_validator("witnesses")
    @classmethod
    def _witnesses_are_keys_and_urls(cls, value: str) -> str:
        try:
            parse_witness_list(value)
        except TraceabilityError as exc:
            raise ValueError(str(exc)) from exc
        return value

    @model_validator(mode="after")
    def _replica_needs_postgresql(self) -> Settings:
        if self.database_read_url and (
            self.is_sqlite or not self.database_read_url.startswith("postgresql")
        ):
            raise ValueError(
                "TRACE_DATABASE_READ_URL names a PostgreSQL streaming replica, and needs "
                "TRACE_DATABASE_URL on PostgreSQL too: SQLite has no replicas (unset it)"
            )
        return self

    @cached_property
    def witness_endpoints(self) -> tuple[WitnessEndpoint, ...]:
        return parse_witness_list(self.witnesses)

    @cached_property
    def trusted_proxy_networks(self) -> tuple[IPNetwork, ...]:
        return parse_networks(self.trusted_proxies)

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'traceability.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def resolved_log_origin(self) -> str:
        """The checkpoint origin line; by default the portal's host, as CT-style logs do."""
        if self.log_origin:
            return self.log_origin
        host = urlsplit(self.base_url).netloc or "traceability.local"
        return f"{host}/log"

    @property
    def resolved_log_key_name(self) -> str:
        return self.log_key_name or self.resolved_log_origin
