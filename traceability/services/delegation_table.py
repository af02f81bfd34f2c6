"""The delegation table as this process last read it, kept while its generation stands.

The resolver asks on every answer it builds whether another resolver handles the code. The
table is a handful of rows that change rarely, so each process keeps all of it and reads it
again only when the generation of :data:`DELEGATIONS_SCOPE` has moved: a delegation made or
ended bumps that generation once its transaction has committed (``Portal.write``), which
every process sees before the write returns (traceability.cache). While the generation is
unknown (the shared cache down) the table is read from the database on every ask.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Final, Generic, TypeVar

from traceability.cache import Cache
from traceability.repositories.delegations import company_prefixes_of

# Bumped by every delegation made or ended.
DELEGATIONS_SCOPE: Final = "delegations"
Record = TypeVar("Record")


class DelegationIndex(Generic[Record]):
    """Delegations by kind and key; the most specific one covering a GTIN wins."""

    def __init__(self, rows: Sequence[tuple[str, str, Record]]) -> None:
        self._by_key = {(kind, key): record for kind, key, record in rows}

    def covering(self, gtin: str) -> Record | None:
        """The GTIN's own delegation, else its longest company prefix's."""
        found = self._by_key.get(("gtin", gtin))
        if found is not None:
            return found
        for prefix in reversed(company_prefixes_of(gtin)):
            found = self._by_key.get(("prefix", prefix))
            if found is not None:
                return found
        return None


class DelegationTable(Generic[Record]):
    def __init__(self, cache: Cache) -> None:
        self.cache = cache
        self._generation = -1
        self._index: DelegationIndex[Record] | None = None

    async def index(
        self, read: Callable[[], Awaitable[Sequence[tuple[str, str, Record]]]]
    ) -> DelegationIndex[Record]:
        """The table at the current generation; ``read`` reads every row from the database.
        The generation is read first: a delegation that commits after the rows were read
        bumps it past the one they are kept under, so they are read again next time."""
        generation = await self.cache.generation(DELEGATIONS_SCOPE)
        if generation >= 0 and generation == self._generation and self._index is not None:
            return self._index
        index = DelegationIndex(await read())
        if generation >= 0:
            self._generation, self._index = generation, index
        return index
