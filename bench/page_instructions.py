"""Build the demo's packed-rice lot page N times, uncached, in one process on SQLite: run
under callgrind, the instructions it takes are a figure that the machine's load does not
move, so two versions of the code compare exactly.

    TRACE_DATA_DIR=DIR python -m traceability.cli demo            # once, any version
    TRACE_DATA_DIR=DIR valgrind --tool=callgrind python bench/page_instructions.py 0
    TRACE_DATA_DIR=DIR valgrind --tool=callgrind python bench/page_instructions.py 20

(instructions at 20 - instructions at 0) / 20 is one page build: the provenance service
reading the lot, auditing its chain against the signed checkpoint and following its
journey, as the resolver does on a cache miss. It uses only the portal, its settings and
its provenance service, so a checkout of an older version runs it unchanged (put that
checkout first on PYTHONPATH).
"""

from __future__ import annotations

import asyncio
import sys

from traceability.config import Settings
from traceability.identifiers.digital_link import DigitalLink
from traceability.portal import Portal

GTIN, LOT = "08936901020057", "ST25-260812"


async def build_pages(count: int) -> None:
    portal = Portal.build(Settings())
    link = DigitalLink(gtin=GTIN, lot=LOT)
    try:
        for _ in range(count):
            async with portal.read(snapshot=True) as session:
                page = await portal.provenance.lot(session, link, LOT)
            if page.lot is None:
                raise SystemExit(f"the demo lot {LOT} is not in this database")
    finally:
        await portal.database.dispose()


if __name__ == "__main__":
    asyncio.run(build_pages(int(sys.argv[1]) if len(sys.argv) > 1 else 20))
