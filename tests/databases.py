"""One database for a module whose behaviour the database cannot change.

The suite runs most tests on SQLite and on PostgreSQL (tests/conftest.py). Some modules ask
questions that the gateway and the services answer whatever stores the rows (who may call
what; what a standard's HTTP rules say): they run once, on PostgreSQL where the deployment
runs, or on SQLite where none is configured. A module opts in by importing the fixture:

    from tests.databases import database_url  # noqa: F401 (one database: see tests.databases)
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import PG_URL


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    if PG_URL:
        url: str = request.getfixturevalue("postgres_database")
        return url
    path = tmp_path / "traceability.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"
