"""What went wrong, in the words of the page's language, for an error page a person reads.

Domain errors carry an English ``message`` (what API clients get in problem+json, unchanged)
and, where a consumer can meet them, a ``reason`` and the ``facts`` it names
(:class:`traceability.errors.TraceabilityError`). An error page words the reason here, in
Vietnamese or English, with the same precise values (the check digit expected, the lot asked
for). An error without a known reason is described by the field it concerns, else by its
status: a Vietnamese page never shows the English message.
"""

from __future__ import annotations

from typing import Final

from gateway.pages.messages import Lang
from traceability.errors import TraceabilityError

# ``{field}`` is the field's name in the page's language; every other name is a fact.
DETAILS: Final[dict[Lang, dict[str, str]]] = {
    "vi": {
        "check_digit": "Mã {key} {value} có số kiểm tra cuối là {found}, nhưng đúng ra phải là "
        "{expected}. Mã có thể bị in sai, quét sai hoặc là mã giả.",
        "key_length": "Mã {key} {value} có {length} chữ số; mã {key} phải có {allowed} chữ số.",
        "key_digits": "Mã {key} “{value}” chỉ được gồm các chữ số từ 0 đến 9.",
        "text_length": "{field} phải dài từ 1 đến 20 ký tự; giá trị trong đường dẫn có "
        "{length} ký tự.",
        "text_characters": "{field} “{value}” có ký tự không được phép: {characters}.",
        "unknown_product": "Chưa có sản phẩm nào mang mã GTIN {gtin} được đăng ký trên cổng.",
        "unknown_lot": "Sản phẩm mã GTIN {gtin} chưa có lô {lot} nào được ghi nhận.",
        "item_in_other_lot": "Sản phẩm số {serial} được ghi nhận thuộc lô {recorded}, "
        "không phải lô {lot} như trên mã.",
        "unknown_link_type": "Mã này không có liên kết loại “{link_type}”. Hãy mở trang của "
        "mã để xem các thông tin có sẵn.",
        "rate_limited": "Thiết bị của bạn đã gửi quá nhiều yêu cầu. Hãy thử lại sau {seconds} "
        "giây.",
    },
    "en": {
        "check_digit": "The {key} {value} ends in check digit {found}, but it should be "
        "{expected}. The code may be misprinted, misread or fake.",
        "key_length": "The {key} {value} has {length} digits; a {key} has {allowed} digits.",
        "key_digits": "The {key} “{value}” may only contain the digits 0 to 9.",
        "text_length": "The {field} must be 1 to 20 characters long; the one in the link has "
        "{length}.",
        "text_characters": "The {field} “{value}” contains characters that are not allowed: "
        "{characters}.",
        "unknown_product": "No product with GTIN {gtin} is registered on the portal.",
        "unknown_lot": "No lot {lot} of the product with GTIN {gtin} has been recorded.",
        "item_in_other_lot": "Item {serial} was recorded in lot {recorded}, not in lot {lot} "
        "as the code says.",
        "unknown_link_type": "This code has no link of type “{link_type}”. Open the code's "
        "page to see what is available.",
        "rate_limited": "Your device has sent too many requests. Try again in {seconds} s.",
    },
}

# The fields of a Digital Link a consumer's code is made of, as a sentence starts with them.
FIELD_NAMES: Final[dict[Lang, dict[str, str]]] = {
    "vi": {
        "gtin": "Mã sản phẩm (GTIN)",
        "lot": "Số lô",
        "serial": "Số sê-ri",
        "cpv": "Mã phiên bản (CPV)",
        "expiry": "Hạn sử dụng (AI 17)",
        "uri": "Đường dẫn",
    },
    "en": {
        "gtin": "product code (GTIN)",
        "lot": "lot number",
        "serial": "serial number",
        "cpv": "variant code (CPV)",
        "expiry": "expiry date (AI 17)",
        "uri": "link",
    },
}

# When the reason is not known: what is wrong, by the field it concerns.
FIELD_DETAILS: Final[dict[Lang, dict[str, str]]] = {
    "vi": {
        "gtin": "Mã sản phẩm (GTIN) trong đường dẫn không hợp lệ.",
        "lot": "Số lô trong đường dẫn không hợp lệ.",
        "serial": "Số sê-ri trong đường dẫn không hợp lệ.",
        "cpv": "Mã phiên bản (CPV) trong đường dẫn không hợp lệ.",
        "expiry": "Hạn sử dụng (AI 17) trong đường dẫn không hợp lệ; phải có dạng YYMMDD.",
        "uri": "Đường dẫn không phải là một liên kết GS1 Digital Link hợp lệ "
        "(/01/mã GTIN, rồi /10/số lô hoặc /21/số sê-ri).",
    },
    "en": {},  # the error's own English message says it more precisely
}

# When neither the reason nor the field is known.
STATUS_DETAILS: Final[dict[Lang, dict[int, str]]] = {
    "vi": {
        400: "Đường dẫn trong mã không hợp lệ.",
        404: "Không tìm thấy sản phẩm hoặc lô hàng này trên cổng.",
        429: "Có quá nhiều yêu cầu trong thời gian ngắn.",
    },
    "en": {
        400: "The link in this code is not valid.",
        404: "This product or lot was not found on the portal.",
        429: "Too many requests in a short time.",
    },
}
_DEFAULT_DETAIL: Final[dict[Lang, str]] = {
    "vi": "Không thể hiển thị trang này lúc này.",
    "en": "This page cannot be shown right now.",
}


# The audit's faults (traceability.chain.audit.Fault), for a shopper; the English page shows
# the auditor's own, more precise words.
VERIFICATION_PROBLEMS: Final[dict[str, str]] = {
    "hash_mismatch": "Nội dung một bản ghi không còn khớp với bản đã được ghi nhận.",
    "broken_link": "Chuỗi bản ghi bị đứt: một bản ghi không nối tiếp bản ghi trước nó.",
    "gap": "Thiếu một bản ghi trong chuỗi lịch sử của lô hàng.",
    "bad_signature": "Chữ ký số của một bản ghi không hợp lệ.",
    "unknown_key": "Một bản ghi được ký bằng khóa không được đăng ký trên cổng.",
    "key_not_valid": "Một bản ghi được ký bằng khóa đã hết hiệu lực hoặc bị thu hồi.",
    "not_in_log": "Một bản ghi không có trong sổ cái công khai.",
    "truncated": "Chuỗi lịch sử của lô hàng bị cắt bớt phần cuối.",
    "log_tree": "Sổ cái công khai không xác nhận được bản ghi này.",
    "log": "Sổ cái công khai không khớp với mốc kiểm tra đã được ký.",
}
_UNKNOWN_VERIFICATION_PROBLEM: Final = "Dữ liệu không khớp khi kiểm tra."


def verification_problem(problem: str | None, kind: str | None, lang: Lang) -> str | None:
    """The verification panel's problem line in ``lang``."""
    if problem is None:
        return None
    if lang == "en":
        return problem
    return VERIFICATION_PROBLEMS.get(kind or "", _UNKNOWN_VERIFICATION_PROBLEM)


def problem_detail(error: TraceabilityError, status: int, lang: Lang) -> str:
    """What ``error`` means for the reader of a page in ``lang``, with its precise values."""
    template = DETAILS[lang].get(error.reason or "")
    field = error.field or ""
    if template is not None:
        name = FIELD_NAMES[lang].get(field, field)
        try:
            text = template.format_map({**error.facts, "field": name})
        except (KeyError, IndexError, ValueError):
            pass  # a fact the wording needs is missing: say it by field or status instead
        else:
            return _sentence(text)
    if lang == "en" and error.message:
        return _sentence(error.message)
    return FIELD_DETAILS[lang].get(field) or status_detail(status, lang)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def status_detail(status: int, lang: Lang) -> str:
    return STATUS_DETAILS[lang].get(status) or _DEFAULT_DETAIL[lang]


def rate_limited_detail(retry_after: int, lang: Lang) -> str:
    return DETAILS[lang]["rate_limited"].format(seconds=retry_after)
