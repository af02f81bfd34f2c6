"""Every word of the portal's home page and of its lookup errors, in Vietnamese and English.

The top bar and footer the home page shares with the provenance pages keep their words in
:mod:`gateway.pages.messages`; :func:`home_message` looks here first and there second.
"""

from __future__ import annotations

from typing import Final

from gateway.pages.messages import MESSAGES, Lang
from traceability.identifiers.lookup import Reason, Unreadable

HOME_MESSAGES: Final[dict[Lang, dict[str, str]]] = {
    "vi": {
        "home.title": "Tra cứu nguồn gốc sản phẩm",
        "home.lead": "Cổng thông tin quốc gia nơi doanh nghiệp ghi lại hành trình của sản "
        "phẩm, từ vùng nguyên liệu đến quầy hàng. Mỗi bước được ký số và đưa vào một sổ "
        "nhật ký công khai không thể sửa đổi, nên ai cũng kiểm chứng được.",
        "home.scan": "Quét mã QR trên bao bì bằng camera điện thoại, hoặc nhập mã dưới đây.",
        "lookup.heading": "Tra cứu một sản phẩm",
        "lookup.gtin": "Mã sản phẩm (GTIN)",
        "lookup.gtin_hint": "8, 12, 13 hoặc 14 chữ số, in dưới mã vạch.",
        "lookup.lot": "Số lô (không bắt buộc)",
        "lookup.lot_hint": "In trên bao bì cạnh hạn sử dụng, ví dụ (10) LO-2026-01.",
        "lookup.submit": "Tra cứu",
        "lookup.or": "hoặc",
        "lookup.paste": "Dán đường dẫn Digital Link hoặc chuỗi mã GS1",
        "lookup.paste_hint": "Ví dụ https://…/01/08930000000019/10/LO-1 hoặc "
        "(01)08930000000019(10)LO-1.",
        "lookup.error_heading": "Không tra cứu được",
        "business.heading": "Dành cho doanh nghiệp",
        "business.intro": "Đăng ký sản phẩm, lô hàng và ghi sự kiện EPCIS 2.0 qua API, với "
        "khóa API do cổng cấp.",
        "business.docs": "Tài liệu API (Swagger UI)",
        "business.redoc": "Tài liệu API (ReDoc)",
        "business.openapi": "Đặc tả OpenAPI (JSON)",
        "business.resolver": "Mô tả trình phân giải GS1 Digital Link",
        "inspector.heading": "Dành cho cơ quan quản lý",
        "inspector.intro": "Kiểm toán chuỗi sự kiện của một lô, truy vết nguồn gốc và phạm "
        "vi thu hồi qua các điểm cuối /api/v1/audit (cần khóa API của cơ quan quản lý). Sổ "
        "nhật ký công khai ai cũng đọc được:",
        "inspector.checkpoint": "Điểm kiểm tra đã ký của sổ nhật ký",
        "inspector.key": "Khóa xác minh của sổ nhật ký",
        "inspector.health": "Tình trạng hệ thống",
        "problem.empty": "Hãy nhập mã sản phẩm (GTIN), hoặc dán mã đọc được từ bao bì.",
        "problem.gtin.missing": "Hãy nhập mã sản phẩm (GTIN) cùng với số lô.",
        "problem.gtin.digits": "Mã sản phẩm “{gtin}” chỉ được gồm các chữ số 0–9.",
        "problem.gtin.length": "Mã sản phẩm {gtin} có {length} chữ số; mã GTIN có 8, 12, 13 "
        "hoặc 14 chữ số.",
        "problem.gtin.check_digit": "Mã sản phẩm {gtin} sai số kiểm tra: chữ số cuối là "
        "{got}, đúng ra phải là {expected}. Hãy xem lại từng chữ số.",
        "problem.lot.invalid": "Số lô không hợp lệ: số lô gồm 1–20 ký tự chữ cái Latinh "
        "không dấu, chữ số hoặc một số dấu như - . /, không có khoảng trắng.",
        "problem.serial.invalid": "Số sê-ri không hợp lệ: gồm 1–20 ký tự chữ cái Latinh "
        "không dấu, chữ số hoặc một số dấu, không có khoảng trắng.",
        "problem.cpv.invalid": "Mã phiên bản (CPV) không hợp lệ.",
        "problem.text.unreadable": "Không đọc được mã đã dán. Hãy dán đường dẫn Digital Link "
        "(có /01/ và mã GTIN) hoặc chuỗi mã GS1 như (01)08930000000019(10)LO-1.",
        "problem.text.no_gtin": "Chuỗi mã đã dán không có mã sản phẩm (01).",
        "problem.detail": "Chi tiết kỹ thuật: {detail}",
    },
    "en": {
        "home.title": "Check where a product comes from",
        "home.lead": "The national portal where businesses record a product's journey, from "
        "the farm to the shelf. Every step is digitally signed and entered in a public log "
        "that cannot be rewritten, so anyone can check it.",
        "home.scan": "Scan the QR code on the package with your phone's camera, or enter the "
        "code below.",
        "lookup.heading": "Look up a product",
        "lookup.gtin": "Product code (GTIN)",
        "lookup.gtin_hint": "8, 12, 13 or 14 digits, printed under the barcode.",
        "lookup.lot": "Lot number (optional)",
        "lookup.lot_hint": "Printed on the package next to the expiry date, e.g. (10) LO-2026-01.",
        "lookup.submit": "Look up",
        "lookup.or": "or",
        "lookup.paste": "Paste a Digital Link or a GS1 element string",
        "lookup.paste_hint": "For example https://…/01/08930000000019/10/LO-1 or "
        "(01)08930000000019(10)LO-1.",
        "lookup.error_heading": "This cannot be looked up",
        "business.heading": "For businesses",
        "business.intro": "Register products and lots and record EPCIS 2.0 events through the "
        "API, with an API key from the portal.",
        "business.docs": "API documentation (Swagger UI)",
        "business.redoc": "API documentation (ReDoc)",
        "business.openapi": "OpenAPI description (JSON)",
        "business.resolver": "GS1 Digital Link resolver description",
        "inspector.heading": "For inspectors",
        "inspector.intro": "Audit a lot's chain of events, trace its origin and a recall's "
        "reach through the /api/v1/audit endpoints (an inspector's API key). The public log "
        "is open to anyone:",
        "inspector.checkpoint": "The log's signed checkpoint",
        "inspector.key": "The log's verifier key",
        "inspector.health": "System health",
        "problem.empty": "Enter a product code (GTIN), or paste the code read from the package.",
        "problem.gtin.missing": "Enter the product code (GTIN) with the lot number.",
        "problem.gtin.digits": "The product code “{gtin}” may only hold the digits 0-9.",
        "problem.gtin.length": "The product code {gtin} has {length} digits; a GTIN has 8, 12, "
        "13 or 14.",
        "problem.gtin.check_digit": "The product code {gtin} has a wrong check digit: it ends "
        "in {got}, but should end in {expected}. Check each digit again.",
        "problem.lot.invalid": "That lot number is not valid: a lot is 1-20 unaccented Latin "
        "letters, digits or a few signs such as - . /, with no spaces.",
        "problem.serial.invalid": "That serial number is not valid: it is 1-20 unaccented "
        "Latin letters, digits or a few signs, with no spaces.",
        "problem.cpv.invalid": "That consumer product variant (CPV) is not valid.",
        "problem.text.unreadable": "The pasted code could not be read. Paste a Digital Link "
        "(with /01/ and a GTIN) or a GS1 element string such as (01)08930000000019(10)LO-1.",
        "problem.text.no_gtin": "The pasted code holds no product code (01).",
        "problem.detail": "Technical detail: {detail}",
    },
}


def home_message(lang: Lang, key: str, **values: object) -> str:
    """One string of the home page (or of the shared top bar and footer)."""
    text = HOME_MESSAGES[lang].get(key) or MESSAGES[lang][key]
    return text.format(**values) if values else text


def problem_message(problem: Unreadable, lang: Lang) -> str:
    """What is wrong with a lookup, in ``lang``, naming the values that are wrong."""
    reason: Reason = problem.reason
    return home_message(lang, f"problem.{reason}", **problem.values)
