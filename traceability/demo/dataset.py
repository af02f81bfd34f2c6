"""The demo's data: three Vietnamese supply chains, as constants. No I/O here.

Organisations, their locations, products and lots, and the EPCIS 2.0 events of
each chain in the order they happened. The businesses, people and certificate
numbers are invented; places, crops, standards and seasons are real.

Provinces are those in force since 1 July 2025 (Resolution 202/2025/QH15):
Sóc Trăng now belongs to Cần Thơ city, so the rice farm's province is Cần Thơ
while its address keeps the former province, written "(cũ)", as Vietnamese
documents do. District-level units were abolished at the same time, and
district names are marked the same way.

Identifiers are valid GS1 keys under Vietnam's prefix 893; check digits are
computed here, not typed. Event ids are ``urn:uuid:`` UUIDv5 of a readable name
under :data:`DEMO_NAMESPACE`, so every run and every other tool sees the same ids.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from traceability.chain.record import LotKey
from traceability.epcis.lots import lots_of
from traceability.identifiers.gs1 import gs1_check_digit

DEMO_NAMESPACE: Final = uuid.UUID("5b0c7a3e-8f1d-5e2a-9c4b-2d6f0e8a1b37")
EPCIS_CONTEXT: Final = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
# Namespace of the demo's own ILMD and extension fields (a JSON-LD prefix).
DEMO_VOCAB_PREFIX: Final = "tx"
DEMO_VOCAB: Final = "https://truyxuat.example.vn/ns/epcis/"
GS1_RESOLVER: Final = "https://id.gs1.org"
TZ: Final = "+07:00"


# --- identifiers ------------------------------------------------------------------------------


def gtin14(company_prefix: str, item_reference: str) -> str:
    """GTIN-14 (indicator 0) of an item under a company prefix; 13 digits before the check."""
    body = company_prefix + item_reference
    if len(body) != 12:
        raise ValueError(f"prefix {company_prefix} + item {item_reference} must be 12 digits")
    return "0" + body + gs1_check_digit(body)


def gln(company_prefix: str, location_reference: str) -> str:
    body = company_prefix + location_reference
    if len(body) != 12:
        raise ValueError(
            f"prefix {company_prefix} + location {location_reference} must be 12 digits"
        )
    return body + gs1_check_digit(body)


def sscc(extension: str, company_prefix: str, serial_reference: str) -> str:
    body = extension + company_prefix + serial_reference
    if len(body) != 17:
        raise ValueError("SSCC body must be 17 digits")
    return body + gs1_check_digit(body)


def epc_class(gtin: str, lot: str) -> str:
    return f"{GS1_RESOLVER}/01/{gtin}/10/{lot}"


def location_uri(location_gln: str) -> str:
    return f"{GS1_RESOLVER}/414/{location_gln}"


def party_uri(party_gln: str) -> str:
    return f"{GS1_RESOLVER}/417/{party_gln}"


def sscc_uri(value: str) -> str:
    return f"{GS1_RESOLVER}/00/{value}"


def event_id(name: str) -> str:
    return f"urn:uuid:{uuid.uuid5(DEMO_NAMESPACE, name)}"


# --- records ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoOrg:
    key: str
    name: str
    role: str
    tax_code: str
    gs1_prefix: str | None
    address: str
    province: str

    @property
    def prefix(self) -> str:
        if self.gs1_prefix is None:
            raise ValueError(f"{self.key} has no GS1 company prefix")
        return self.gs1_prefix

    @property
    def party_gln(self) -> str:
        """The organisation's own GLN (location reference 000), as a party in events."""
        return gln(self.prefix, "000")


@dataclass(frozen=True)
class DemoLocation:
    org: str
    gln: str
    name: str
    address: str
    province: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class DemoProduct:
    org: str
    gtin: str
    name: str
    name_en: str
    brand: str
    category: str
    description: str
    image_url: str
    applied_standards: tuple[str, ...]
    shelf_life_days: int | None


@dataclass(frozen=True)
class Certification:
    scheme: str
    number: str
    issuer: str
    valid_until: date

    def to_json(self) -> dict[str, str]:
        return {
            "scheme": self.scheme,
            "number": self.number,
            "issuer": self.issuer,
            "valid_until": self.valid_until.isoformat(),
        }


@dataclass(frozen=True)
class DemoLot:
    org: str
    gtin: str
    lot_code: str
    production_date: date
    expiry_date: date | None
    quantity: float
    unit: str
    origin_gln: str
    certifications: tuple[Certification, ...] = ()

    @property
    def key(self) -> LotKey:
        return LotKey(self.gtin, self.lot_code)


@dataclass(frozen=True)
class DemoEvent:
    """One EPCIS event and the organisation that performs (and signs) it."""

    name: str
    org: str
    document: Mapping[str, Any]

    @property
    def event_id(self) -> str:
        return str(self.document["eventID"])

    @property
    def event_time(self) -> str:
        return str(self.document["eventTime"])

    def to_epcis(self) -> dict[str, Any]:
        """A fresh copy, so nobody can alter the constant through what is submitted."""
        return copy.deepcopy(dict(self.document))

    @property
    def lots(self) -> tuple[LotKey, ...]:
        return lots_named(self.document)


@dataclass(frozen=True)
class DemoChain:
    key: str
    title: str
    events: tuple[DemoEvent, ...]


@dataclass(frozen=True)
class SampleLink:
    label: str
    gtin: str
    lot: str


def lots_named(event: Mapping[str, Any]) -> tuple[LotKey, ...]:
    """Every lot an event names, as the portal itself reads them (sorted)."""
    return tuple(lots_of(event))


# --- event builders ---------------------------------------------------------------------------


def _when(moment: str) -> str:
    """'2026-08-03 06:30' in Vietnam time as an EPCIS eventTime."""
    day, clock = moment.split(" ")
    return f"{day}T{clock}:00.000{TZ}"


def _quantity(gtin: str, lot: str, quantity: float, uom: str) -> dict[str, Any]:
    return {"epcClass": epc_class(gtin, lot), "quantity": quantity, "uom": uom}


Quantity = tuple[str, str, float, str]  # gtin, lot, quantity, uom


def _base(
    kind: str, name: str, when: str, biz_step: str, disposition: str, location_gln: str
) -> dict[str, Any]:
    return {
        "@context": [EPCIS_CONTEXT, {DEMO_VOCAB_PREFIX: DEMO_VOCAB}],
        "type": kind,
        "eventID": event_id(name),
        "eventTime": _when(when),
        "eventTimeZoneOffset": TZ,
        "bizStep": biz_step,
        "disposition": disposition,
        "readPoint": {"id": location_uri(location_gln)},
        "bizLocation": {"id": location_uri(location_gln)},
    }


def object_event(
    name: str,
    org: str,
    when: str,
    *,
    action: str,
    biz_step: str,
    disposition: str,
    at: str,
    quantities: Sequence[Quantity],
    epcs: Sequence[str] = (),
    **extra: Any,
) -> DemoEvent:
    document = _base("ObjectEvent", name, when, biz_step, disposition, at)
    document["action"] = action
    if epcs:
        document["epcList"] = list(epcs)
    document["quantityList"] = [_quantity(*q) for q in quantities]
    document.update(extra)
    return DemoEvent(name, org, _order(document))


def transformation_event(
    name: str,
    org: str,
    when: str,
    *,
    biz_step: str,
    disposition: str,
    at: str,
    inputs: Sequence[Quantity],
    outputs: Sequence[Quantity],
    **extra: Any,
) -> DemoEvent:
    document = _base("TransformationEvent", name, when, biz_step, disposition, at)
    document["inputQuantityList"] = [_quantity(*q) for q in inputs]
    document["outputQuantityList"] = [_quantity(*q) for q in outputs]
    document.update(extra)
    return DemoEvent(name, org, _order(document))


def aggregation_event(
    name: str,
    org: str,
    when: str,
    *,
    biz_step: str,
    disposition: str,
    at: str,
    parent: str,
    children: Sequence[Quantity],
    **extra: Any,
) -> DemoEvent:
    document = _base("AggregationEvent", name, when, biz_step, disposition, at)
    document["action"] = "ADD"
    document["parentID"] = parent
    document["childQuantityList"] = [_quantity(*q) for q in children]
    document.update(extra)
    return DemoEvent(name, org, _order(document))


# The order EPCIS documents usually list fields in: identity and time, what, why, where, how.
_FIELD_ORDER: Final = (
    "@context",
    "type",
    "eventID",
    "eventTime",
    "eventTimeZoneOffset",
    "certificationInfo",
    "parentID",
    "epcList",
    "action",
    "quantityList",
    "childQuantityList",
    "inputQuantityList",
    "outputQuantityList",
    "bizStep",
    "disposition",
    "readPoint",
    "bizLocation",
    "bizTransactionList",
    "sourceList",
    "destinationList",
    "sensorElementList",
    "ilmd",
)


_FIELD_RANK = {name: i for i, name in enumerate(_FIELD_ORDER)}


def _order(document: dict[str, Any]) -> dict[str, Any]:
    last = len(_FIELD_RANK)
    return dict(sorted(document.items(), key=lambda kv: _FIELD_RANK.get(kv[0], last)))


def _moves(
    source_org: DemoOrg, source_gln: str, destination_org: DemoOrg, destination_gln: str
) -> dict[str, Any]:
    """sourceList and destinationList of a shipment: owning party (AI 417) and location (AI 414)."""
    return {
        "sourceList": [
            {"type": "owning_party", "source": party_uri(source_org.party_gln)},
            {"type": "location", "source": location_uri(source_gln)},
        ],
        "destinationList": [
            {"type": "owning_party", "destination": party_uri(destination_org.party_gln)},
            {"type": "location", "destination": location_uri(destination_gln)},
        ],
    }


def _transactions(owner: DemoOrg, **documents: str) -> list[dict[str, str]]:
    """Business transactions (CBV types: po, desadv, inv, bol...) numbered by ``owner``."""
    return [
        {"type": kind, "bizTransaction": f"urn:epcglobal:cbv:bt:{owner.party_gln}:{number}"}
        for kind, number in documents.items()
    ]


def _tx(**fields: Any) -> dict[str, Any]:
    """Demo extension fields under the ``tx:`` prefix."""
    return {f"{DEMO_VOCAB_PREFIX}:{name}": value for name, value in fields.items()}


# --- organisations ----------------------------------------------------------------------------

RICE_COOP = DemoOrg(
    key="rice_coop",
    name="Hợp tác xã Nông nghiệp Lúa thơm Mỹ Xuyên",
    role="producer",
    tax_code="2200961011",
    gs1_prefix="893690101",
    address="Ấp Hòa Đê, xã Hòa Tú 1, huyện Mỹ Xuyên (cũ), tỉnh Sóc Trăng (cũ), thành phố Cần Thơ",
    province="Cần Thơ",
)
RICE_MILL = DemoOrg(
    key="rice_mill",
    name="Công ty TNHH Xay xát Lương thực Kênh Xáng",
    role="producer",
    tax_code="2200961029",
    gs1_prefix="893690102",
    address="Lô C4, KCN An Nghiệp, xã An Hiệp, huyện Châu Thành (cũ), tỉnh Sóc Trăng (cũ), "
    "thành phố Cần Thơ",
    province="Cần Thơ",
)
DISTRIBUTOR = DemoOrg(
    key="distributor",
    name="Công ty Cổ phần Phân phối Nông sản Sài Gòn Xanh",
    role="producer",
    tax_code="0300961036",
    gs1_prefix="893690103",
    address="Lô B12, KCN Lê Minh Xuân, huyện Bình Chánh (cũ), Thành phố Hồ Chí Minh",
    province="Thành phố Hồ Chí Minh",
)
RETAILER = DemoOrg(
    key="retailer",
    name="Công ty TNHH Thương mại Bếp Việt Mart",
    role="producer",
    tax_code="0300961043",
    gs1_prefix="893690104",
    address="125 Nguyễn Đình Chiểu, Quận 3 (cũ), Thành phố Hồ Chí Minh",
    province="Thành phố Hồ Chí Minh",
)
COFFEE_COOP = DemoOrg(
    key="coffee_coop",
    name="Hợp tác xã Cà phê Ea Tu",
    role="producer",
    tax_code="6000961050",
    gs1_prefix="893690105",
    address="Thôn 4, xã Ea Tu, thành phố Buôn Ma Thuột (cũ), tỉnh Đắk Lắk",
    province="Đắk Lắk",
)
ROASTER = DemoOrg(
    key="roaster",
    name="Công ty TNHH Cà phê Cao Nguyên Đỏ",
    role="producer",
    tax_code="6000961068",
    gs1_prefix="893690106",
    address="Lô 7, KCN Hòa Phú, thành phố Buôn Ma Thuột (cũ), tỉnh Đắk Lắk",
    province="Đắk Lắk",
)
FISH_FARM = DemoOrg(
    key="fish_farm",
    name="Hợp tác xã Nuôi trồng Thủy sản Tân Quới",
    role="producer",
    tax_code="1400961070",
    gs1_prefix="893690107",
    address="Ấp Tân Hòa, xã Tân Quới, huyện Thanh Bình (cũ), tỉnh Đồng Tháp",
    province="Đồng Tháp",
)
FISH_PROCESSOR = DemoOrg(
    key="fish_processor",
    name="Công ty Cổ phần Thủy sản Sa Đéc",
    role="producer",
    tax_code="1400961088",
    gs1_prefix="893690108",
    address="Lô A2, KCN C Sa Đéc, thành phố Sa Đéc (cũ), tỉnh Đồng Tháp",
    province="Đồng Tháp",
)
INSPECTOR = DemoOrg(
    key="inspector",
    name="Cục Quản lý thị trường (Bộ Công Thương)",
    role="inspector",
    tax_code="0100961092",
    gs1_prefix=None,
    address="Phường Cửa Nam, Hà Nội",
    province="Hà Nội",
)
OPERATOR = DemoOrg(
    key="operator",
    name="Trung tâm Mã số Mã vạch Quốc gia (đơn vị vận hành Cổng truy xuất nguồn gốc)",
    role="admin",
    tax_code="0100961102",
    gs1_prefix=None,
    address="Số 8 Hoàng Quốc Việt, phường Nghĩa Đô, Hà Nội",
    province="Hà Nội",
)

ORGANIZATIONS: Final[tuple[DemoOrg, ...]] = (
    RICE_COOP,
    RICE_MILL,
    DISTRIBUTOR,
    RETAILER,
    COFFEE_COOP,
    ROASTER,
    FISH_FARM,
    FISH_PROCESSOR,
    INSPECTOR,
    OPERATOR,
)

# --- locations --------------------------------------------------------------------------------

RICE_FIELDS = DemoLocation(
    RICE_COOP.key,
    gln(RICE_COOP.prefix, "901"),
    "Cánh đồng lúa ST25 HTX Mỹ Xuyên (vùng trồng VietGAP)",
    "Ấp Hòa Đê, xã Hòa Tú 1, huyện Mỹ Xuyên (cũ), tỉnh Sóc Trăng (cũ), thành phố Cần Thơ",
    "Cần Thơ",
    9.4702,
    105.9617,
)
MILL = DemoLocation(
    RICE_MILL.key,
    gln(RICE_MILL.prefix, "901"),
    "Nhà máy xay xát và đóng gói Kênh Xáng",
    RICE_MILL.address,
    "Cần Thơ",
    9.6488,
    105.9302,
)
DC_HCMC = DemoLocation(
    DISTRIBUTOR.key,
    gln(DISTRIBUTOR.prefix, "901"),
    "Kho phân phối Sài Gòn Xanh – Bình Chánh",
    DISTRIBUTOR.address,
    "Thành phố Hồ Chí Minh",
    10.7542,
    106.5318,
)
STORE_HCMC = DemoLocation(
    RETAILER.key,
    gln(RETAILER.prefix, "901"),
    "Cửa hàng Bếp Việt Mart Nguyễn Đình Chiểu",
    "125 Nguyễn Đình Chiểu, Quận 3 (cũ), Thành phố Hồ Chí Minh",
    "Thành phố Hồ Chí Minh",
    10.7798,
    106.6880,
)
STORE_HANOI = DemoLocation(
    RETAILER.key,
    gln(RETAILER.prefix, "902"),
    "Cửa hàng Bếp Việt Mart Trần Thái Tông",
    "68 Trần Thái Tông, quận Cầu Giấy (cũ), Hà Nội",
    "Hà Nội",
    21.0310,
    105.7905,
)
COFFEE_FARMS = DemoLocation(
    COFFEE_COOP.key,
    gln(COFFEE_COOP.prefix, "901"),
    "Vùng trồng cà phê Robusta HTX Ea Tu",
    "Thôn 4 và thôn 7, xã Ea Tu, thành phố Buôn Ma Thuột (cũ), tỉnh Đắk Lắk",
    "Đắk Lắk",
    12.7238,
    108.0701,
)
COFFEE_STATION = DemoLocation(
    COFFEE_COOP.key,
    gln(COFFEE_COOP.prefix, "902"),
    "Trạm sơ chế và kho cà phê nhân HTX Ea Tu",
    COFFEE_COOP.address,
    "Đắk Lắk",
    12.7175,
    108.0652,
)
ROASTERY = DemoLocation(
    ROASTER.key,
    gln(ROASTER.prefix, "901"),
    "Xưởng rang xay Cao Nguyên Đỏ",
    ROASTER.address,
    "Đắk Lắk",
    12.6001,
    107.9958,
)
PONDS = DemoLocation(
    FISH_FARM.key,
    gln(FISH_FARM.prefix, "901"),
    "Vùng nuôi cá tra Tân Quới (ao A3, B1)",
    FISH_FARM.address,
    "Đồng Tháp",
    10.5620,
    105.5460,
)
FISH_PLANT = DemoLocation(
    FISH_PROCESSOR.key,
    gln(FISH_PROCESSOR.prefix, "901"),
    "Nhà máy chế biến cá tra phi lê Sa Đéc",
    FISH_PROCESSOR.address,
    "Đồng Tháp",
    10.3106,
    105.7385,
)
COLD_STORE = DemoLocation(
    FISH_PROCESSOR.key,
    gln(FISH_PROCESSOR.prefix, "902"),
    "Kho lạnh thành phẩm Sa Đéc (−25 °C)",
    "Lô A3, KCN C Sa Đéc, thành phố Sa Đéc (cũ), tỉnh Đồng Tháp",
    "Đồng Tháp",
    10.3112,
    105.7392,
)

LOCATIONS: Final[tuple[DemoLocation, ...]] = (
    RICE_FIELDS,
    MILL,
    DC_HCMC,
    STORE_HCMC,
    STORE_HANOI,
    COFFEE_FARMS,
    COFFEE_STATION,
    ROASTERY,
    PONDS,
    FISH_PLANT,
    COLD_STORE,
)

# The buyer of the exported fillets: a party abroad, not registered on the portal.
IMPORTER_NAME: Final = "Noordzee Visimport B.V. (Rotterdam, Hà Lan)"
IMPORTER_GLN: Final = gln("871999", "000004")

# --- products ---------------------------------------------------------------------------------

PADDY = DemoProduct(
    RICE_COOP.key,
    gtin14(RICE_COOP.prefix, "001"),
    "Lúa tươi ST25 vụ Hè Thu",
    "Fresh ST25 paddy, summer–autumn crop",
    "HTX Mỹ Xuyên",
    "Nông sản – lúa",
    "Lúa giống ST25 canh tác theo VietGAP trên vùng đất lúa – tôm Mỹ Xuyên, "
    "thu hoạch bằng máy gặt đập liên hợp, bán cho nhà máy xay xát trong ngày.",
    "/static/demo/lua-st25.jpg",
    ("VietGAP (TCVN 11892-1:2017)",),
    None,
)
MILLED_RICE = DemoProduct(
    RICE_MILL.key,
    gtin14(RICE_MILL.prefix, "001"),
    "Gạo ST25 xát trắng (bao 50 kg)",
    "ST25 milled white rice (50 kg sacks)",
    "Kênh Xáng",
    "Lương thực – gạo",
    "Gạo trắng hạt dài ST25 xát từ lúa vùng Mỹ Xuyên, chưa đóng gói bán lẻ.",
    "/static/demo/gao-st25-bao.jpg",
    ("TCVN 11888:2017", "HACCP"),
    365,
)
RICE_5KG = DemoProduct(
    RICE_MILL.key,
    gtin14(RICE_MILL.prefix, "005"),
    "Gạo ST25 Sóc Trăng túi 5 kg",
    "ST25 fragrant rice from Sóc Trăng, 5 kg bag",
    "Kênh Xáng ST25",
    "Lương thực – gạo",
    "Gạo thơm ST25 hạt dài, cơm dẻo, thơm mùi lá dứa; đóng túi hút chân không 5 kg. "
    "Bảo quản nơi khô ráo, thoáng mát.",
    "/static/demo/gao-st25-5kg.jpg",
    ("TCVN 11888:2017", "VietGAP", "HACCP"),
    365,
)
COFFEE_CHERRY = DemoProduct(
    COFFEE_COOP.key,
    gtin14(COFFEE_COOP.prefix, "001"),
    "Cà phê quả tươi Robusta Buôn Ma Thuột",
    "Fresh Robusta coffee cherries, Buôn Ma Thuột",
    "HTX Ea Tu",
    "Nông sản – cà phê",
    "Quả cà phê Robusta hái chín (tỷ lệ quả chín trên 90%) từ vườn xã viên HTX Ea Tu.",
    "/static/demo/ca-phe-qua.jpg",
    ("VietGAP",),
    None,
)
GREEN_COFFEE = DemoProduct(
    COFFEE_COOP.key,
    gtin14(COFFEE_COOP.prefix, "002"),
    "Cà phê nhân Robusta sàng 16 chế biến khô",
    "Robusta green coffee, screen 16, natural process",
    "HTX Ea Tu",
    "Nông sản – cà phê",
    "Cà phê nhân phơi trên giàn, xát khô, phân loại sàng 16, độ ẩm dưới 12,5%.",
    "/static/demo/ca-phe-nhan.jpg",
    ("TCVN 4193:2014", "VietGAP", "Chỉ dẫn địa lý Buôn Ma Thuột"),
    730,
)
ROASTED_COFFEE = DemoProduct(
    ROASTER.key,
    gtin14(ROASTER.prefix, "001"),
    "Cà phê Robusta rang mộc (hàng rời)",
    "Roasted Robusta coffee, bulk",
    "Cao Nguyên Đỏ",
    "Thực phẩm – cà phê",
    "Cà phê rang mộc, không tẩm ướp, độ rang vừa, chờ đóng gói.",
    "/static/demo/ca-phe-rang.jpg",
    ("TCVN 5250:2015", "HACCP"),
    365,
)
GROUND_500G = DemoProduct(
    ROASTER.key,
    gtin14(ROASTER.prefix, "500"),
    "Cà phê rang xay Buôn Ma Thuột túi 500 g",
    "Buôn Ma Thuột ground coffee, 500 g bag",
    "Cao Nguyên Đỏ",
    "Thực phẩm – cà phê",
    "Cà phê Robusta Buôn Ma Thuột rang mộc xay vừa, hợp pha phin. Túi có van một chiều.",
    "/static/demo/ca-phe-xay-500g.jpg",
    ("TCVN 5250:2015", "HACCP", "Chỉ dẫn địa lý Buôn Ma Thuột"),
    365,
)
BEANS_1KG = DemoProduct(
    ROASTER.key,
    gtin14(ROASTER.prefix, "101"),
    "Cà phê hạt rang Buôn Ma Thuột túi 1 kg",
    "Buôn Ma Thuột roasted coffee beans, 1 kg bag",
    "Cao Nguyên Đỏ",
    "Thực phẩm – cà phê",
    "Cà phê hạt Robusta rang mộc nguyên hạt cho máy pha espresso.",
    "/static/demo/ca-phe-hat-1kg.jpg",
    ("TCVN 5250:2015", "HACCP", "Chỉ dẫn địa lý Buôn Ma Thuột"),
    365,
)
LIVE_PANGASIUS = DemoProduct(
    FISH_FARM.key,
    gtin14(FISH_FARM.prefix, "001"),
    "Cá tra nguyên liệu (cá sống)",
    "Live pangasius (Pangasianodon hypophthalmus), raw material",
    "HTX Tân Quới",
    "Thủy sản – cá tra",
    "Cá tra thương phẩm 0,9–1,2 kg/con nuôi ven sông Tiền, thu hoạch và vận chuyển sống "
    "bằng ghe đục về nhà máy.",
    "/static/demo/ca-tra.jpg",
    ("VietGAP", "ASC"),
    None,
)
FRESH_FILLET = DemoProduct(
    FISH_PROCESSOR.key,
    gtin14(FISH_PROCESSOR.prefix, "001"),
    "Cá tra phi lê tươi (bán thành phẩm)",
    "Fresh pangasius fillet (work in progress)",
    "Sa Đéc Seafood",
    "Thủy sản – cá tra",
    "Phi lê cá tra đã lạng da, sửa cá, chờ cấp đông.",
    "/static/demo/ca-tra-phi-le-tuoi.jpg",
    ("HACCP", "TCVN 8338:2010"),
    None,
)
FROZEN_FILLET = DemoProduct(
    FISH_PROCESSOR.key,
    gtin14(FISH_PROCESSOR.prefix, "010"),
    "Cá tra phi lê đông lạnh IQF thùng 10 kg",
    "Frozen pangasius fillets IQF, 10 kg carton",
    "Sa Đéc Seafood",
    "Thủy sản – cá tra",
    "Phi lê cá tra thịt trắng cấp đông IQF, mạ băng 10%, đóng thùng 10 kg xuất khẩu. "
    "Bảo quản ở −18 °C hoặc thấp hơn.",
    "/static/demo/ca-tra-phi-le-dong-lanh.jpg",
    ("TCVN 8338:2010", "HACCP", "ASC", "BRCGS"),
    730,
)

PRODUCTS: Final[tuple[DemoProduct, ...]] = (
    PADDY,
    MILLED_RICE,
    RICE_5KG,
    COFFEE_CHERRY,
    GREEN_COFFEE,
    ROASTED_COFFEE,
    GROUND_500G,
    BEANS_1KG,
    LIVE_PANGASIUS,
    FRESH_FILLET,
    FROZEN_FILLET,
)

# --- certificates (invented numbers in the issuers' formats) -----------------------------------

VIETGAP_RICE = Certification(
    "VietGAP",
    "VietGAP-TT-24-09-94-0157",
    "Công ty Chứng nhận Nông sản Phương Nam",
    date(2027, 6, 30),
)
VIETGAP_COFFEE = Certification(
    "VietGAP", "VietGAP-TT-23-11-66-0412", "Trung tâm Chứng nhận Tây Nguyên", date(2026, 12, 31)
)
VIETGAP_FISH = Certification(
    "VietGAP", "VietGAP-TS-25-03-87-0086", "Công ty Chứng nhận Thủy sản Cửu Long", date(2028, 3, 14)
)
ASC_FISH = Certification(
    "ASC", "ASC-F-VN-0731", "Tổ chức chứng nhận quốc tế được ASC công nhận", date(2027, 9, 30)
)
HACCP_MILL = Certification(
    "HACCP",
    "HACCP-KX-2025-061",
    "Trung tâm Kỹ thuật Tiêu chuẩn Đo lường Chất lượng 3",
    date(2028, 5, 20),
)
HACCP_ROASTER = Certification(
    "HACCP", "HACCP-CND-2024-019", "Công ty Chứng nhận Chất lượng Tây Nguyên", date(2027, 4, 10)
)
HACCP_FISH = Certification(
    "HACCP",
    "HACCP-SD-2025-118",
    "Trung tâm Chứng nhận Chất lượng Thủy sản Nam Bộ",
    date(2028, 1, 31),
)
CERTIFICATE_URIS: Final = {
    VIETGAP_RICE.number: "https://chungnhan.example.vn/vietgap/VietGAP-TT-24-09-94-0157",
    VIETGAP_COFFEE.number: "https://chungnhan.example.vn/vietgap/VietGAP-TT-23-11-66-0412",
    VIETGAP_FISH.number: "https://chungnhan.example.vn/vietgap/VietGAP-TS-25-03-87-0086",
    ASC_FISH.number: "https://chungnhan.example.vn/asc/ASC-F-VN-0731",
    HACCP_MILL.number: "https://chungnhan.example.vn/haccp/HACCP-KX-2025-061",
    HACCP_ROASTER.number: "https://chungnhan.example.vn/haccp/HACCP-CND-2024-019",
    HACCP_FISH.number: "https://chungnhan.example.vn/haccp/HACCP-SD-2025-118",
}


def _certificates(*certifications: Certification) -> list[str] | str:
    uris = [CERTIFICATE_URIS[c.number] for c in certifications]
    return uris[0] if len(uris) == 1 else uris


# --- lots -------------------------------------------------------------------------------------

PADDY_T01 = DemoLot(
    RICE_COOP.key,
    PADDY.gtin,
    "HT26-MX-T01",
    date(2026, 8, 3),
    None,
    8400,
    "KGM",
    RICE_FIELDS.gln,
    (VIETGAP_RICE,),
)
PADDY_T02 = DemoLot(
    RICE_COOP.key,
    PADDY.gtin,
    "HT26-MX-T02",
    date(2026, 8, 4),
    None,
    7600,
    "KGM",
    RICE_FIELDS.gln,
    (VIETGAP_RICE,),
)
MILLED_LOT = DemoLot(
    RICE_MILL.key,
    MILLED_RICE.gtin,
    "GX-260810",
    date(2026, 8, 10),
    date(2027, 8, 10),
    9600,
    "KGM",
    MILL.gln,
    (HACCP_MILL,),
)
RICE_BAG_LOT = DemoLot(
    RICE_MILL.key,
    RICE_5KG.gtin,
    "ST25-260812",
    date(2026, 8, 12),
    date(2027, 8, 12),
    1900,
    "H87",
    MILL.gln,
    (VIETGAP_RICE, HACCP_MILL),
)
CHERRY_A = DemoLot(
    COFFEE_COOP.key,
    COFFEE_CHERRY.gtin,
    "CF25-EATU-A",
    date(2025, 11, 20),
    None,
    12000,
    "KGM",
    COFFEE_FARMS.gln,
    (VIETGAP_COFFEE,),
)
CHERRY_B = DemoLot(
    COFFEE_COOP.key,
    COFFEE_CHERRY.gtin,
    "CF25-EATU-B",
    date(2025, 11, 27),
    None,
    9500,
    "KGM",
    COFFEE_FARMS.gln,
    (VIETGAP_COFFEE,),
)
GREEN_LOT = DemoLot(
    COFFEE_COOP.key,
    GREEN_COFFEE.gtin,
    "NX16-251222",
    date(2025, 12, 22),
    date(2027, 12, 22),
    4780,
    "KGM",
    COFFEE_STATION.gln,
    (VIETGAP_COFFEE,),
)
ROASTED_LOT = DemoLot(
    ROASTER.key,
    ROASTED_COFFEE.gtin,
    "RM-260903",
    date(2026, 9, 3),
    date(2027, 9, 3),
    990,
    "KGM",
    ROASTERY.gln,
    (HACCP_ROASTER,),
)
GROUND_LOT = DemoLot(
    ROASTER.key,
    GROUND_500G.gtin,
    "BMT500-260904",
    date(2026, 9, 4),
    date(2027, 9, 4),
    1200,
    "H87",
    ROASTERY.gln,
    (HACCP_ROASTER,),
)
BEANS_LOT = DemoLot(
    ROASTER.key,
    BEANS_1KG.gtin,
    "BMT1K-260904",
    date(2026, 9, 4),
    date(2027, 9, 4),
    380,
    "H87",
    ROASTERY.gln,
    (HACCP_ROASTER,),
)
POND_A3 = DemoLot(
    FISH_FARM.key,
    LIVE_PANGASIUS.gtin,
    "AO-A3-261005",
    date(2026, 10, 5),
    None,
    36000,
    "KGM",
    PONDS.gln,
    (VIETGAP_FISH, ASC_FISH),
)
POND_B1 = DemoLot(
    FISH_FARM.key,
    LIVE_PANGASIUS.gtin,
    "AO-B1-261005",
    date(2026, 10, 5),
    None,
    28500,
    "KGM",
    PONDS.gln,
    (VIETGAP_FISH, ASC_FISH),
)
FILLET_LOT = DemoLot(
    FISH_PROCESSOR.key,
    FRESH_FILLET.gtin,
    "PL-261006",
    date(2026, 10, 6),
    None,
    21900,
    "KGM",
    FISH_PLANT.gln,
    (HACCP_FISH,),
)
CARTON_LOT = DemoLot(
    FISH_PROCESSOR.key,
    FROZEN_FILLET.gtin,
    "IQF-261006",
    date(2026, 10, 6),
    date(2028, 10, 6),
    2180,
    "H87",
    FISH_PLANT.gln,
    (HACCP_FISH, ASC_FISH),
)

LOTS: Final[tuple[DemoLot, ...]] = (
    PADDY_T01,
    PADDY_T02,
    MILLED_LOT,
    RICE_BAG_LOT,
    CHERRY_A,
    CHERRY_B,
    GREEN_LOT,
    ROASTED_LOT,
    GROUND_LOT,
    BEANS_LOT,
    POND_A3,
    POND_B1,
    FILLET_LOT,
    CARTON_LOT,
)


def _q(lot: DemoLot, quantity: float, uom: str | None = None) -> Quantity:
    return (lot.gtin, lot.lot_code, quantity, uom or lot.unit)


# --- chain 1: ST25 rice, Sóc Trăng → Hồ Chí Minh City and Hà Nội -----------------------------

RICE_EVENTS: Final[tuple[DemoEvent, ...]] = (
    object_event(
        "demo/rice/harvest/HT26-MX-T01",
        RICE_COOP.key,
        "2026-08-03 06:30",
        action="ADD",
        biz_step="commissioning",
        disposition="active",
        at=RICE_FIELDS.gln,
        quantities=[_q(PADDY_T01, 8400)],
        certificationInfo=_certificates(VIETGAP_RICE),
        ilmd={
            "cbvmda:harvestStartDate": "2026-08-03",
            "cbvmda:harvestEndDate": "2026-08-03",
            "cbvmda:countryOfOrigin": "VN",
        }
        | _tx(
            variety="ST25",
            cropSeason="Hè Thu 2026",
            fieldPlot="Thửa 112, tờ bản đồ số 5",
            areaHa=1.4,
            moisturePercent=24.5,
        ),
    ),
    object_event(
        "demo/rice/harvest/HT26-MX-T02",
        RICE_COOP.key,
        "2026-08-04 06:45",
        action="ADD",
        biz_step="commissioning",
        disposition="active",
        at=RICE_FIELDS.gln,
        quantities=[_q(PADDY_T02, 7600)],
        certificationInfo=_certificates(VIETGAP_RICE),
        ilmd={
            "cbvmda:harvestStartDate": "2026-08-04",
            "cbvmda:harvestEndDate": "2026-08-04",
            "cbvmda:countryOfOrigin": "VN",
        }
        | _tx(
            variety="ST25",
            cropSeason="Hè Thu 2026",
            fieldPlot="Thửa 87, tờ bản đồ số 6",
            areaHa=1.3,
            moisturePercent=23.9,
        ),
    ),
    object_event(
        "demo/rice/ship/coop-to-mill",
        RICE_COOP.key,
        "2026-08-05 08:00",
        action="OBSERVE",
        biz_step="shipping",
        disposition="in_transit",
        at=RICE_FIELDS.gln,
        quantities=[_q(PADDY_T01, 8400), _q(PADDY_T02, 7600)],
        bizTransactionList=_transactions(RICE_COOP, desadv="PX-2026-0805-01"),
        **_moves(RICE_COOP, RICE_FIELDS.gln, RICE_MILL, MILL.gln),
    ),
    object_event(
        "demo/rice/receive/mill",
        RICE_MILL.key,
        "2026-08-05 14:20",
        action="OBSERVE",
        biz_step="receiving",
        disposition="in_progress",
        at=MILL.gln,
        quantities=[_q(PADDY_T01, 8380), _q(PADDY_T02, 7590)],
        bizTransactionList=_transactions(RICE_MILL, po="PO-KX-2026-0731", recadv="NK-2026-0805-03"),
        **_moves(RICE_COOP, RICE_FIELDS.gln, RICE_MILL, MILL.gln),
    ),
    object_event(
        "demo/rice/inspect/paddy-intake",
        RICE_MILL.key,
        "2026-08-06 09:00",
        action="OBSERVE",
        biz_step="inspecting",
        disposition="conformant",
        at=MILL.gln,
        quantities=[_q(PADDY_T01, 8380), _q(PADDY_T02, 7590)],
        **_tx(check="Kiểm tra đầu vào: độ ẩm sau sấy 14,2%, tạp chất 0,8%, hạt vàng 0,1%"),
    ),
    transformation_event(
        "demo/rice/mill/GX-260810",
        RICE_MILL.key,
        "2026-08-10 07:30",
        biz_step="commissioning",
        disposition="active",
        at=MILL.gln,
        inputs=[_q(PADDY_T01, 8380), _q(PADDY_T02, 7590)],
        outputs=[_q(MILLED_LOT, 9600)],
        ilmd={"cbvmda:bestBeforeDate": "2027-08-10", "cbvmda:countryOfOrigin": "VN"}
        | _tx(millingYieldPercent=60.1, brokenPercent=4.5),
    ),
    transformation_event(
        "demo/rice/pack/ST25-260812",
        RICE_MILL.key,
        "2026-08-12 08:00",
        biz_step="packing",
        disposition="active",
        at=MILL.gln,
        inputs=[_q(MILLED_LOT, 9500)],
        outputs=[_q(RICE_BAG_LOT, 1900)],
        certificationInfo=_certificates(VIETGAP_RICE, HACCP_MILL),
        ilmd={"cbvmda:bestBeforeDate": "2027-08-12", "cbvmda:countryOfOrigin": "VN"}
        | _tx(netWeightPerUnitKg=5, packaging="Túi PA/PE hút chân không"),
    ),
    object_event(
        "demo/rice/store/mill-warehouse",
        RICE_MILL.key,
        "2026-08-12 16:00",
        action="OBSERVE",
        biz_step="storing",
        disposition="sellable_not_accessible",
        at=MILL.gln,
        quantities=[_q(RICE_BAG_LOT, 1900)],
    ),
    object_event(
        "demo/rice/ship/mill-to-dc",
        RICE_MILL.key,
        "2026-08-18 07:00",
        action="OBSERVE",
        biz_step="shipping",
        disposition="in_transit",
        at=MILL.gln,
        quantities=[_q(RICE_BAG_LOT, 1600)],
        bizTransactionList=_transactions(RICE_MILL, inv="HD-KX-2026-1187", desadv="PX-KX-0818-02"),
        **_moves(RICE_MILL, MILL.gln, DISTRIBUTOR, DC_HCMC.gln),
    ),
    object_event(
        "demo/rice/receive/dc-hcmc",
        DISTRIBUTOR.key,
        "2026-08-18 19:30",
        action="OBSERVE",
        biz_step="receiving",
        disposition="in_progress",
        at=DC_HCMC.gln,
        quantities=[_q(RICE_BAG_LOT, 1600)],
        bizTransactionList=_transactions(DISTRIBUTOR, po="PO-SGX-2026-0412"),
        **_moves(RICE_MILL, MILL.gln, DISTRIBUTOR, DC_HCMC.gln),
    ),
    object_event(
        "demo/rice/ship/dc-to-store-hcmc",
        DISTRIBUTOR.key,
        "2026-08-24 08:00",
        action="OBSERVE",
        biz_step="shipping",
        disposition="in_transit",
        at=DC_HCMC.gln,
        quantities=[_q(RICE_BAG_LOT, 600)],
        bizTransactionList=_transactions(DISTRIBUTOR, desadv="PX-SGX-0824-11"),
        **_moves(DISTRIBUTOR, DC_HCMC.gln, RETAILER, STORE_HCMC.gln),
    ),
    object_event(
        "demo/rice/receive/store-hcmc",
        RETAILER.key,
        "2026-08-24 10:30",
        action="OBSERVE",
        biz_step="receiving",
        disposition="sellable_accessible",
        at=STORE_HCMC.gln,
        quantities=[_q(RICE_BAG_LOT, 600)],
        **_moves(DISTRIBUTOR, DC_HCMC.gln, RETAILER, STORE_HCMC.gln),
    ),
    object_event(
        "demo/rice/ship/dc-to-store-hanoi",
        DISTRIBUTOR.key,
        "2026-08-25 06:00",
        action="OBSERVE",
        biz_step="shipping",
        disposition="in_transit",
        at=DC_HCMC.gln,
        quantities=[_q(RICE_BAG_LOT, 400)],
        bizTransactionList=_transactions(DISTRIBUTOR, desadv="PX-SGX-0825-04"),
        **_moves(DISTRIBUTOR, DC_HCMC.gln, RETAILER, STORE_HANOI.gln),
    ),
    object_event(
        "demo/rice/receive/store-hanoi",
        RETAILER.key,
        "2026-08-28 09:00",
        action="OBSERVE",
        biz_step="receiving",
        disposition="sellable_accessible",
        at=STORE_HANOI.gln,
        quantities=[_q(RICE_BAG_LOT, 400)],
        **_moves(DISTRIBUTOR, DC_HCMC.gln, RETAILER, STORE_HANOI.gln),
    ),
    object_event(
        "demo/rice/inspect/market-surveillance-hcmc",
        INSPECTOR.key,
        "2026-09-15 10:00",
        action="OBSERVE",
        biz_step="inspecting",
        disposition="conformant",
        at=STORE_HCMC.gln,
        quantities=[_q(RICE_BAG_LOT, 2)],
        **_tx(check="Kiểm tra nhãn hàng hóa và truy xuất nguồn gốc; lấy 2 túi mẫu. Phù hợp."),
    ),
    object_event(
        "demo/rice/sell/store-hcmc-2026-09",
        RETAILER.key,
        "2026-09-30 21:00",
        action="OBSERVE",
        biz_step="retail_selling",
        disposition="retail_sold",
        at=STORE_HCMC.gln,
        quantities=[_q(RICE_BAG_LOT, 420)],
    ),
    object_event(
        "demo/rice/sell/store-hanoi-2026-09",
        RETAILER.key,
        "2026-09-30 21:30",
        action="OBSERVE",
        biz_step="retail_selling",
        disposition="retail_sold",
        at=STORE_HANOI.gln,
        quantities=[_q(RICE_BAG_LOT, 265)],
    ),
)

# --- chain 2: Robusta coffee, Buôn Ma Thuột (Đắk Lắk) → Hà Nội -----------------------------

COFFEE_EVENTS: Final[tuple[DemoEvent, ...]] = (
    object_event(
        "demo/coffee/harvest/CF25-EATU-A",
        COFFEE_COOP.key,
        "2025-11-20 07:00",
        action="ADD",
        biz_step="commissioning",
        disposition="active",
        at=COFFEE_FARMS.gln,
        quantities=[_q(CHERRY_A, 12000)],
        certificationInfo=_certificates(VIETGAP_COFFEE),
        ilmd={
            "cbvmda:harvestStartDate": "2025-11-14",
            "cbvmda:harvestEndDate": "2025-11-20",
            "cbvmda:countryOfOrigin": "VN",
        }
        | _tx(variety="Robusta TR4, TR9", ripePercent=92, households=14),
    ),
    object_event(
        "demo/coffee/harvest/CF25-EATU-B",
        COFFEE_COOP.key,
        "2025-11-27 07:00",
        action="ADD",
        biz_step="commissioning",
        disposition="active",
        at=COFFEE_FARMS.gln,
        quantities=[_q(CHERRY_B, 9500)],
        certificationInfo=_certificates(VIETGAP_COFFEE),
        ilmd={
            "cbvmda:harvestStartDate": "2025-11-21",
            "cbvmda:harvestEndDate": "2025-11-27",
            "cbvmda:countryOfOrigin": "VN",
        }
        | _tx(variety="Robusta TR4", ripePercent=90, households=11),
    ),
    transformation_event(
        "demo/coffee/process/NX16-251222",
        COFFEE_COOP.key,
        "2025-12-22 08:00",
        biz_step="commissioning",
        disposition="active",
        at=COFFEE_STATION.gln,
        inputs=[_q(CHERRY_A, 12000), _q(CHERRY_B, 9500)],
        outputs=[_q(GREEN_LOT, 4780)],
        ilmd={"cbvmda:bestBeforeDate": "2027-12-22", "cbvmda:countryOfOrigin": "VN"}
        | _tx(process="Phơi khô trên giàn 21 ngày, xát khô", screen=16, moisturePercent=12.4),
    ),
    object_event(
        "demo/coffee/inspect/grading",
        COFFEE_COOP.key,
        "2025-12-23 09:00",
        action="OBSERVE",
        biz_step="inspecting",
        disposition="conformant",
        at=COFFEE_STATION.gln,
        quantities=[_q(GREEN_LOT, 4780)],
        **_tx(check="Phân loại theo TCVN 4193:2014: sàng 16 trên 90%, hạt đen vỡ 2,1%"),
    ),
    object_event(
        "demo/coffee/store/coop-warehouse",
        COFFEE_COOP.key,
        "2025-12-23 15:00",
        action="OBSERVE",
        biz_step="storing",
        disposition="sellable_not_accessible",
        at=COFFEE_STATION.gln,
        quantities=[_q(GREEN_LOT, 4780)],
    ),
    object_event(
        "demo/coffee/ship/coop-to-roaster",
        COFFEE_COOP.key,
        "2026-09-01 07:00",
        action="OBSERVE",
        biz_step="shipping",
        disposition="in_transit",
        at=COFFEE_STATION.gln,
        quantities=[_q(GREEN_LOT, 1200)],
        bizTransactionList=_transactions(COFFEE_COOP, inv="HD-EATU-2026-0093"),
        **_moves(COFFEE_COOP, COFFEE_STATION.gln, ROASTER, ROASTERY.gln),
    ),
    object_event(
        "demo/coffee/receive/roaster",
        ROASTER.key,
        "2026-09-01 10:00",
        action="OBSERVE",
        biz_step="receiving",
        disposition="in_progress",
        at=ROASTERY.gln,
        quantities=[_q(GREEN_LOT, 1200)],
        bizTransactionList=_transactions(ROASTER, po="PO-CND-2026-0828"),
        **_moves(COFFEE_COOP, COFFEE_STATION.gln, ROASTER, ROASTERY.gln),
    ),
    transformation_event(
        "demo/coffee/roast/RM-260903",
        ROASTER.key,
        "2026-09-03 08:00",
        biz_step="commissioning",
        disposition="active",
        at=ROASTERY.gln,
        inputs=[_q(GREEN_LOT, 1200)],
        outputs=[_q(ROASTED_LOT, 990)],
        ilmd={"cbvmda:bestBeforeDate": "2027-09-03"}
        | _tx(roastLevel="Medium", roastMinutes=16, weightLossPercent=17.5),
    ),
    object_event(
        "demo/coffee/inspect/cupping",
        ROASTER.key,
        "2026-09-03 15:00",
        action="OBSERVE",
        biz_step="inspecting",
        disposition="conformant",
        at=ROASTERY.gln,
        quantities=[_q(ROASTED_LOT, 990)],
        **_tx(check="Thử nếm (cupping) 3 mẫu: 80,5 điểm; độ ẩm 2,1%"),
    ),
    transformation_event(
        "demo/coffee/pack/BMT-260904",
        ROASTER.key,
        "2026-09-04 08:00",
        biz_step="packing",
        disposition="active",
        at=ROASTERY.gln,
        inputs=[_q(ROASTED_LOT, 980)],
        outputs=[_q(GROUND_LOT, 1200), _q(BEANS_LOT, 380)],
        ilmd={"cbvmda:bestBeforeDate": "2027-09-04", "cbvmda:countryOfOrigin": "VN"},
    ),
    object_event(
        "demo/coffee/ship/roaster-to-hanoi",
        ROASTER.key,
        "2026-09-07 07:00",
        action="OBSERVE",
        biz_step="shipping",
        disposition="in_transit",
        at=ROASTERY.gln,
        quantities=[_q(GROUND_LOT, 480), _q(BEANS_LOT, 120)],
        bizTransactionList=_transactions(ROASTER, inv="HD-CND-2026-0331", desadv="PX-CND-0907"),
        **_moves(ROASTER, ROASTERY.gln, RETAILER, STORE_HANOI.gln),
    ),
    object_event(
        "demo/coffee/receive/store-hanoi",
        RETAILER.key,
        "2026-09-10 09:00",
        action="OBSERVE",
        biz_step="receiving",
        disposition="sellable_accessible",
        at=STORE_HANOI.gln,
        quantities=[_q(GROUND_LOT, 480), _q(BEANS_LOT, 120)],
        bizTransactionList=_transactions(RETAILER, po="PO-BVM-2026-0902"),
        **_moves(ROASTER, ROASTERY.gln, RETAILER, STORE_HANOI.gln),
    ),
    object_event(
        "demo/coffee/inspect/market-surveillance-hanoi",
        INSPECTOR.key,
        "2026-10-20 10:00",
        action="OBSERVE",
        biz_step="inspecting",
        disposition="conformant",
        at=STORE_HANOI.gln,
        quantities=[_q(GROUND_LOT, 2)],
        **_tx(check="Kiểm tra chỉ dẫn địa lý và nhãn; lấy 2 túi mẫu. Phù hợp."),
    ),
    object_event(
        "demo/coffee/sell/store-hanoi-2026-10",
        RETAILER.key,
        "2026-10-31 21:00",
        action="OBSERVE",
        biz_step="retail_selling",
        disposition="retail_sold",
        at=STORE_HANOI.gln,
        quantities=[_q(GROUND_LOT, 315), _q(BEANS_LOT, 64)],
    ),
)

# --- chain 3: pangasius, Đồng Tháp → export -------------------------------------------------

EXPORT_SSCC: Final = sscc("0", FISH_PROCESSOR.prefix, "0000457")

FISH_EVENTS: Final[tuple[DemoEvent, ...]] = (
    object_event(
        "demo/fish/harvest/AO-A3-261005",
        FISH_FARM.key,
        "2026-10-05 05:30",
        action="ADD",
        biz_step="commissioning",
        disposition="active",
        at=PONDS.gln,
        quantities=[_q(POND_A3, 36000)],
        certificationInfo=_certificates(VIETGAP_FISH, ASC_FISH),
        ilmd={
            "cbvmda:harvestStartDate": "2026-10-05",
            "cbvmda:harvestEndDate": "2026-10-05",
            "cbvmda:countryOfOrigin": "VN",
        }
        | _tx(
            species="Pangasianodon hypophthalmus",
            pond="A3",
            stockedOn="2026-03-28",
            averageWeightKg=1.05,
            feed="Thức ăn viên nổi 26% đạm",
        ),
    ),
    object_event(
        "demo/fish/harvest/AO-B1-261005",
        FISH_FARM.key,
        "2026-10-05 13:00",
        action="ADD",
        biz_step="commissioning",
        disposition="active",
        at=PONDS.gln,
        quantities=[_q(POND_B1, 28500)],
        certificationInfo=_certificates(VIETGAP_FISH, ASC_FISH),
        ilmd={
            "cbvmda:harvestStartDate": "2026-10-05",
            "cbvmda:harvestEndDate": "2026-10-05",
            "cbvmda:countryOfOrigin": "VN",
        }
        | _tx(
            species="Pangasianodon hypophthalmus",
            pond="B1",
            stockedOn="2026-04-06",
            averageWeightKg=0.98,
            feed="Thức ăn viên nổi 26% đạm",
        ),
    ),
    object_event(
        "demo/fish/ship/farm-to-plant",
        FISH_FARM.key,
        "2026-10-05 15:00",
        action="OBSERVE",
        biz_step="shipping",
        disposition="in_transit",
        at=PONDS.gln,
        quantities=[_q(POND_A3, 36000), _q(POND_B1, 28500)],
        bizTransactionList=_transactions(FISH_FARM, desadv="GH-TQ-1005-02"),
        **_moves(FISH_FARM, PONDS.gln, FISH_PROCESSOR, FISH_PLANT.gln),
        **_tx(transport="Ghe đục chở cá sống trên sông Tiền"),
    ),
    object_event(
        "demo/fish/receive/plant",
        FISH_PROCESSOR.key,
        "2026-10-05 20:00",
        action="OBSERVE",
        biz_step="receiving",
        disposition="in_progress",
        at=FISH_PLANT.gln,
        quantities=[_q(POND_A3, 35900), _q(POND_B1, 28400)],
        bizTransactionList=_transactions(FISH_PROCESSOR, po="PO-SD-2026-1003"),
        **_moves(FISH_FARM, PONDS.gln, FISH_PROCESSOR, FISH_PLANT.gln),
    ),
    object_event(
        "demo/fish/inspect/raw-material",
        FISH_PROCESSOR.key,
        "2026-10-05 21:00",
        action="OBSERVE",
        biz_step="inspecting",
        disposition="conformant",
        at=FISH_PLANT.gln,
        quantities=[_q(POND_A3, 35900), _q(POND_B1, 28400)],
        **_tx(
            check="Kiểm tra dư lượng kháng sinh (enrofloxacin, ciprofloxacin), "
            "malachite green, trifluralin: không phát hiện"
        ),
    ),
    transformation_event(
        "demo/fish/fillet/PL-261006",
        FISH_PROCESSOR.key,
        "2026-10-06 06:00",
        biz_step="commissioning",
        disposition="in_progress",
        at=FISH_PLANT.gln,
        inputs=[_q(POND_A3, 35900), _q(POND_B1, 28400)],
        outputs=[_q(FILLET_LOT, 21900)],
        **_tx(filletYieldPercent=34.1),
    ),
    transformation_event(
        "demo/fish/freeze-pack/IQF-261006",
        FISH_PROCESSOR.key,
        "2026-10-06 18:00",
        biz_step="packing",
        disposition="active",
        at=FISH_PLANT.gln,
        inputs=[_q(FILLET_LOT, 21800)],
        outputs=[_q(CARTON_LOT, 2180)],
        certificationInfo=_certificates(HACCP_FISH, ASC_FISH),
        ilmd={
            "cbvmda:firstFreezeDate": "2026-10-06",
            "cbvmda:bestBeforeDate": "2028-10-06",
            "cbvmda:countryOfOrigin": "VN",
        }
        | _tx(freezing="IQF", glazePercent=10, netWeightPerUnitKg=10),
    ),
    object_event(
        "demo/fish/store/cold-store",
        FISH_PROCESSOR.key,
        "2026-10-07 08:00",
        action="OBSERVE",
        biz_step="storing",
        disposition="sellable_not_accessible",
        at=COLD_STORE.gln,
        quantities=[_q(CARTON_LOT, 2180)],
        sensorElementList=[
            {
                "sensorMetadata": {
                    "time": _when("2026-10-19 08:00"),
                    "startTime": _when("2026-10-07 08:00"),
                    "endTime": _when("2026-10-19 08:00"),
                },
                "sensorReport": [
                    {
                        "type": "Temperature",
                        "minValue": -24.8,
                        "maxValue": -21.6,
                        "meanValue": -23.4,
                        "uom": "CEL",
                    }
                ],
            }
        ],
    ),
    aggregation_event(
        "demo/fish/load/container",
        FISH_PROCESSOR.key,
        "2026-10-19 14:00",
        biz_step="loading",
        disposition="in_progress",
        at=COLD_STORE.gln,
        parent=sscc_uri(EXPORT_SSCC),
        children=[_q(CARTON_LOT, 2180)],
        **_tx(container="Container lạnh 40' MSKU 812345-6, cài đặt −20 °C"),
    ),
    object_event(
        "demo/fish/ship/export-rotterdam",
        FISH_PROCESSOR.key,
        "2026-10-20 09:00",
        action="OBSERVE",
        biz_step="shipping",
        disposition="in_transit",
        at=COLD_STORE.gln,
        epcs=[sscc_uri(EXPORT_SSCC)],
        quantities=[_q(CARTON_LOT, 2180)],
        bizTransactionList=_transactions(
            FISH_PROCESSOR, po="PO-NZV-2026-117", inv="INV-SD-2026-0488", bol="BL-CLI-26100951"
        ),
        sourceList=[
            {"type": "owning_party", "source": party_uri(FISH_PROCESSOR.party_gln)},
            {"type": "location", "source": location_uri(COLD_STORE.gln)},
        ],
        destinationList=[
            {"type": "owning_party", "destination": party_uri(IMPORTER_GLN)},
            {"type": "location", "destination": location_uri(IMPORTER_GLN)},
        ],
        **_tx(
            portOfLoading="Cát Lái, Thành phố Hồ Chí Minh",
            portOfDischarge="Rotterdam",
            buyer=IMPORTER_NAME,
        ),
    ),
)

CHAINS: Final[tuple[DemoChain, ...]] = (
    DemoChain("rice", "ST25 rice, Sóc Trăng → Hồ Chí Minh City and Hà Nội", RICE_EVENTS),
    DemoChain("coffee", "Robusta coffee, Buôn Ma Thuột → Hà Nội", COFFEE_EVENTS),
    DemoChain("fish", "Pangasius, Đồng Tháp → export to Rotterdam", FISH_EVENTS),
)

EVENTS: Final[tuple[DemoEvent, ...]] = tuple(e for chain in CHAINS for e in chain.events)

SAMPLE_LINKS: Final[tuple[SampleLink, ...]] = (
    SampleLink(
        "Gạo ST25 Sóc Trăng túi 5 kg / ST25 rice, 5 kg bag",
        RICE_BAG_LOT.gtin,
        RICE_BAG_LOT.lot_code,
    ),
    SampleLink(
        "Cà phê rang xay Buôn Ma Thuột 500 g / Buôn Ma Thuột ground coffee, 500 g",
        GROUND_LOT.gtin,
        GROUND_LOT.lot_code,
    ),
    SampleLink(
        "Cà phê hạt rang Buôn Ma Thuột 1 kg / Buôn Ma Thuột coffee beans, 1 kg",
        BEANS_LOT.gtin,
        BEANS_LOT.lot_code,
    ),
    SampleLink(
        "Cá tra phi lê đông lạnh 10 kg / Frozen pangasius fillets, 10 kg carton",
        CARTON_LOT.gtin,
        CARTON_LOT.lot_code,
    ),
)

__all__ = [
    "CHAINS",
    "EVENTS",
    "LOCATIONS",
    "LOTS",
    "ORGANIZATIONS",
    "PRODUCTS",
    "SAMPLE_LINKS",
    "Certification",
    "DemoChain",
    "DemoEvent",
    "DemoLocation",
    "DemoLot",
    "DemoOrg",
    "DemoProduct",
    "SampleLink",
    "lots_named",
]
