"""The tamper matrix, cell by cell, on PostgreSQL: what each check makes of each edit an
insider with SQL access can make (tests/security/tamper_matrix.py holds the table and the
edits; docs/AUDIT.md shows the same table).

Each row's scene is built and edited once, and every check run on it in order; each cell's
test then asserts its check's outcome.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.security.tamper_matrix import (
    AUDIT_DOC,
    CHECKS,
    EDITS,
    EXPECTED,
    documented_table,
    observe,
    render_table,
)
from traceability.portal import Portal

CELLS = [pytest.param(edit, check, id=f"{edit}:{check}") for edit in EXPECTED for check in CHECKS]


@pytest.fixture
def database_url(postgres_database: str) -> str:
    """PostgreSQL only: the insider's SQL is PostgreSQL's, as are the locks the log relies on."""
    return postgres_database


@pytest.fixture(scope="module")
def observed() -> dict[str, dict[str, str]]:
    """Each row's outcomes, observed on the first of its cells to run."""
    return {}


@pytest.mark.parametrize(("edit", "check"), CELLS)
async def test_each_check_sees_each_edit_as_the_matrix_says(
    edit: str,
    check: str,
    client: httpx.AsyncClient,
    state: Portal,
    tmp_path: Path,
    observed: dict[str, dict[str, str]],
) -> None:
    if edit not in observed:
        observed[edit] = await observe(edit, client, state, tmp_path)
    assert observed[edit][check] == EXPECTED[edit][check]


def test_the_matrix_has_every_check_of_every_edit() -> None:
    assert list(EXPECTED) == list(EDITS)
    assert {edit: list(outcomes) for edit, outcomes in EXPECTED.items()} == {
        edit: list(CHECKS) for edit in EDITS
    }


def test_the_documented_matrix_is_the_tested_one() -> None:
    """Run `python -m tests.security.tamper_matrix --write-docs` after changing the table."""
    assert documented_table(AUDIT_DOC.read_text(encoding="utf-8")) == render_table()
