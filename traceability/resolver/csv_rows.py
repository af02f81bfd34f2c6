"""Links from a CSV file: a header line naming the columns, then one link a line.

Columns (any order; only ``anchor``, ``linkType``, ``href`` and ``title`` are required):
``anchor, serialFirst, serialLast, linkType, href, title, hreflang, type, context, default``.
"""

from __future__ import annotations

import csv
import io
from typing import Final

from traceability.errors import InvalidInput

COLUMNS: Final = (
    "anchor",
    "serialFirst",
    "serialLast",
    "linkType",
    "href",
    "title",
    "hreflang",
    "type",
    "context",
    "default",
)
REQUIRED: Final = ("anchor", "linkType", "href", "title")


def csv_rows(data: bytes) -> list[dict[str, object]]:
    """The links of a UTF-8 CSV upload (a byte order mark is allowed): row 1 is the first
    link after the header; blank lines are not rows."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("a CSV upload is UTF-8 text", field="body") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip() for name in next(reader, [])]
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise InvalidInput(
            f"unknown column(s) {', '.join(unknown)}; the columns are {', '.join(COLUMNS)}",
            field="body",
        )
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise InvalidInput(f"the header lacks the column(s) {', '.join(missing)}", field="body")
    rows: list[dict[str, object]] = []
    for values in reader:
        if not any(value.strip() for value in values):
            continue  # a blank line, often the last one
        rows.append({name: value.strip() for name, value in zip(header, values, strict=False)})
    return rows
