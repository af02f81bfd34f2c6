"""EPC URIs (TDS) and GS1 Digital Link URIs as constrained canonical GS1 Digital Link URIs."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

_DL: Final = "https://id.gs1.org/"
_SERIAL_CHAR: Final = (
    r"(?:%2[125-9A-Fa-f]|%3[0-9A-Fa-f]|%4[1-9A-Fa-f]|%5[0-9AaFf]|%6[1-9A-Fa-f]|%7[0-9Aa]"
    r"|[!')(*+,.0-9:;=A-Za-z_-])"
)
_CPI_CHAR: Final = r"(?:%2[3dfDF]|%3[0-9]|%4[1-9A-Fa-f]|%5[0-9Aa]|[0-9A-Z-])"
_PERCENT_ENCODE: Final = str.maketrans(
    {"!": "%21", "(": "%28", ")": "%29", "*": "%2A", "+": "%2B", ",": "%2C", ":": "%3A"}
)


def _key_digits(total: int, *, twelve: str = r"\d{12}\.") -> str:
    """Company prefix (6..12 digits), '.', then the rest of a ``total``-digit key."""
    alternatives = [rf"\d{{{n}}}\.\d{{{total - n}}}" if n < total else twelve for n in range(6, 13)]
    return "(?:" + "|".join(alternatives) + ")"


def _prefix_and_text(limit: int, chars: str) -> str:
    """Company prefix (6..12 digits), '.', then up to ``limit - (len - 6)`` characters."""
    return "(?:" + "|".join(rf"\d{{{n}}}\.{chars}{{1,{limit - n + 6}}}" for n in range(6, 13)) + ")"


def _check_digit(digits: str) -> str:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str(-total % 10)


def _gtin(prefix: str, item: str) -> str:
    raw = item[:1] + prefix + item[1:]
    return raw + _check_digit(raw)


def _with_check(raw: str) -> str:
    return raw + _check_digit(raw)


_S: Final = _SERIAL_CHAR
# builder(uri, company prefix, position of the first '.') -> Digital Link path
_Builder = Callable[[str, str, int], str]
# scheme prefix -> (pattern of the whole URI, builder)
_EPC_SCHEMES: Final[dict[str, tuple[re.Pattern[str], _Builder]]] = {}


def _scheme(prefix: str, pattern: str) -> Callable[[_Builder], _Builder]:
    def register(builder: _Builder) -> _Builder:
        _EPC_SCHEMES[prefix] = (re.compile(re.escape(prefix) + pattern), builder)
        return builder

    return register


@_scheme("urn:epc:id:sgtin:", _key_digits(13) + rf"\.{_S}{{1,20}}")
def _sgtin(uri: str, cp: str, dot: int) -> str:
    item = uri[dot + 1 : dot + 14 - len(cp)]
    return "01/" + _gtin(cp, item) + "/21/" + uri[32:].translate(_PERCENT_ENCODE)


@_scheme("urn:epc:id:sscc:", _key_digits(17))
def _sscc(uri: str, cp: str, dot: int) -> str:
    return "00/" + _with_check(uri[dot + 1] + cp + uri[dot + 2 :])


@_scheme("urn:epc:id:sgln:", _key_digits(12) + rf"\.{_S}{{1,20}}")
def _sgln(uri: str, cp: str, dot: int) -> str:
    gln = _with_check(cp + uri[dot + 1 : dot + 13 - len(cp)])
    extension = uri[30:]
    if extension == "0":
        return "414/" + gln
    return "414/" + gln + "/254/" + extension.translate(_PERCENT_ENCODE)


@_scheme("urn:epc:id:grai:", _key_digits(12, twelve=r"\d{12}\.\.") + rf"\.{_S}{{1,16}}")
def _grai(uri: str, cp: str, dot: int) -> str:
    raw = _with_check("0" + cp + uri[dot + 1 : dot + 13 - len(cp)])
    return "8003/" + raw + uri[30:].translate(_PERCENT_ENCODE)


@_scheme("urn:epc:id:giai:", _prefix_and_text(24, _S))
def _giai(uri: str, cp: str, dot: int) -> str:
    return "8004/" + cp + uri[dot + 1 :].translate(_PERCENT_ENCODE)


@_scheme("urn:epc:id:gsrn:", _key_digits(17))
def _gsrn(uri: str, cp: str, dot: int) -> str:
    return "8018/" + _with_check(cp + uri[dot + 1 :])


@_scheme("urn:epc:id:gsrnp:", _key_digits(17))
def _gsrnp(uri: str, cp: str, dot: int) -> str:
    return "8017/" + _with_check(cp + uri[dot + 1 :])


@_scheme("urn:epc:id:gdti:", _key_digits(12, twelve=r"\d{12}\.\.") + rf"{_S}{{1,20}}")
def _gdti(uri: str, cp: str, dot: int) -> str:
    raw = _with_check(cp + uri[dot + 1 : dot + 13 - len(cp)])
    return "253/" + raw + uri[30:].translate(_PERCENT_ENCODE)


@_scheme("urn:epc:id:cpi:", _prefix_and_text(24, _CPI_CHAR) + r"\.\d{1,12}")
def _cpi(uri: str, cp: str, dot: int) -> str:
    last = uri.rfind(".")
    part = (cp + uri[dot + 1 : last]).translate(_PERCENT_ENCODE)
    return "8010/" + part + "/8011/" + uri[last + 1 :]


@_scheme("urn:epc:id:sgcn:", _key_digits(12) + r"\.\d{1,12}")
def _sgcn(uri: str, cp: str, dot: int) -> str:
    return "255/" + _with_check(cp + uri[dot + 1 : dot + 13 - len(cp)]) + uri[30:]


@_scheme("urn:epc:id:ginc:", _prefix_and_text(24, _S))
def _ginc(uri: str, cp: str, dot: int) -> str:
    return "401/" + cp + uri[dot + 1 :].translate(_PERCENT_ENCODE)


@_scheme("urn:epc:id:gsin:", _key_digits(16))
def _gsin(uri: str, cp: str, dot: int) -> str:
    return "402/" + _with_check(cp + uri[dot + 1 :])


@_scheme("urn:epc:id:itip:", _key_digits(13) + rf"\.\d{{2}}\.\d{{2}}\.{_S}{{1,20}}")
def _itip(uri: str, cp: str, dot: int) -> str:
    gtin = _gtin(cp, uri[dot + 1 : dot + 14 - len(cp)])
    serial = uri[37:].translate(_PERCENT_ENCODE)
    return "8006/" + gtin + uri[31:33] + uri[34:36] + "/21/" + serial


@_scheme("urn:epc:id:upui:", _key_digits(13) + rf"\.{_S}{{1,28}}")
def _upui(uri: str, cp: str, dot: int) -> str:
    item = uri[dot + 1 : dot + 14 - len(cp)]
    return "01/" + _gtin(cp, item) + "/235/" + uri[31:].translate(_PERCENT_ENCODE)


@_scheme("urn:epc:id:pgln:", _key_digits(12))
def _pgln(uri: str, cp: str, dot: int) -> str:
    return "417/" + _with_check(cp + uri[dot + 1 : dot + 13 - len(cp)])


@_scheme("urn:epc:class:lgtin:", _key_digits(13) + rf"\.{_S}{{1,20}}")
def _lgtin(uri: str, cp: str, dot: int) -> str:
    item = uri[dot + 1 : dot + 14 - len(cp)]
    return "01/" + _gtin(cp, item) + "/10/" + uri[35:].translate(_PERCENT_ENCODE)


@_scheme("urn:epc:idpat:sgtin:", _key_digits(13) + r"\.\*")
@_scheme("urn:epc:idpat:upui:", _key_digits(13) + r"\.\*")
def _gtin_pattern(uri: str, cp: str, dot: int) -> str:
    return "01/" + _gtin(cp, uri[dot + 1 : dot + 14 - len(cp)])


@_scheme("urn:epc:idpat:grai:", _key_digits(12, twelve=r"\d{12}\.\.") + r"\.\*")
def _grai_pattern(uri: str, cp: str, dot: int) -> str:
    return "8003/" + _with_check("0" + cp + uri[dot + 1 : dot + 13 - len(cp)])


@_scheme("urn:epc:idpat:gdti:", _key_digits(12, twelve=r"\d{12}\.\.") + r"\.\*")
def _gdti_pattern(uri: str, cp: str, dot: int) -> str:
    return "253/" + _with_check(cp + uri[dot + 1 : dot + 13 - len(cp)])


@_scheme("urn:epc:idpat:sgcn:", _key_digits(12, twelve=r"\d{12}\.\.") + r"\.\*")
def _sgcn_pattern(uri: str, cp: str, dot: int) -> str:
    return "255/" + _with_check(cp + uri[dot + 1 : dot + 13 - len(cp)])


@_scheme("urn:epc:idpat:cpi:", _prefix_and_text(24, _CPI_CHAR) + r"\.\*")
def _cpi_pattern(uri: str, cp: str, dot: int) -> str:
    return "8010/" + (cp + uri[dot + 1 : uri.rfind(".")]).translate(_PERCENT_ENCODE)


@_scheme("urn:epc:idpat:itip:", _key_digits(13) + r"\.\d{2}\.\d{2}\.\*")
def _itip_pattern(uri: str, cp: str, dot: int) -> str:
    gtin = _gtin(cp, uri[dot + 1 : dot + 14 - len(cp)])
    return "8006/" + gtin + uri[34:36] + uri[37:39]


def _canonical_epc_uri(uri: str) -> str | None:
    scheme_end = uri.find(":", uri.find(":", 8) + 1)  # "urn:epc:<kind>:<scheme>:"
    entry = _EPC_SCHEMES.get(uri[: scheme_end + 1]) if scheme_end > 0 else None
    if entry is None or entry[0].fullmatch(uri) is None:
        return None
    dot = uri.index(".")
    return _DL + entry[1](uri, uri[scheme_end + 1 : dot], dot)


# Digital Link. NB: as in the reference, the dots of "id.gs1.org" in these patterns are wildcards.
_DL_KEYS: Final = (
    "01|gtin|8006|itip|8010|cpid|414|gln|417|party|8017|gsrnp|8018|gsrn|255|gcn|00|sscc|253|gdti"
    "|401|ginc|402|gsin|8003|grai|8004|giai"
)
_DL_CANDIDATE: Final = re.compile(rf"https?:[^?#]*/(?:{_DL_KEYS})/\d{{4}}[^/]")
_DL_SHORT_NAMES: Final = (
    ("/gtin/", "/01/"),
    ("/itip/", "/8006/"),
    ("/cpid/", "/8010/"),
    ("/gln/", "/414/"),
    ("/party/", "/417/"),
    ("/gsrnp/", "/8017/"),
    ("/gsrn/", "/8018/"),
    ("/gcn/", "/255/"),
    ("/sscc/", "/00/"),
    ("/gdti/", "/253/"),
    ("/ginc/", "/401/"),
    ("/gsin/", "/402/"),
    ("/grai/", "/8003/"),
    ("/giai/", "/8004/"),
    ("/cpv/", "/22/"),
    ("/lot/", "/10/"),
    ("/ser/", "/21/"),
)
_DL_CANONICAL_HOST: Final = re.compile(
    r"https://id.gs1.org/(?:01|8006|8010|414|417|8017|8018|255|00|253|401|402|8003|8004)/\d{4}[^/]"
)
# Where to re-root a Digital Link URI on id.gs1.org, in order of preference.
_DL_PRIMARY_KEYS: Final = (
    "/00/",
    "/01/",
    "/253/",
    "/255/",
    "/401/",
    "/402/",
    "/414/",
    "/417/",
    "/8003/",
    "/8004/",
    "/8006/",
    "/8010/",
    "/8017/",
    "/8018/",
)
_GTIN_14: Final = re.compile(r"https://id.gs1.org/01/\d{14}")
_GTIN_PADDING: Final = (
    (re.compile(r"https://id.gs1.org/01/\d{13}"), "/01/0"),
    (re.compile(r"https://id.gs1.org/01/\d{12}"), "/01/00"),
    (re.compile(r"https://id.gs1.org/01/\d{8}"), "/01/000000"),
)
_C: Final = r"[\x22\x27\x2D\x2E\x30-\x39\x3B-\x3F\x41-\x5A\x5F\x61-\x7A]"
_CS: Final = r"[\x2F\x22\x27\x2D\x2E\x30-\x39\x3B-\x3F\x41-\x5A\x5F\x61-\x7A]"
_WITH_CPV: Final = re.compile(rf"https://id.gs1.org/(?:8006/\d{{18}}|01/\d{{14}})/22/{_C}{{0,20}}$")
_WITH_CPV_AND_MORE: Final = re.compile(
    rf"https://id.gs1.org/(?:8006/\d{{18}}|01/\d{{14}})/22/{_CS}{{0,20}}$"
)
_WITH_LOT_AND_SERIAL: Final = re.compile(
    rf"https://id.gs1.org/(?:8006/\d{{18}}|01/\d{{14}})/10/{_C}{{0,20}}/21/{_C}{{0,20}}$"
)
_DL_VALID: Final = re.compile(
    r"https://id.gs1.org/(?:"
    + "|".join(
        (
            r"00/\d{18}",
            rf"01/\d{{14}}/21/{_C}{{0,20}}",
            rf"01/\d{{14}}/10/{_C}{{0,20}}",
            r"01/\d{14}",
            rf"01/\d{{14}}/235/{_C}{{0,28}}",
            rf"253/\d{{13}}{_C}{{0,17}}",
            r"255/\d{13}\d{0,12}",
            rf"401/{_C}{{0,30}}",
            r"402/\d{17}",
            r"414/\d{13}",
            rf"414/\d{{13}}/254/{_C}{{0,20}}",
            r"417/\d{13}",
            rf"8003/\d{{14}}{_C}{{0,16}}",
            rf"8004/{_C}{{0,30}}",
            rf"8006/\d{{18}}/21/{_C}{{0,20}}",
            rf"8006/\d{{18}}/10/{_C}{{0,20}}",
            r"8006/\d{18}",
            r"8010/[\x23\x2D\x2F\x30-\x39\x41-\x5A]{0,30}/8011/\d{0,12}",
            r"8010/[\x23\x2D\x2F\x30-\x39\x41-\x5A]{0,30}",
            r"8017/\d{18}",
            r"8018/\d{18}",
        )
    )
    + r")$"
)


def _canonical_digital_link(uri: str) -> str | None:
    if _DL_CANDIDATE.match(uri) is None:
        return None
    query = uri.find("?")
    if query >= 0:
        uri = uri[:query]
    for short, ai in _DL_SHORT_NAMES:
        if short in uri:
            uri = uri.replace(short, ai)
    if _DL_CANONICAL_HOST.match(uri) is None:
        for key in _DL_PRIMARY_KEYS:
            at = uri.find(key)
            if at != -1:
                uri = "https://id.gs1.org" + uri[at:]
                break
    if _GTIN_14.match(uri) is None:
        for pattern, padded in _GTIN_PADDING:
            if pattern.match(uri) is not None:
                uri = uri.replace("/01/", padded)
                break
    # Drop a CPV (AI 22); keep what follows it.
    cpv = uri.find("/22/")
    after_cpv = uri[cpv + 4 :]
    if _WITH_CPV.match(uri) is not None:
        uri = uri[:cpv] + after_cpv[after_cpv.find("/") : -1]
    if _WITH_CPV_AND_MORE.match(uri) is not None:
        uri = uri[: uri.find("/22/")] + after_cpv[after_cpv.find("/") :]
    # Lowest level of identification only: with a serial, drop the lot.
    if _WITH_LOT_AND_SERIAL.match(uri) is not None:
        lot = uri.find("/10/")
        after_lot = uri[lot + 4 :]
        uri = uri[:lot] + after_lot[after_lot.find("/") :]
    return uri if _DL_VALID.match(uri) is not None else None


def canonical_gs1_uri(uri: str) -> str | None:
    """EPC URI / EPC class or pattern URI / GS1 Digital Link URI → canonical DL URI, else None."""
    if uri.startswith("urn:epc:"):
        return _canonical_epc_uri(uri)
    return _canonical_digital_link(uri)
