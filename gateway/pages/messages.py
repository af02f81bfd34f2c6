"""The public pages' own words and the CBV vocabulary, in Vietnamese (the default) and English.

Two kinds of text live here: the pages' own strings (:data:`MESSAGES`) and the human
names of CBV 2.0 business steps and dispositions (units are in :mod:`gateway.pages.units`,
error details in :mod:`gateway.pages.problems`). A CBV word nobody translated falls back
to the raw word, so a new vocabulary entry never breaks a page.
"""

from __future__ import annotations

from typing import Final, Literal

Lang = Literal["vi", "en"]
LANGS: Final[tuple[Lang, ...]] = ("vi", "en")
DEFAULT_LANG: Final[Lang] = "vi"

MESSAGES: Final[dict[Lang, dict[str, str]]] = {
    "vi": {
        "site.name": "Truy xuất nguồn gốc",
        "site.full_name": "Cổng thông tin truy xuất nguồn gốc sản phẩm hàng hóa quốc gia",
        "lang.switch": "English",
        "page.title.product": "{name}: sản phẩm",
        "page.title.lot": "{name}: lô {lot}",
        "page.title.serial": "{name}: sản phẩm số {serial}",
        "header.brand": "Thương hiệu",
        "header.by": "Sản xuất bởi",
        "header.original_name": "Tên tiếng Việt",
        "status.verified": "Đã xác minh",
        "status.verified_detail": "Lịch sử sản phẩm được ghi nhận đầy đủ và chưa bị thay đổi.",
        "status.problem": "Phát hiện bất thường",
        "status.problem_detail": "Không xác nhận được lịch sử của sản phẩm này. "
        "Hãy thận trọng và liên hệ cơ quan quản lý nếu nghi ngờ.",
        "status.unverified": "Chưa xác minh",
        "status.unverified_detail": "Chưa có dữ liệu hành trình để xác minh.",
        "recall.title": "SẢN PHẨM BỊ THU HỒI",
        "recall.advice": "Không sử dụng sản phẩm này. Hãy mang trả lại nơi bán hoặc liên hệ "
        "nhà sản xuất.",
        "recall.since": "Thu hồi từ",
        "recall.reason": "Lý do",
        "recall.by_authority": "Cơ quan chức năng ra lệnh thu hồi",
        "recall.by_owner": "Doanh nghiệp thu hồi",
        "facts.heading": "Thông tin sản phẩm",
        "facts.gtin": "Mã sản phẩm (GTIN)",
        "facts.cpv": "Phiên bản (CPV)",
        "facts.lot": "Số lô",
        "facts.serial": "Số sê-ri",
        "facts.production_date": "Ngày sản xuất",
        "facts.expiry_date": "Hạn sử dụng",
        "facts.brand": "Thương hiệu",
        "facts.category": "Loại sản phẩm",
        "facts.producer": "Nhà sản xuất",
        "facts.tax_code": "Mã số thuế",
        "facts.origin": "Nơi sản xuất",
        "facts.standards": "Tiêu chuẩn áp dụng",
        "facts.certifications": "Chứng nhận",
        "facts.quantity": "Số lượng trong lô",
        "facts.description": "Mô tả",
        "cert.number": "số",
        "cert.issuer": "cấp bởi",
        "cert.valid_until": "hiệu lực đến",
        "cert.expired": "đã hết hiệu lực",
        "cert.link": "Xem chứng nhận",
        "unknown_item.title": "Nhà sản xuất không biết mã này",
        "unknown_item.detail": "Số sê-ri {serial} không có trong các mã mà nhà sản xuất đã in "
        "hoặc đã ghi nhận. Đây không phải là một sản phẩm đã được xác minh: mã có thể bị đoán "
        "hoặc làm giả. Hãy kiểm tra bao bì và hỏi nơi bán.",
        "unknown_item.lot_link": "Xem thông tin lô {lot}",
        "unknown_item.product_link": "Xem thông tin sản phẩm",
        "scans.heading": "Lượt quét mã",
        "scans.count": "Mã này đã được quét {count} lần.",
        "scans.count_once": "Mã này đã được quét 1 lần.",
        "scans.counting": "Mỗi thiết bị được tính một lần mỗi ngày, dù tải lại trang bao "
        "nhiêu lần.",
        "scans.first_seen": "Lần quét đầu tiên",
        "scans.often.title": "Mã này bị quét nhiều bất thường",
        "scans.often.detail": "Một mã sê-ri chỉ dán trên một sản phẩm, nhưng mã này được quét "
        "nhiều hơn hẳn bình thường. Đây có thể là dấu hiệu tem nhãn bị sao chép. Hãy kiểm tra "
        "bao bì, tem niêm phong và hỏi nơi bán.",
        "scans.old.title": "Mã này được quét lần đầu từ rất lâu",
        "scans.old.detail": "Mã này đã được quét lần đầu vào {first_seen}. Nếu bạn vừa mua sản "
        "phẩm, tem nhãn có thể đã bị sao chép. Hãy kiểm tra bao bì và hỏi nơi bán.",
        "timeline.heading": "Hành trình sản phẩm",
        "timeline.intro": "Từ nơi sản xuất đến tay người mua, theo thứ tự thời gian.",
        "timeline.empty": "Chưa có công đoạn nào được ghi nhận.",
        "timeline.recorded_by": "Ghi nhận bởi",
        "timeline.status": "Trạng thái",
        "timeline.inputs": "Làm từ",
        "timeline.upstream": "Nguyên liệu",
        "timeline.outputs": "Tạo ra",
        "timeline.lot": "lô",
        "timeline.lots": "các lô",
        "timeline.corrected": "Bản ghi này đã được đính chính sau đó",
        "timeline.unknown_time": "Không rõ thời gian",
        "verify.heading": "Xác minh dữ liệu",
        "verify.intact": "Lịch sử của sản phẩm này không bị thay đổi kể từ khi được ghi nhận.",
        "verify.not_intact": "Lịch sử của sản phẩm này không khớp với bản đã ghi nhận.",
        "verify.signed": "Mỗi công đoạn được ký số bởi chính doanh nghiệp đã ghi nhận nó.",
        "verify.not_signed": "Có chữ ký số không hợp lệ.",
        "verify.logged": "Được đưa vào sổ cái công khai quốc gia tại mốc kiểm tra số {size}.",
        "verify.checked": "Đã kiểm tra {count} bản ghi.",
        "verify.problem": "Vấn đề phát hiện",
        "verify.proof": "Xem bằng chứng trong sổ cái công khai",
        "verify.none": "Chưa có bản ghi nào để xác minh.",
        "lots.heading": "Các lô hàng",
        "lots.walked_up": "Nhà sản xuất chưa đăng ký lô hàng in trên mã bạn quét. Đây là "
        "trang của sản phẩm: hãy chọn lô trong danh sách dưới đây.",
        "lots.intro": "Chọn lô in trên bao bì để xem hành trình của lô đó.",
        "lots.empty": "Chưa có lô hàng nào được đăng ký.",
        "lots.lot": "Lô",
        "footer.canonical": "Địa chỉ trang này",
        "footer.linkset": "Dữ liệu cho máy đọc (linkset)",
        "footer.about": "Dữ liệu do doanh nghiệp ghi nhận theo Thông tư 02/2024/TT-BKHCN; "
        "cổng chỉ kiểm tra tính toàn vẹn và chữ ký.",
        "image.missing": "Chưa có ảnh sản phẩm",
        "error.heading": "Lỗi {status}",
        "error.what_to_do": "Bạn có thể làm gì",
        "error.hint.400": "Đường dẫn trong mã QR không đúng định dạng. Hãy quét lại mã, hoặc "
        "nhập đúng dãy số in dưới mã vạch.",
        "error.hint.404": "Sản phẩm hoặc lô hàng này chưa được đăng ký trên cổng. Hãy kiểm tra "
        "lại mã; nếu mã in trên bao bì mà không tìm thấy, sản phẩm có thể không rõ nguồn gốc.",
        "error.hint.429": "Có quá nhiều yêu cầu trong thời gian ngắn. Hãy đợi một lát rồi thử lại.",
        "error.hint.default": "Hãy thử lại sau ít phút.",
        "error.title.400": "Mã không hợp lệ",
        "error.title.404": "Không tìm thấy",
        "error.title.429": "Quá nhiều yêu cầu",
        "error.title.default": "Đã xảy ra lỗi",
        "time.offset": "UTC{offset}",
    },
    "en": {
        "site.name": "Product traceability",
        "site.full_name": "Vietnam's national product traceability portal",
        "lang.switch": "Tiếng Việt",
        "page.title.product": "{name}: product",
        "page.title.lot": "{name}: lot {lot}",
        "page.title.serial": "{name}: item {serial}",
        "header.brand": "Brand",
        "header.by": "Made by",
        "header.original_name": "Vietnamese name",
        "status.verified": "Verified",
        "status.verified_detail": "This product's history is complete and has not been altered.",
        "status.problem": "Problem found",
        "status.problem_detail": "This product's history could not be confirmed. Be careful, "
        "and contact the authorities if in doubt.",
        "status.unverified": "Not verified",
        "status.unverified_detail": "There is no recorded history to verify yet.",
        "recall.title": "PRODUCT RECALLED",
        "recall.advice": "Do not use this product. Return it to the shop or contact the producer.",
        "recall.since": "Recalled since",
        "recall.reason": "Reason",
        "recall.by_authority": "Recall ordered by the authority",
        "recall.by_owner": "Recalled by the business",
        "facts.heading": "Product details",
        "facts.gtin": "Product code (GTIN)",
        "facts.cpv": "Variant (CPV)",
        "facts.lot": "Lot number",
        "facts.serial": "Serial number",
        "facts.production_date": "Production date",
        "facts.expiry_date": "Use by",
        "facts.brand": "Brand",
        "facts.category": "Category",
        "facts.producer": "Producer",
        "facts.tax_code": "Tax code",
        "facts.origin": "Place of production",
        "facts.standards": "Applied standards",
        "facts.certifications": "Certifications",
        "facts.quantity": "Quantity in lot",
        "facts.description": "Description",
        "cert.number": "no.",
        "cert.issuer": "issued by",
        "cert.valid_until": "valid until",
        "cert.expired": "expired",
        "cert.link": "View certificate",
        "unknown_item.title": "This code is unknown to the producer",
        "unknown_item.detail": "Serial number {serial} is not among the codes the producer "
        "printed or recorded. This is not a verified item: the code may have been guessed or "
        "forged. Check the packaging and ask the shop.",
        "unknown_item.lot_link": "See lot {lot}",
        "unknown_item.product_link": "See the product",
        "scans.heading": "Code scans",
        "scans.count": "This code has been scanned {count} times.",
        "scans.count_once": "This code has been scanned once.",
        "scans.counting": "Each device counts once a day, however often it reloads the page.",
        "scans.first_seen": "First scanned",
        "scans.often.title": "This code has been scanned unusually often",
        "scans.often.detail": "A serial number belongs to a single item, yet this code has been "
        "scanned far more than usual. The label may have been copied. Check the packaging and "
        "the seal, and ask the shop.",
        "scans.old.title": "This code was first scanned long ago",
        "scans.old.detail": "This code was first scanned on {first_seen}. If you have just "
        "bought this item, its label may be a copy. Check the packaging and ask the shop.",
        "timeline.heading": "The product's journey",
        "timeline.intro": "From where it was made to the shelf, in the order it happened.",
        "timeline.empty": "No stage has been recorded yet.",
        "timeline.recorded_by": "Recorded by",
        "timeline.status": "Status",
        "timeline.inputs": "Made from",
        "timeline.upstream": "Ingredient",
        "timeline.outputs": "Produced",
        "timeline.lot": "lot",
        "timeline.lots": "lots",
        "timeline.corrected": "This record was corrected later",
        "timeline.unknown_time": "Time unknown",
        "verify.heading": "Verification",
        "verify.intact": "This product's history has not been altered since it was recorded.",
        "verify.not_intact": "This product's history does not match what was recorded.",
        "verify.signed": "Every stage is signed by the business that recorded it.",
        "verify.not_signed": "A digital signature is not valid.",
        "verify.logged": "Included in the national public log at checkpoint {size}.",
        "verify.checked": "{count} records checked.",
        "verify.problem": "Problem found",
        "verify.proof": "See the proof in the public log",
        "verify.none": "There are no records to verify yet.",
        "lots.heading": "Lots",
        "lots.walked_up": "The producer has registered no lot with the code you scanned. This is "
        "the product's page: choose the lot from the list below.",
        "lots.intro": "Pick the lot printed on your package to see its journey.",
        "lots.empty": "No lot has been registered yet.",
        "lots.lot": "Lot",
        "footer.canonical": "Address of this page",
        "footer.linkset": "Machine-readable data (linkset)",
        "footer.about": "Data recorded by the businesses under Circular 02/2024/TT-BKHCN; "
        "the portal checks its integrity and signatures.",
        "image.missing": "No product photo yet",
        "error.heading": "Error {status}",
        "error.what_to_do": "What you can do",
        "error.hint.400": "The link in this QR code is not well formed. Scan the code again, or "
        "type the number printed under the barcode.",
        "error.hint.404": "This product or lot is not registered on the portal. Check the code; "
        "if it is printed on the package but cannot be found, the product's origin is unknown.",
        "error.hint.429": "Too many requests in a short time. Wait a moment and try again.",
        "error.hint.default": "Try again in a few minutes.",
        "error.title.400": "Invalid code",
        "error.title.404": "Not found",
        "error.title.429": "Too many requests",
        "error.title.default": "Something went wrong",
        "time.offset": "UTC{offset}",
    },
}

# CBV 2.0 business steps (urn:epcglobal:cbv:bizstep:…), named for a shopper.
BIZ_STEPS: Final[dict[Lang, dict[str, str]]] = {
    "vi": {
        "accepting": "Chấp nhận hàng",
        "arriving": "Đến nơi",
        "assembling": "Lắp ráp",
        "collecting": "Thu gom",
        "commissioning": "Sản xuất, tạo lô hàng",
        "consigning": "Ký gửi",
        "creating_class_instance": "Tạo lô hàng",
        "cycle_counting": "Kiểm đếm",
        "decommissioning": "Ngừng sử dụng mã",
        "departing": "Rời đi",
        "destroying": "Tiêu hủy",
        "disassembling": "Tháo rời",
        "dispensing": "Cấp phát",
        "encoding": "Mã hóa tem nhãn",
        "entering_exiting": "Ra, vào khu vực",
        "holding": "Tạm giữ",
        "inspecting": "Kiểm tra",
        "installing": "Lắp đặt",
        "killing": "Giết mổ",
        "loading": "Xếp hàng lên xe",
        "other": "Công đoạn khác",
        "packing": "Đóng gói",
        "picking": "Soạn hàng",
        "receiving": "Nhận hàng",
        "removing": "Lấy ra",
        "repackaging": "Đóng gói lại",
        "repairing": "Sửa chữa",
        "replacing": "Thay thế",
        "reserving": "Đặt giữ hàng",
        "retail_selling": "Bán lẻ",
        "sampling": "Lấy mẫu",
        "sensor_reporting": "Ghi nhận cảm biến",
        "shipping": "Xuất hàng, vận chuyển",
        "staging_outbound": "Chuẩn bị xuất hàng",
        "stock_taking": "Kiểm kê kho",
        "stocking": "Lên kệ",
        "storing": "Lưu kho",
        "transporting": "Vận chuyển",
        "unloading": "Dỡ hàng",
        "unpacking": "Mở kiện",
        "void_shipping": "Hủy xuất hàng",
    },
    "en": {
        "accepting": "Accepted",
        "arriving": "Arrived",
        "assembling": "Assembled",
        "collecting": "Collected",
        "commissioning": "Produced",
        "consigning": "Consigned",
        "creating_class_instance": "Lot created",
        "cycle_counting": "Counted",
        "decommissioning": "Code retired",
        "departing": "Departed",
        "destroying": "Destroyed",
        "disassembling": "Taken apart",
        "dispensing": "Dispensed",
        "encoding": "Label encoded",
        "entering_exiting": "Entered or left a site",
        "holding": "Held",
        "inspecting": "Inspected",
        "installing": "Installed",
        "killing": "Slaughtered",
        "loading": "Loaded",
        "other": "Other stage",
        "packing": "Packed",
        "picking": "Picked",
        "receiving": "Received",
        "removing": "Removed",
        "repackaging": "Repackaged",
        "repairing": "Repaired",
        "replacing": "Replaced",
        "reserving": "Reserved",
        "retail_selling": "Sold in store",
        "sampling": "Sampled",
        "sensor_reporting": "Sensor reading",
        "shipping": "Shipped",
        "staging_outbound": "Made ready to ship",
        "stock_taking": "Stock-taking",
        "stocking": "Put on the shelf",
        "storing": "Stored",
        "transporting": "Transported",
        "unloading": "Unloaded",
        "unpacking": "Unpacked",
        "void_shipping": "Shipment cancelled",
    },
}

# CBV 2.0 dispositions (urn:epcglobal:cbv:disp:…): the state the goods were left in.
DISPOSITIONS: Final[dict[Lang, dict[str, str]]] = {
    "vi": {
        "active": "Đang lưu hành",
        "available": "Sẵn sàng",
        "completeness_inferred": "Đủ hàng (suy ra)",
        "completeness_verified": "Đủ hàng (đã kiểm)",
        "conformant": "Đạt yêu cầu",
        "container_closed": "Đã niêm phong",
        "container_open": "Đã mở kiện",
        "damaged": "Hư hỏng",
        "destroyed": "Đã tiêu hủy",
        "dispensed": "Đã cấp phát",
        "disposed": "Đã loại bỏ",
        "encoded": "Đã mã hóa",
        "expired": "Hết hạn",
        "in_progress": "Đang xử lý",
        "in_transit": "Đang vận chuyển",
        "inactive": "Chưa lưu hành",
        "mismatch_instance": "Sai lệch mã",
        "mismatch_class": "Sai lệch loại hàng",
        "mismatch_quantity": "Sai lệch số lượng",
        "needs_replacement": "Cần thay thế",
        "no_pedigree_match": "Không khớp hồ sơ",
        "non_conformant": "Không đạt yêu cầu",
        "non_sellable_other": "Không được bán",
        "partially_dispensed": "Đã cấp phát một phần",
        "recalled": "Bị thu hồi",
        "reserved": "Đã đặt giữ",
        "retail_sold": "Đã bán",
        "returned": "Bị trả lại",
        "sellable_accessible": "Đang bày bán",
        "sellable_not_accessible": "Trong kho, sẵn sàng bán",
        "stolen": "Bị mất cắp",
        "unavailable": "Không sẵn có",
        "unknown": "Không rõ",
    },
    "en": {
        "active": "In circulation",
        "available": "Available",
        "completeness_inferred": "Complete (inferred)",
        "completeness_verified": "Complete (checked)",
        "conformant": "Passed",
        "container_closed": "Sealed",
        "container_open": "Opened",
        "damaged": "Damaged",
        "destroyed": "Destroyed",
        "dispensed": "Dispensed",
        "disposed": "Disposed of",
        "encoded": "Encoded",
        "expired": "Expired",
        "in_progress": "Being handled",
        "in_transit": "In transit",
        "inactive": "Not yet in circulation",
        "mismatch_instance": "Wrong item",
        "mismatch_class": "Wrong product",
        "mismatch_quantity": "Wrong quantity",
        "needs_replacement": "Needs replacement",
        "no_pedigree_match": "Records do not match",
        "non_conformant": "Failed",
        "non_sellable_other": "Not for sale",
        "partially_dispensed": "Partly dispensed",
        "recalled": "Recalled",
        "reserved": "Reserved",
        "retail_sold": "Sold",
        "returned": "Returned",
        "sellable_accessible": "On sale",
        "sellable_not_accessible": "In stock, ready to sell",
        "stolen": "Stolen",
        "unavailable": "Unavailable",
        "unknown": "Unknown",
    },
}

# Dispositions a shopper should notice: shown in a warning colour.
ALARMING_DISPOSITIONS: Final[frozenset[str]] = frozenset(
    {
        "damaged",
        "destroyed",
        "disposed",
        "expired",
        "mismatch_instance",
        "mismatch_class",
        "mismatch_quantity",
        "no_pedigree_match",
        "non_conformant",
        "recalled",
        "returned",
        "stolen",
    }
)

_CBV_PREFIXES: Final = (
    "urn:epcglobal:cbv:bizstep:",
    "urn:epcglobal:cbv:disp:",
    "https://ref.gs1.org/cbv/BizStep-",
    "https://ref.gs1.org/cbv/Disp-",
)


def lang_or_default(value: str | None) -> Lang:
    """The page language for a ``?lang=`` value: "en" only when asked, otherwise Vietnamese."""
    return "en" if value is not None and value.strip().lower() == "en" else DEFAULT_LANG


def message(lang: Lang, key: str, **values: object) -> str:
    """One UI string, with ``{name}`` placeholders filled; an unknown key is a bug (KeyError)."""
    text = MESSAGES[lang][key]
    return text.format(**values) if values else text


def _bare(word: str) -> str:
    for prefix in _CBV_PREFIXES:
        if word.startswith(prefix):
            return word[len(prefix) :]
    return word


def biz_step_name(word: str | None, lang: Lang) -> str | None:
    """Human name of a CBV business step; an unknown word is shown as it is."""
    if not word:
        return None
    return BIZ_STEPS[lang].get(_bare(word), word)


def disposition_name(word: str | None, lang: Lang) -> str | None:
    """Human name of a CBV disposition; an unknown word is shown as it is."""
    if not word:
        return None
    return DISPOSITIONS[lang].get(_bare(word), word)


def error_title(status: int, lang: Lang) -> str:
    """A short default title for an error page of this status."""
    key = f"error.title.{status}"
    return MESSAGES[lang].get(key) or MESSAGES[lang]["error.title.default"]


def error_hint(status: int, lang: Lang) -> str:
    """What a shopper can do about an error of this status."""
    key = f"error.hint.{status}"
    return MESSAGES[lang].get(key) or MESSAGES[lang]["error.hint.default"]


# When an event carries no business step, its EPCIS type says what kind of record it is.
EVENT_TYPES: Final[dict[Lang, dict[str, str]]] = {
    "vi": {
        "ObjectEvent": "Ghi nhận",
        "AggregationEvent": "Đóng kiện",
        "TransformationEvent": "Chế biến",
        "TransactionEvent": "Giao dịch",
        "AssociationEvent": "Gắn thiết bị",
    },
    "en": {
        "ObjectEvent": "Recorded",
        "AggregationEvent": "Packed together",
        "TransformationEvent": "Processed",
        "TransactionEvent": "Business transaction",
        "AssociationEvent": "Device attached",
    },
}


def stage_name(biz_step: str | None, event_type: str, lang: Lang) -> str:
    """The heading of a timeline stage: its business step, else the kind of event."""
    return biz_step_name(biz_step, lang) or EVENT_TYPES[lang].get(event_type, event_type)
