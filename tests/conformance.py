"""GS1's conformance material (EPCIS 2.0 examples, JSON Schemas, event-hash vectors), read
from the folder TRACE_CONFORMANCE_DIR names and never copied into the project.

On a developer's machine without it, the tests that read it skip and say why; CI sets it
(`.ci/run`), and there a missing folder fails the run (tests/conftest.py).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

_SETTING = "TRACE_CONFORMANCE_DIR"
_configured = os.environ.get(_SETTING)
CONFORMANCE_DIR: Path | None = Path(_configured).resolve() if _configured else None
MISSING = (
    f"GS1's conformance material not configured: set {_SETTING} to the folder that holds "
    "epcis/ (examples, schema, event-hash) to run this"
)


def conformance_problem() -> str | None:
    """Why the configured folder cannot be used (None when it can, or when none is set)."""
    if CONFORMANCE_DIR is None:
        return None
    if not (CONFORMANCE_DIR / "epcis").is_dir():
        return f"{_SETTING} is {CONFORMANCE_DIR}, which holds no epcis/ folder"
    return None


def epcis_dir() -> Path:
    """Where the EPCIS material is; a path that does not exist when none is configured, so
    that globbing it at import finds nothing (the tests then skip through the helpers)."""
    return (CONFORMANCE_DIR or Path("conformance-not-configured")) / "epcis"


def require_conformance() -> Path:
    """The EPCIS material folder, or a skip with the reason (CI refuses to start without it)."""
    if CONFORMANCE_DIR is None:
        pytest.skip(MISSING)
    return epcis_dir()


def material(paths: Sequence[Path]) -> list[Any]:
    """Parameters over GS1 documents: the paths, or one skipped case saying why there are
    none (rather than pytest's bare "empty parameter set")."""
    if paths:
        return list(paths)
    return [pytest.param(None, marks=pytest.mark.skip(reason=MISSING), id="not-configured")]
