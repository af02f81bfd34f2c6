"""Units of measure in the page's language: UN/ECE Recommendation 20 codes (EPCIS ``uom``,
package codes of Recommendation 21 with their "X" prefix) and the plain words a business
types as a lot's unit ("bottle", "bags", "chai", "kg").

A word is read case-insensitively, singular or plural, English or Vietnamese, and shown as
the unit's name in the page's language; a unit nobody listed is shown as it was typed.
"""

from __future__ import annotations

from typing import Final, NamedTuple

from gateway.pages.messages import Lang


class UnitName(NamedTuple):
    vi: str
    en: str  # singular
    en_plural: str


UNITS: Final[dict[str, UnitName]] = {
    # Quantities (Recommendation 20).
    "KGM": UnitName("kg", "kg", "kg"),
    "GRM": UnitName("g", "g", "g"),
    "MGM": UnitName("mg", "mg", "mg"),
    "TNE": UnitName("tấn", "tonne", "tonnes"),
    "LTR": UnitName("lít", "litre", "litres"),
    "MLT": UnitName("ml", "mL", "mL"),
    "MTR": UnitName("m", "m", "m"),
    "MTK": UnitName("m²", "m²", "m²"),
    "MTQ": UnitName("m³", "m³", "m³"),
    "CEL": UnitName("°C", "°C", "°C"),
    "P1": UnitName("%", "%", "%"),
    "H87": UnitName("sản phẩm", "item", "items"),
    "EA": UnitName("sản phẩm", "item", "items"),
    "C62": UnitName("đơn vị", "unit", "units"),
    "PR": UnitName("đôi", "pair", "pairs"),
    "SET": UnitName("bộ", "set", "sets"),
    "DZN": UnitName("tá", "dozen", "dozen"),
    # Packages (Recommendation 21 codes as Recommendation 20 writes them).
    "XBG": UnitName("túi", "bag", "bags"),
    "XSA": UnitName("bao", "sack", "sacks"),
    "XBX": UnitName("hộp", "box", "boxes"),
    "XCT": UnitName("thùng các-tông", "carton", "cartons"),
    "XCS": UnitName("thùng", "case", "cases"),
    "XPK": UnitName("gói", "pack", "packs"),
    "XPO": UnitName("túi nhỏ", "pouch", "pouches"),
    "XBO": UnitName("chai", "bottle", "bottles"),
    "XCX": UnitName("lon", "can", "cans"),
    "XCA": UnitName("lon", "can", "cans"),
    "XJR": UnitName("hũ", "jar", "jars"),
    "XTU": UnitName("tuýp", "tube", "tubes"),
    "XTY": UnitName("khay", "tray", "trays"),
    "XCR": UnitName("két", "crate", "crates"),
    "XBK": UnitName("giỏ", "basket", "baskets"),
    "XBJ": UnitName("xô", "bucket", "buckets"),
    "XBE": UnitName("bó", "bundle", "bundles"),
    "XPX": UnitName("pa-lét", "pallet", "pallets"),
}

# Plain words, lower case, in either language, for the code whose name is shown.
WORDS: Final[dict[str, str]] = {
    **dict.fromkeys(("kg", "kgs", "kilo", "kilos", "kilogram", "kilograms", "ký", "kí"), "KGM"),
    **dict.fromkeys(("g", "gr", "gram", "grams", "gam"), "GRM"),
    **dict.fromkeys(("mg", "milligram", "milligrams"), "MGM"),
    **dict.fromkeys(("t", "tonne", "tonnes", "ton", "tons", "tấn"), "TNE"),
    **dict.fromkeys(("l", "litre", "litres", "liter", "liters", "lít"), "LTR"),
    **dict.fromkeys(("ml", "millilitre", "millilitres", "milliliter", "milliliters"), "MLT"),
    **dict.fromkeys(("m", "metre", "metres", "meter", "meters", "mét"), "MTR"),
    **dict.fromkeys(("°c", "celsius"), "CEL"),
    **dict.fromkeys(
        ("item", "items", "piece", "pieces", "pc", "pcs", "cái", "chiếc", "sản phẩm"), "H87"
    ),
    **dict.fromkeys(("unit", "units", "đơn vị"), "C62"),
    **dict.fromkeys(("pair", "pairs", "đôi"), "PR"),
    **dict.fromkeys(("set", "sets", "bộ"), "SET"),
    **dict.fromkeys(("dozen", "dozens", "tá"), "DZN"),
    **dict.fromkeys(("bag", "bags", "túi"), "XBG"),
    **dict.fromkeys(("sack", "sacks", "bao"), "XSA"),
    **dict.fromkeys(("box", "boxes", "hộp"), "XBX"),
    **dict.fromkeys(("carton", "cartons", "thùng các-tông", "thùng carton"), "XCT"),
    **dict.fromkeys(("case", "cases", "thùng"), "XCS"),
    **dict.fromkeys(("pack", "packs", "packet", "packets", "gói"), "XPK"),
    **dict.fromkeys(("pouch", "pouches"), "XPO"),
    **dict.fromkeys(("bottle", "bottles", "chai"), "XBO"),
    **dict.fromkeys(("can", "cans", "tin", "tins", "lon"), "XCX"),
    **dict.fromkeys(("jar", "jars", "hũ", "lọ"), "XJR"),
    **dict.fromkeys(("tube", "tubes", "tuýp"), "XTU"),
    **dict.fromkeys(("tray", "trays", "khay"), "XTY"),
    **dict.fromkeys(("crate", "crates", "két"), "XCR"),
    **dict.fromkeys(("basket", "baskets", "giỏ"), "XBK"),
    **dict.fromkeys(("bucket", "buckets", "xô"), "XBJ"),
    **dict.fromkeys(("bundle", "bundles", "bó"), "XBE"),
    **dict.fromkeys(("pallet", "pallets", "pa-lét"), "XPX"),
}


def unit_code(unit: str | None) -> str | None:
    """The code of a unit as sent or typed, or None when it is not one the pages know."""
    if not unit or not unit.strip():
        return None
    text = unit.strip()
    if text in UNITS:
        return text
    if text.upper() in UNITS:
        return text.upper()
    return WORDS.get(" ".join(text.lower().split()))


def unit_name(unit: str | None, lang: Lang, quantity: float | None = None) -> str | None:
    """The unit's name in ``lang`` (English plural unless the quantity is exactly one); an
    unknown unit as it was typed."""
    if not unit or not unit.strip():
        return None
    code = unit_code(unit)
    if code is None:
        return unit.strip()
    name = UNITS[code]
    if lang == "vi":
        return name.vi
    return name.en if quantity == 1 else name.en_plural
