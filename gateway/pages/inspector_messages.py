"""Every word of the inspector's lot page and of the genealogy pictures, in Vietnamese (the
default) and English. Business steps keep their names from :mod:`gateway.pages.messages`."""

from __future__ import annotations

from typing import Final

from gateway.pages.messages import Lang

INSPECTOR_MESSAGES: Final[dict[Lang, dict[str, str]]] = {
    "vi": {
        "site.name": "Truy xuất nguồn gốc – Thanh tra",
        "lang.switch": "English",
        "page.title": "Hồ sơ thanh tra lô {lot}",
        "page.subtitle": "{product} · GTIN {gtin}",
        "facts.heading": "Lô hàng",
        "facts.product": "Sản phẩm",
        "facts.gtin": "Mã sản phẩm (GTIN)",
        "facts.lot": "Số lô",
        "facts.owner": "Tổ chức sở hữu",
        "facts.province": "Tỉnh/thành",
        "facts.quantity": "Số lượng đăng ký",
        "audit.heading": "Kiểm tra chuỗi sự kiện",
        "audit.intact": "Nguyên vẹn: {checked} sự kiện đã kiểm tra; mã băm, liên kết, chữ ký "
        "và bằng chứng nhật ký đều hợp lệ.",
        "audit.broken": "Phát hiện sai lệch sau khi kiểm tra {checked} sự kiện.",
        "audit.first_bad": "Sự kiện sai đầu tiên: số {seq} ({fault}): {message}",
        "audit.log_problem": "Nhật ký minh bạch: {problem}",
        "audit.checkpoint": "Đối chiếu với điểm kiểm tra nhật ký có {size} mục.",
        "audit.no_events": "Chưa có sự kiện nào ghi cho lô này.",
        "trace.heading": "Phả hệ: nguồn gốc và nơi đến",
        "recall.heading": "Phạm vi thu hồi",
        "recall.counts": "Nếu thu hồi lô này: {lots} lô hoặc kiện hàng (kể cả lô này), {places} "
        "địa điểm của tổ chức khác, {organizations} tổ chức liên quan.",
        "recall.organizations": "Tổ chức liên quan",
        "recall.no_province": "chưa rõ tỉnh/thành",
        "downloads.heading": "Tải xuống",
        "downloads.trace_svg": "Hình phả hệ (SVG)",
        "downloads.recall_svg": "Hình phạm vi thu hồi (SVG)",
        "downloads.csv": "Bảng sự kiện theo FSMA 204 (CSV)",
        "downloads.bundle": "Gói bằng chứng để kiểm tra ngoại tuyến (JSON)",
        "downloads.trace_json": "Phả hệ (JSON)",
        "downloads.recall_json": "Phạm vi thu hồi (JSON)",
        "downloads.key_note": "Các liên kết cần khóa API của cơ quan thanh tra "
        "(Authorization: Bearer …), như API thanh tra.",
        "picture.heading.both": "Phả hệ lô {lot} ({product}): nguồn gốc và nơi đến",
        "picture.heading.back": "Phả hệ lô {lot} ({product}): nguồn gốc",
        "picture.heading.forward": "Phả hệ lô {lot} ({product}): nơi đến",
        "picture.heading.recall": "Phạm vi thu hồi lô {lot} ({product})",
        "picture.truncated": "Hình bị cắt bớt: chỉ vẽ tối đa {max} lô và kiện hàng; bản CSV "
        "và JSON có đủ phần còn lại.",
        "picture.description": "Hình phả hệ: đầu vào bên trái, lô đang xem ở giữa, sản phẩm "
        "làm ra và nơi hàng đến bên phải.",
        "legend.traced": "Lô đang xem",
        "legend.plain": "Lô, kiện hàng hoặc địa điểm liên quan",
        "legend.recalled": "Lô bị thu hồi",
        "legend.affected": "Bị ảnh hưởng",
        "box.lot": "Lô {lot}",
        "box.unit": "Kiện hàng",
        "box.unknown_product": "Sản phẩm chưa đăng ký",
        "box.unknown_owner": "Chưa rõ tổ chức",
        "box.unknown_province": "Chưa rõ tỉnh/thành",
        "box.place": "Địa điểm GLN {gln}",
        "edge.transformation": "Chế biến",
        "edge.aggregation": "Đóng kiện",
        "edge.visit": "Giao nhận",
    },
    "en": {
        "site.name": "Product traceability – Inspection",
        "lang.switch": "Tiếng Việt",
        "page.title": "Inspection file of lot {lot}",
        "page.subtitle": "{product} · GTIN {gtin}",
        "facts.heading": "The lot",
        "facts.product": "Product",
        "facts.gtin": "Product code (GTIN)",
        "facts.lot": "Lot",
        "facts.owner": "Owner",
        "facts.province": "Province",
        "facts.quantity": "Registered quantity",
        "audit.heading": "Chain audit",
        "audit.intact": "Intact: {checked} events checked; hashes, links, signatures and log "
        "proofs are all valid.",
        "audit.broken": "A fault was found after checking {checked} events.",
        "audit.first_bad": "First bad event: number {seq} ({fault}): {message}",
        "audit.log_problem": "Transparency log: {problem}",
        "audit.checkpoint": "Checked against the log checkpoint of {size} entries.",
        "audit.no_events": "No event has been recorded for this lot yet.",
        "trace.heading": "Genealogy: where it came from and where it went",
        "recall.heading": "Recall scope",
        "recall.counts": "Recalling this lot reaches lots or logistic units (this one "
        "included): {lots}; places of other organisations: {places}; organisations: "
        "{organizations}.",
        "recall.organizations": "Organisations concerned",
        "recall.no_province": "province unknown",
        "downloads.heading": "Downloads",
        "downloads.trace_svg": "Genealogy picture (SVG)",
        "downloads.recall_svg": "Recall scope picture (SVG)",
        "downloads.csv": "Events as FSMA 204 key data elements (CSV)",
        "downloads.bundle": "Evidence bundle to verify offline (JSON)",
        "downloads.trace_json": "Genealogy (JSON)",
        "downloads.recall_json": "Recall scope (JSON)",
        "downloads.key_note": "The links need the inspector's API key "
        "(Authorization: Bearer …), as the audit API does.",
        "picture.heading.both": "Genealogy of lot {lot} ({product}): origins and destinations",
        "picture.heading.back": "Genealogy of lot {lot} ({product}): origins",
        "picture.heading.forward": "Genealogy of lot {lot} ({product}): destinations",
        "picture.heading.recall": "Recall scope of lot {lot} ({product})",
        "picture.truncated": "Cut short: at most {max} lots and units are drawn; the CSV and "
        "JSON hold the rest.",
        "picture.description": "Genealogy picture: inputs on the left, the lot in the centre, "
        "what was made of it and where it went on the right.",
        "legend.traced": "Lot traced",
        "legend.plain": "Lot, unit or place in its trace",
        "legend.recalled": "Recalled lot",
        "legend.affected": "Affected",
        "box.lot": "Lot {lot}",
        "box.unit": "Logistic unit",
        "box.unknown_product": "Unregistered product",
        "box.unknown_owner": "Organisation unknown",
        "box.unknown_province": "Province unknown",
        "box.place": "Location GLN {gln}",
        "edge.transformation": "Transformed",
        "edge.aggregation": "Packed",
        "edge.visit": "Shipped or received",
    },
}


def inspector_message(lang: Lang, key: str, **values: object) -> str:
    """One string of the inspector's page or pictures; an unknown key is a bug (KeyError)."""
    text = INSPECTOR_MESSAGES[lang][key]
    return text.format(**values) if values else text
