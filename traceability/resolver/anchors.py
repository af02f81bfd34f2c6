"""Where a business link is attached: a product, a lot, a serial, or a range of serials.

A link attached at an anchor applies to the anchor's own URI and to every more specific URI
under it (a product's link shows for its lots and serials). When several anchors cover one
URI, the more specific wins: serial > serial range > lot > product.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

from traceability.errors import InvalidInput
from traceability.identifiers.digital_link import (
    DigitalLink,
    digital_link_path,
    parse_digital_link,
)

AnchorLevel = Literal["product", "lot", "serialRange", "serial"]
# Higher wins: a link for one serial beats one for its range, its lot or its product.
SPECIFICITY: Final[dict[AnchorLevel, int]] = {
    "product": 0,
    "lot": 1,
    "serialRange": 2,
    "serial": 3,
}
_DIGITS: Final = re.compile(r"^[0-9]{1,20}$")


@dataclass(frozen=True, slots=True)
class SerialRange:
    """Numeric serials from ``first`` to ``last`` inclusive, compared as numbers (a label
    run printed 000100..000199 holds the scanned serial 000150)."""

    first: str
    last: str

    def holds(self, serial: str) -> bool:
        return bool(_DIGITS.match(serial)) and int(self.first) <= int(serial) <= int(self.last)


@dataclass(frozen=True, slots=True)
class Anchor:
    gtin: str
    lot: str | None = None
    serial: str | None = None
    serials: SerialRange | None = None

    @property
    def level(self) -> AnchorLevel:
        if self.serial is not None:
            return "serial"
        if self.serials is not None:
            return "serialRange"
        return "lot" if self.lot is not None else "product"

    @property
    def specificity(self) -> int:
        return SPECIFICITY[self.level]

    @property
    def path(self) -> str:
        """The canonical Digital Link path of the anchor (a range's is its product's)."""
        return digital_link_path(DigitalLink(self.gtin, lot=self.lot, serial=self.serial))

    @property
    def key(self) -> str:
        """One text per anchor: part of a link's identity."""
        if self.serials is None:
            return self.path
        return f"{self.path}/21/{self.serials.first}..{self.serials.last}"

    def covers(self, link: DigitalLink) -> bool:
        """Whether a request for ``link`` is at this anchor or under it."""
        if link.gtin != self.gtin:
            return False
        if self.serial is not None:
            return link.serial == self.serial
        if self.serials is not None:
            return link.serial is not None and self.serials.holds(link.serial)
        return self.lot is None or link.lot == self.lot


def parse_anchor(path: str, serial_range: tuple[str, str] | None = None) -> Anchor:
    """An anchor from a Digital Link path (``/01/{gtin}``, ``/01/{gtin}/10/{lot}`` or
    ``/01/{gtin}/21/{serial}``), or a product path and a range of numeric serials."""
    if not path.startswith("/01/"):
        raise InvalidInput(
            f"{path!r} is not a Digital Link path; an anchor is /01/{{gtin}}, "
            "/01/{gtin}/10/{lot} or /01/{gtin}/21/{serial}",
            field="anchor",
        )
    try:
        parsed = parse_digital_link(path)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field="anchor") from None
    link = parsed.link
    if link.cpv is not None or link.expiry is not None or parsed.query:
        raise InvalidInput(
            "an anchor names a product, a lot or a serial only (no /22/, no query)",
            field="anchor",
        )
    if link.lot is not None and link.serial is not None:
        raise InvalidInput(
            "a serial is unique within its GTIN: anchor it at /01/{gtin}/21/{serial}",
            field="anchor",
        )
    if serial_range is None:
        return Anchor(link.gtin, lot=link.lot, serial=link.serial)
    if link.lot is not None or link.serial is not None:
        raise InvalidInput("a serial range is anchored at its product, /01/{gtin}", field="anchor")
    return Anchor(link.gtin, serials=_serial_range(*serial_range))


def _serial_range(first: str, last: str) -> SerialRange:
    for name, value in (("first", first), ("last", last)):
        if not _DIGITS.match(value):
            raise InvalidInput(
                f"{value!r}: a serial range's ends are numbers of 1 to 20 digits",
                field=f"serialRange.{name}",
            )
    if int(first) > int(last):
        raise InvalidInput(f"the range {first}..{last} is empty", field="serialRange")
    return SerialRange(first, last)
