"""Provenance presenters built directly, for page tests: the demo's ST25 rice, in words.

Every builder takes keyword overrides, so a test states only what it is about.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from traceability.services.provenance.model import (
    Certification,
    LotInfo,
    LotRef,
    Party,
    Place,
    ProductInfo,
    Provenance,
    Recall,
    ScanInfo,
    Stage,
    Verification,
)

GTIN = "08936901020057"
LOT = "ST25-260812"
LOT_PATH = f"/01/{GTIN}/10/{LOT}"
MILLED_GTIN = "08936901020019"
MILLED_LOT = "GX-260810"
MILLED_PATH = f"/01/{MILLED_GTIN}/10/{MILLED_LOT}"

RICE_MILL = Party(
    name="Công ty TNHH Xay xát Lương thực Kênh Xáng",
    address="Lô C4, KCN An Nghiệp, xã An Hiệp, huyện Châu Thành (cũ), tỉnh Sóc Trăng (cũ), "
    "thành phố Cần Thơ",
    province="Cần Thơ",
    tax_code="2200961029",
)
DISTRIBUTOR = Party(
    name="Công ty Cổ phần Phân phối Nông sản Sài Gòn Xanh",
    province="Thành phố Hồ Chí Minh",
)
RETAILER = Party(name="Công ty TNHH Thương mại Bếp Việt Mart", province="Thành phố Hồ Chí Minh")
MILL = Place(
    gln="8936901029012",
    name="Nhà máy xay xát và đóng gói Kênh Xáng",
    address=RICE_MILL.address,
    province="Cần Thơ",
)
DC_HCMC = Place(
    gln="8936901039011",
    name="Kho phân phối Sài Gòn Xanh – Bình Chánh",
    province="Thành phố Hồ Chí Minh",
)
STORE_HCMC = Place(
    gln="8936901049010",
    name="Cửa hàng Bếp Việt Mart Nguyễn Đình Chiểu",
    province="Thành phố Hồ Chí Minh",
)
VIETGAP = Certification(
    scheme="VietGAP",
    number="VG-ST-0291/2026",
    issuer="Trung tâm Chứng nhận Phù hợp (QUACERT)",
    valid_until=date(2028, 3, 31),
    url="https://example.vn/chung-nhan/VG-ST-0291",
)
HACCP = Certification(
    scheme="HACCP",
    number="HACCP-KX-1187",
    issuer="Bureau Veritas Việt Nam",
    valid_until=date(2027, 12, 31),
)


def at(text: str) -> datetime:
    """A UTC instant from "YYYY-MM-DD HH:MM" Vietnam time (UTC+7), as the service stores it."""
    local = datetime.fromisoformat(text + ":00+07:00")
    return local.astimezone(UTC)


def stage(name: str, when: str, **overrides: Any) -> Stage:
    values: dict[str, Any] = {
        "event_id": f"urn:uuid:demo-{name}",
        "event_type": "ObjectEvent",
        "biz_step": name,
        "action": "OBSERVE",
        "disposition": None,
        "time": at(when),
        "time_zone": "+07:00",
        "place": MILL,
        "party": RICE_MILL,
    }
    values.update(overrides)
    return Stage(**values)


def rice_stages() -> tuple[Stage, ...]:
    return (
        stage(
            "packing",
            "2026-08-12 08:00",
            event_type="TransformationEvent",
            action=None,
            disposition="active",
            inputs=(
                LotRef(
                    MILLED_GTIN,
                    MILLED_LOT,
                    MILLED_PATH,
                    "Gạo ST25 xát trắng (bao 50 kg)",
                    "ST25 milled white rice (50 kg sacks)",
                ),
            ),
            outputs=(LotRef(GTIN, LOT, LOT_PATH, "Gạo ST25 Sóc Trăng túi 5 kg"),),
        ),
        stage("storing", "2026-08-12 16:00", disposition="sellable_not_accessible"),
        stage("shipping", "2026-08-18 07:00", disposition="in_transit"),
        stage(
            "receiving",
            "2026-08-18 19:30",
            disposition="in_progress",
            place=DC_HCMC,
            party=DISTRIBUTOR,
        ),
        stage(
            "retail_selling",
            "2026-09-30 21:00",
            disposition="retail_sold",
            place=STORE_HCMC,
            party=RETAILER,
        ),
    )


def product_info(**overrides: Any) -> ProductInfo:
    values: dict[str, Any] = {
        "gtin": GTIN,
        "name": "Gạo ST25 Sóc Trăng túi 5 kg",
        "name_en": "ST25 fragrant rice from Sóc Trăng, 5 kg bag",
        "brand": "Kênh Xáng ST25",
        "category": "Lương thực – gạo",
        "category_en": "Staple food – rice",
        "description": "Gạo thơm ST25 hạt dài, cơm dẻo, thơm mùi lá dứa; đóng túi hút chân "
        "không 5 kg.",
        "description_en": "Long-grain ST25 fragrant rice that cooks soft and smells of pandan "
        "leaves; vacuum-packed in 5 kg bags.",
        "image_url": None,
        "applied_standards": ("TCVN 11888:2017", "VietGAP", "HACCP"),
    }
    values.update(overrides)
    return ProductInfo(**values)


def lot_info(**overrides: Any) -> LotInfo:
    values: dict[str, Any] = {
        "lot": LOT,
        "production_date": date(2026, 8, 12),
        "expiry_date": date(2027, 8, 12),
        "quantity": 1900.0,
        "unit": "H87",
        "origin": MILL,
        "certifications": (VIETGAP, HACCP),
    }
    values.update(overrides)
    return LotInfo(**values)


def verification(**overrides: Any) -> Verification:
    values: dict[str, Any] = {
        "intact": True,
        "signatures_valid": True,
        "checked": 14,
        "problem": None,
        "checkpoint_size": 1234,
        "log_indexes": (40, 41, 42),
        "proof_path": "/log/proof/inclusion?index=42&size=1234",
    }
    values.update(overrides)
    return Verification(**values)


def lot_page(**overrides: Any) -> Provenance:
    """The packed ST25 rice lot's page, as the service would build it."""
    values: dict[str, Any] = {
        "level": "lot",
        "canonical_path": LOT_PATH,
        "product": product_info(),
        "producer": RICE_MILL,
        "lot": lot_info(),
        "stages": rice_stages(),
        "verification": verification(),
    }
    values.update(overrides)
    return Provenance(**values)


def serial_page(**overrides: Any) -> Provenance:
    values: dict[str, Any] = {
        "level": "serial",
        "canonical_path": f"{LOT_PATH}/21/SN000123",
        "serial": "SN000123",
        "scans": ScanInfo(count=3, first_seen=at("2026-09-02 18:45")),
    }
    values.update(overrides)
    return lot_page(**values)


def product_page(**overrides: Any) -> Provenance:
    values: dict[str, Any] = {
        "level": "product",
        "canonical_path": f"/01/{GTIN}",
        "product": product_info(),
        "producer": RICE_MILL,
        "lots": (
            LotRef(GTIN, LOT, LOT_PATH),
            LotRef(GTIN, "ST25-260701", f"/01/{GTIN}/10/ST25-260701"),
        ),
    }
    values.update(overrides)
    return Provenance(**values)


def recalled(view: Provenance, reason: str = "Phát hiện mốc trong lô hàng") -> Provenance:
    return replace(
        view, recall=Recall(True, since=at("2026-10-02 09:00"), reason=reason, event_id="x")
    )
