"""The portal's own secrets: the master key (seals keys held for businesses) and the log key.

Both come from settings when given. Otherwise they are created once in the data
dir, with owner-only permissions; creation is exclusive so that several worker
processes starting together end up with the same key.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass
from pathlib import Path

import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from traceability.config import Settings
from traceability.crypto.sealing import MASTER_KEY_SIZE, check_master_key
from traceability.crypto.signing import private_key_raw
from traceability.errors import InvalidInput
from traceability.log.note import NoteSigner

log = structlog.get_logger(__name__)

MASTER_KEY_FILE = "master.key"
LOG_KEY_FILE = "log-signing.key"


@dataclass(frozen=True)
class LogKeySettings:
    """The log's key and name as configured. A log takes them when it is born; afterwards
    the identity it recorded wins, and a pinned setting that disagrees with it is refused."""

    private_key: Ed25519PrivateKey
    origin: str  # for a new log: TRACE_LOG_ORIGIN, else the host of TRACE_BASE_URL
    key_name: str  # for a new log: TRACE_LOG_KEY_NAME, else the origin
    origin_pinned: bool  # TRACE_LOG_ORIGIN was set
    key_name_pinned: bool  # TRACE_LOG_KEY_NAME was set

    def signer(self, name: str | None = None) -> NoteSigner:
        return NoteSigner(name or self.key_name, self.private_key)


@dataclass(frozen=True)
class Keyring:
    master_key: bytes
    log: LogKeySettings


def _decode_setting(value: str, name: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("must be base64", field=name) from exc


def _read_or_create(path: Path, make: bytes) -> tuple[bytes, bool]:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return base64.b64decode(path.read_text().strip()), False
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.b64encode(make).decode() + "\n")
    return make, True


def load_keyring(settings: Settings) -> Keyring:
    if settings.master_key:
        master = _decode_setting(settings.master_key, "TRACE_MASTER_KEY")
    else:
        path = settings.data_dir / MASTER_KEY_FILE
        master, created = _read_or_create(path, os.urandom(MASTER_KEY_SIZE))
        if created:
            log.warning(
                "master_key_generated",
                path=str(path),
                advice="set TRACE_MASTER_KEY in production and keep this file safe; "
                "without it, keys the portal holds for businesses cannot be opened",
            )
    check_master_key(master)

    if settings.log_signing_key:
        raw = _decode_setting(settings.log_signing_key, "TRACE_LOG_SIGNING_KEY")
    else:
        path = settings.data_dir / LOG_KEY_FILE
        raw, created = _read_or_create(path, private_key_raw(Ed25519PrivateKey.generate()))
        if created:
            log.warning("log_key_generated", path=str(path))
    if len(raw) != 32:
        raise InvalidInput("must be a 32-byte Ed25519 private key", field="TRACE_LOG_SIGNING_KEY")
    log_key = LogKeySettings(
        private_key=Ed25519PrivateKey.from_private_bytes(raw),
        origin=settings.resolved_log_origin,
        key_name=settings.resolved_log_key_name,
        origin_pinned=bool(settings.log_origin),
        key_name_pinned=bool(settings.log_key_name),
    )
    return Keyring(master_key=master, log=log_key)
