"""Synthetic Vietnamese supply chains at any scale, for `traceability seed`. No I/O here.

Everything is derived from a :class:`SeedSpec` (a seed name, a random seed and the
sizes), so the same spec gives the same organisations, products, lots and events
byte for byte, on any machine, and any lot can be built from its index alone: a
million lots are never held in memory at once.

The cast: ``orgs`` producing organisations (cooperatives, processors), each with
``products_per_org`` products of one product family and one production site, plus
one distributor and one retail chain per five producers. Each product is sold
through one distributor and one retail chain; its lots go to the chain's stores.

Identifiers are valid GS1 keys under 9-digit company prefixes in Vietnam's range
893: ``893`` + two digits derived from the seed name (never 69, which the demo
uses) + a four-digit organisation number, so the organisations of one seed never
share a prefix and two seeds with different names normally do not either. GTINs
have a 3-digit item reference, GLNs a 3-digit location reference; check digits
are computed. Provinces are the 34 in force since 1 July 2025 (Resolution
202/2025/QH15); their coordinates are approximate centres. Businesses, brands and
certificate numbers are invented.

Per lot, the events follow the goods: commissioning at the producer's site, then
(depending on ``events_per_lot``) inspecting, storing, shipping to a distribution
centre and receiving there, shipping to a store, receiving at the store and retail
selling, each an EPCIS 2.0 ObjectEvent with readPoint/bizLocation GLNs, source and
destination lists, business transactions and an ``eventTime`` in Vietnam time.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Final

from traceability.chain.record import LotKey
from traceability.demo.dataset import (
    DEMO_VOCAB_PREFIX,
    Certification,
    DemoEvent,
    DemoLocation,
    DemoLot,
    DemoOrg,
    DemoProduct,
    gln,
    gtin14,
    location_uri,
    object_event,
    party_uri,
)

VN_TIME: Final = timezone(timedelta(hours=7))
GS1_VIETNAM: Final = "893"
# The demo's company prefixes are 89369xxxx; a seed never takes that block.
DEMO_BLOCK: Final = 69
MAX_EVENTS_PER_LOT: Final = 8
MAX_PRODUCTS_PER_ORG: Final = 999  # 3-digit item reference under a 9-digit prefix
MAX_ORGANIZATIONS: Final = 9_999  # 4-digit organisation number, partners included
MAX_PRODUCERS: Final = 8_000
MAX_LOT_CODE: Final = 20
PRODUCERS_PER_PARTNER: Final = 5
STORES_PER_RETAILER: Final = 4
CENTRES_PER_DISTRIBUTOR: Final = 2
SEASON_START: Final = date(2026, 1, 5)
SEASON_DAYS: Final = 180
CERTIFICATE_BASE: Final = "https://chungnhan.example.vn"


# --- places -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Province:
    name: str  # as in the `province` field, e.g. "Cần Thơ"
    in_address: str  # as written at the end of an address, e.g. "thành phố Cần Thơ"
    latitude: float
    longitude: float


def _city(name: str, lat: float, lon: float, written: str | None = None) -> Province:
    return Province(name, written or f"thành phố {name}", lat, lon)


def _province(name: str, lat: float, lon: float) -> Province:
    return Province(name, f"tỉnh {name}", lat, lon)


PROVINCES: Final[dict[str, Province]] = {
    p.name: p
    for p in (
        _city("Hà Nội", 21.0285, 105.8542, "Hà Nội"),
        _city("Huế", 16.4637, 107.5909),
        _city("Hải Phòng", 20.8449, 106.6881),
        _city("Đà Nẵng", 16.0544, 108.2022),
        _city("Thành phố Hồ Chí Minh", 10.7769, 106.7009, "Thành phố Hồ Chí Minh"),
        _city("Cần Thơ", 10.0452, 105.7469),
        _province("Tuyên Quang", 21.8230, 105.2140),
        _province("Cao Bằng", 22.6657, 106.2579),
        _province("Lai Châu", 22.3862, 103.4703),
        _province("Lào Cai", 21.7229, 104.9113),
        _province("Thái Nguyên", 21.5942, 105.8482),
        _province("Điện Biên", 21.3860, 103.0230),
        _province("Lạng Sơn", 21.8537, 106.7615),
        _province("Sơn La", 21.3270, 103.9141),
        _province("Phú Thọ", 21.3220, 105.4020),
        _province("Bắc Ninh", 21.2731, 106.1946),
        _province("Quảng Ninh", 20.9590, 107.0448),
        _province("Hưng Yên", 20.4500, 106.3400),
        _province("Ninh Bình", 20.2506, 105.9745),
        _province("Thanh Hóa", 19.8067, 105.7852),
        _province("Nghệ An", 18.6796, 105.6813),
        _province("Hà Tĩnh", 18.3428, 105.9057),
        _province("Quảng Trị", 17.4690, 106.6222),
        _province("Quảng Ngãi", 15.1214, 108.8044),
        _province("Gia Lai", 13.7830, 109.2197),
        _province("Khánh Hòa", 12.2388, 109.1967),
        _province("Lâm Đồng", 11.9404, 108.4583),
        _province("Đắk Lắk", 12.6667, 108.0500),
        _province("Đồng Nai", 10.9574, 106.8427),
        _province("Tây Ninh", 10.5359, 106.4137),
        _province("Vĩnh Long", 10.2537, 105.9722),
        _province("Đồng Tháp", 10.3600, 106.3600),
        _province("Cà Mau", 9.1769, 105.1524),
        _province("An Giang", 10.0125, 105.0809),
    )
}
HUBS: Final = ("Thành phố Hồ Chí Minh", "Hà Nội", "Đà Nẵng", "Cần Thơ", "Hải Phòng")
STORE_PROVINCES: Final = (
    "Thành phố Hồ Chí Minh",
    "Hà Nội",
    "Đà Nẵng",
    "Cần Thơ",
    "Hải Phòng",
    "Huế",
    "Khánh Hòa",
    "Đồng Nai",
    "Bắc Ninh",
    "Quảng Ninh",
    "Nghệ An",
    "Lâm Đồng",
)
NAME_WORDS: Final = (
    "Hưng Thịnh",
    "Phú Quý",
    "An Phát",
    "Thành Đạt",
    "Minh Long",
    "Sao Mai",
    "Hoàng Gia",
    "Tân Tiến",
    "Phúc Lộc",
    "Đại Phong",
    "Bình Minh",
    "Trường Sơn",
    "Hồng Hà",
    "Cửu Long",
    "Việt Xanh",
    "Nam Phong",
    "Thiên Ân",
    "Kim Ngân",
    "Phương Đông",
    "Hòa Bình",
    "Đồng Xanh",
    "Lộc Phát",
    "Mê Kông",
    "Tây Nguyên Xanh",
    "Sông Hồng",
    "Ánh Dương",
    "Thuận Phát",
    "Vạn Xuân",
    "Nhật Tân",
    "Quê Hương",
)
COMMUNES: Final = (
    "An Phú",
    "Tân Hòa",
    "Phú Mỹ",
    "Bình An",
    "Hòa Bình",
    "Tân Thạnh",
    "Long Hưng",
    "Mỹ Phước",
    "Thạnh Lợi",
    "Vĩnh Hòa",
    "Phước Lộc",
    "Đông Hưng",
)
STREETS: Final = (
    "Lê Lợi",
    "Trần Hưng Đạo",
    "Nguyễn Huệ",
    "Hai Bà Trưng",
    "Lý Thường Kiệt",
    "Nguyễn Trãi",
    "Quang Trung",
    "Hùng Vương",
    "Phan Chu Trinh",
    "Điện Biên Phủ",
)


# --- product families ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Family:
    """A kind of product a producer makes, with what is typical of it."""

    key: str  # also the image file name
    tag: str  # lot-code prefix
    name: str
    name_en: str
    trade: str  # the trade in the producer's name
    category: str
    description: str
    variants: tuple[tuple[str, str], ...]  # (Vietnamese, English) pack sizes
    unit: str  # UN/ECE rec 20: H87 pieces, KGM kilograms
    lot_size: tuple[int, int]
    shelf_life_days: int
    standards: tuple[str, ...]
    certificate: tuple[str, str]  # scheme, issuer
    provinces: tuple[str, ...]
    forms: tuple[str, ...]  # legal forms of the producers
    site: str  # what the production site is


FAMILIES: Final[tuple[Family, ...]] = (
    Family(
        "gao-st25",
        "ST",
        "Gạo ST25",
        "ST25 fragrant rice",
        "Lúa gạo",
        "Lương thực – gạo",
        "Gạo thơm ST25 hạt dài, cơm dẻo, thơm mùi lá dứa; bảo quản nơi khô ráo, thoáng mát.",
        (("túi 2 kg", "2 kg bag"), ("túi 5 kg", "5 kg bag"), ("bao 25 kg", "25 kg sack")),
        "H87",
        (400, 2400),
        365,
        ("TCVN 11888:2017", "VietGAP", "HACCP"),
        ("VietGAP", "Công ty Chứng nhận Nông sản Phương Nam"),
        ("Cần Thơ", "An Giang", "Đồng Tháp", "Vĩnh Long", "Cà Mau"),
        ("Hợp tác xã Nông nghiệp", "Công ty TNHH"),
        "Nhà máy xay xát và đóng gói",
    ),
    Family(
        "ca-phe-rang-xay",
        "CF",
        "Cà phê Robusta rang xay",
        "Ground roasted Robusta coffee",
        "Cà phê",
        "Đồ uống – cà phê",
        "Cà phê Robusta chế biến ướt, rang mộc, xay vừa; đóng gói van một chiều.",
        (("gói 250 g", "250 g pack"), ("gói 500 g", "500 g pack"), ("hạt 1 kg", "1 kg beans")),
        "H87",
        (300, 1500),
        365,
        ("TCVN 5250:2015", "HACCP"),
        ("HACCP", "Công ty Chứng nhận Chất lượng Tây Nguyên"),
        ("Đắk Lắk", "Lâm Đồng", "Gia Lai"),
        ("Công ty TNHH", "Hợp tác xã"),
        "Xưởng rang xay cà phê",
    ),
    Family(
        "hat-dieu",
        "HD",
        "Hạt điều rang muối",
        "Salted roasted cashews",
        "Điều",
        "Hạt – điều",
        "Hạt điều W320 rang muối còn vỏ lụa, đóng hũ kín.",
        (("hũ 250 g", "250 g jar"), ("hũ 500 g", "500 g jar")),
        "H87",
        (500, 3000),
        270,
        ("TCVN 4850:2010", "HACCP"),
        ("HACCP", "Trung tâm Kỹ thuật Tiêu chuẩn Đo lường Chất lượng 3"),
        ("Đồng Nai", "Tây Ninh", "Lâm Đồng"),
        ("Công ty Cổ phần", "Công ty TNHH"),
        "Nhà máy chế biến điều",
    ),
    Family(
        "ho-tieu",
        "HT",
        "Hồ tiêu đen",
        "Black pepper",
        "Hồ tiêu",
        "Gia vị – hồ tiêu",
        "Tiêu đen nguyên hạt phơi khô, sàng lọc 550 g/l.",
        (("gói 100 g", "100 g pack"), ("gói 500 g", "500 g pack")),
        "H87",
        (400, 2000),
        730,
        ("TCVN 7036:2008", "VietGAP"),
        ("VietGAP", "Trung tâm Chứng nhận Tây Nguyên"),
        ("Gia Lai", "Đắk Lắk", "Đồng Nai"),
        ("Hợp tác xã", "Công ty TNHH"),
        "Vườn tiêu và xưởng sơ chế",
    ),
    Family(
        "che-xanh",
        "CHE",
        "Chè xanh Thái Nguyên",
        "Thái Nguyên green tea",
        "Chè",
        "Đồ uống – chè",
        "Chè búp sao suốt thủ công, nước xanh, vị chát dịu, hậu ngọt.",
        (("hộp 100 g", "100 g box"), ("hộp 200 g", "200 g box"), ("túi 500 g", "500 g bag")),
        "H87",
        (200, 1200),
        540,
        ("TCVN 7975:2008", "VietGAP"),
        ("VietGAP", "Trung tâm Chứng nhận Phù hợp Việt Bắc"),
        ("Thái Nguyên", "Phú Thọ", "Tuyên Quang"),
        ("Hợp tác xã", "Công ty TNHH"),
        "Đồi chè và xưởng sao chè",
    ),
    Family(
        "xoai-cat",
        "XC",
        "Xoài cát Hòa Lộc",
        "Hòa Lộc mango",
        "Trái cây",
        "Trái cây – xoài",
        "Xoài cát Hòa Lộc bao trái, thu hoạch đúng độ chín, đóng thùng thông gió.",
        (("thùng 5 kg", "5 kg box"), ("thùng 10 kg", "10 kg box")),
        "KGM",
        (800, 6000),
        14,
        ("VietGAP", "GlobalG.A.P."),
        ("VietGAP", "Công ty Chứng nhận Nông sản Phương Nam"),
        ("Đồng Tháp", "Vĩnh Long", "Tây Ninh"),
        ("Hợp tác xã", "Tổ hợp tác"),
        "Vườn xoài và nhà sơ chế",
    ),
    Family(
        "thanh-long",
        "TL",
        "Thanh long ruột đỏ",
        "Red-flesh dragon fruit",
        "Trái cây",
        "Trái cây – thanh long",
        "Thanh long ruột đỏ trồng theo VietGAP, xử lý hơi nước nóng trước khi đóng thùng.",
        (("thùng 10 kg", "10 kg box"), ("thùng 18 kg", "18 kg box")),
        "KGM",
        (2000, 12000),
        21,
        ("VietGAP", "GlobalG.A.P."),
        ("GlobalG.A.P.", "Tổ chức chứng nhận quốc tế được GlobalG.A.P. công nhận"),
        ("Lâm Đồng", "Tây Ninh"),
        ("Hợp tác xã", "Công ty TNHH"),
        "Vườn thanh long và kho lạnh",
    ),
    Family(
        "sau-rieng",
        "SR",
        "Sầu riêng Ri6",
        "Ri6 durian",
        "Trái cây",
        "Trái cây – sầu riêng",
        "Sầu riêng Ri6 cơm vàng, hạt lép; mã số vùng trồng được cấp.",
        (("thùng 12 kg", "12 kg box"),),
        "KGM",
        (1500, 9000),
        10,
        ("VietGAP",),
        ("VietGAP", "Công ty Chứng nhận Nông sản Phương Nam"),
        ("Vĩnh Long", "Đồng Tháp", "Đắk Lắk"),
        ("Hợp tác xã", "Công ty TNHH"),
        "Vườn sầu riêng và nhà đóng gói",
    ),
    Family(
        "vai-thieu",
        "VT",
        "Vải thiều Lục Ngạn",
        "Lục Ngạn lychee",
        "Trái cây",
        "Trái cây – vải",
        "Vải thiều chín cây, cắt cành, làm lạnh nhanh và đóng thùng xốp.",
        (("thùng 10 kg", "10 kg box"),),
        "KGM",
        (1000, 8000),
        7,
        ("VietGAP", "Chỉ dẫn địa lý Lục Ngạn"),
        ("VietGAP", "Trung tâm Chứng nhận Phù hợp Việt Bắc"),
        ("Bắc Ninh",),
        ("Hợp tác xã",),
        "Vùng trồng vải",
    ),
    Family(
        "ca-tra-phi-le",
        "IQF",
        "Cá tra phi lê đông lạnh IQF",
        "Frozen pangasius fillets IQF",
        "Thủy sản",
        "Thủy sản – cá tra",
        "Phi lê cá tra thịt trắng cấp đông IQF, mạ băng 10%. Bảo quản ở −18 °C hoặc thấp hơn.",
        (("túi 1 kg", "1 kg bag"), ("thùng 10 kg", "10 kg carton")),
        "H87",
        (500, 2500),
        730,
        ("TCVN 8338:2010", "HACCP", "ASC"),
        ("ASC", "Tổ chức chứng nhận quốc tế được ASC công nhận"),
        ("Đồng Tháp", "An Giang", "Cần Thơ"),
        ("Công ty Cổ phần", "Công ty TNHH"),
        "Nhà máy chế biến thủy sản",
    ),
    Family(
        "tom-the",
        "TOM",
        "Tôm thẻ chân trắng đông lạnh",
        "Frozen whiteleg shrimp",
        "Thủy sản",
        "Thủy sản – tôm",
        "Tôm thẻ nguyên con cấp đông block, cỡ 41/50 con/kg.",
        (("hộp 1 kg", "1 kg box"), ("thùng 10 kg", "10 kg carton")),
        "H87",
        (400, 2000),
        540,
        ("HACCP", "BAP"),
        ("BAP", "Tổ chức chứng nhận quốc tế được BAP công nhận"),
        ("Cà Mau", "Cần Thơ"),
        ("Công ty Cổ phần", "Hợp tác xã"),
        "Nhà máy chế biến tôm",
    ),
    Family(
        "nuoc-mam",
        "NM",
        "Nước mắm cá cơm",
        "Anchovy fish sauce",
        "Nước mắm",
        "Gia vị – nước mắm",
        "Nước mắm cốt ủ chượp 12 tháng trong thùng gỗ, độ đạm 40°N.",
        (("chai 500 ml", "500 ml bottle"), ("chai 750 ml", "750 ml bottle")),
        "H87",
        (600, 4000),
        730,
        ("TCVN 5107:2018", "HACCP"),
        ("HACCP", "Trung tâm Kỹ thuật Tiêu chuẩn Đo lường Chất lượng 3"),
        ("An Giang", "Khánh Hòa"),
        ("Công ty TNHH", "Cơ sở sản xuất"),
        "Nhà thùng ủ chượp",
    ),
    Family(
        "mat-ong",
        "MO",
        "Mật ong hoa cà phê",
        "Coffee-blossom honey",
        "Mật ong",
        "Thực phẩm – mật ong",
        "Mật ong hoa cà phê quay ly tâm, lọc lạnh, độ ẩm dưới 20%.",
        (("chai 500 ml", "500 ml bottle"), ("hũ 1 kg", "1 kg jar")),
        "H87",
        (300, 1500),
        730,
        ("TCVN 5267-1:2008", "VietGAP"),
        ("VietGAP", "Trung tâm Chứng nhận Tây Nguyên"),
        ("Đắk Lắk", "Gia Lai"),
        ("Hợp tác xã", "Công ty TNHH"),
        "Trại ong và xưởng lọc mật",
    ),
    Family(
        "buoi-da-xanh",
        "BDX",
        "Bưởi da xanh",
        "Green-skin pomelo",
        "Trái cây",
        "Trái cây – bưởi",
        "Bưởi da xanh ruột hồng, múi ráo, vỏ mỏng; dán tem truy xuất từng trái.",
        (("trái 1,5 kg", "1.5 kg fruit"), ("thùng 10 kg", "10 kg box")),
        "KGM",
        (1000, 7000),
        30,
        ("VietGAP",),
        ("VietGAP", "Công ty Chứng nhận Nông sản Phương Nam"),
        ("Vĩnh Long",),
        ("Hợp tác xã", "Tổ hợp tác"),
        "Vườn bưởi và nhà sơ chế",
    ),
)
GRADES: Final = (
    ("", ""),
    ("loại 1", "grade 1"),
    ("hữu cơ", "organic"),
    ("xuất khẩu", "export grade"),
    ("cao cấp", "premium"),
)


# --- the specification --------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedSpec:
    """What to generate. Invalid sizes raise ValueError with a message meant for a person."""

    name: str = "synthetic"
    seed: int = 20261124
    orgs: int = 10
    products_per_org: int = 5
    lots: int = 1_000
    events_per_lot: int = 4

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("the seed name must not be empty")
        if not 1 <= self.orgs <= MAX_PRODUCERS:
            raise ValueError(f"orgs must be between 1 and {MAX_PRODUCERS:,}")
        if not 1 <= self.products_per_org <= MAX_PRODUCTS_PER_ORG:
            raise ValueError(
                f"products per organisation must be between 1 and {MAX_PRODUCTS_PER_ORG} "
                "(a 3-digit GS1 item reference)"
            )
        if self.lots < 1:
            raise ValueError("lots must be at least 1")
        if not 1 <= self.events_per_lot <= MAX_EVENTS_PER_LOT:
            raise ValueError(f"events per lot must be between 1 and {MAX_EVENTS_PER_LOT}")

    @property
    def partners(self) -> int:
        """Distributors, and also retail chains: one of each per five producers."""
        return -(-self.orgs // PRODUCERS_PER_PARTNER)

    @property
    def products(self) -> int:
        return self.orgs * self.products_per_org

    @property
    def events(self) -> int:
        return self.lots * self.events_per_lot


def name_block(name: str) -> int:
    """Two digits after 893 for a seed name: stable across runs and machines, never 69."""
    digest = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big")
    block = 10 + digest % 89
    return block if block < DEMO_BLOCK else block + 1


# --- what the plan is made of -------------------------------------------------------------------


@dataclass(frozen=True)
class _ProductPlan:
    """Who makes a product, where, and through whom its lots are sold."""

    product: DemoProduct
    family: Family
    producer: DemoOrg
    site: DemoLocation
    certification: Certification
    distributor: DemoOrg
    centre: DemoLocation
    retailer: DemoOrg
    stores: tuple[DemoLocation, ...]
    first_lot: int
    lot_count: int


@dataclass(frozen=True)
class SyntheticLot:
    index: int
    lot: DemoLot

    @property
    def key(self) -> LotKey:
        return self.lot.key


class SyntheticPlan:
    """The whole data set of one spec; lots and events are built on demand by lot index."""

    def __init__(self, spec: SeedSpec) -> None:
        self.spec = spec
        self.block = name_block(spec.name)
        producers = [self._producer(i) for i in range(spec.orgs)]
        distributors = [self._distributor(i) for i in range(spec.partners)]
        retailers = [self._retailer(i) for i in range(spec.partners)]
        self.organizations: tuple[DemoOrg, ...] = (*producers, *distributors, *retailers)
        if len(self.organizations) > MAX_ORGANIZATIONS:
            raise ValueError(f"at most {MAX_ORGANIZATIONS:,} organisations in one seed")

        sites = [self._site(i, org) for i, org in enumerate(producers)]
        centres = [
            [self._centre(i, org, c) for c in range(CENTRES_PER_DISTRIBUTOR)]
            for i, org in enumerate(distributors)
        ]
        stores = [
            tuple(self._store(i, org, s) for s in range(STORES_PER_RETAILER))
            for i, org in enumerate(retailers)
        ]
        self.locations: tuple[DemoLocation, ...] = (
            *sites,
            *(c for cs in centres for c in cs),
            *(s for ss in stores for s in ss),
        )

        base, extra = divmod(spec.lots, spec.products)
        self._base, self._extra = base, extra
        plans: list[_ProductPlan] = []
        for o, producer in enumerate(producers):
            family = self._family(o)
            certification = self._certification(o, family)
            partner = o // PRODUCERS_PER_PARTNER
            for j in range(spec.products_per_org):
                p = len(plans)
                count = base + (1 if p < extra else 0)
                plans.append(
                    _ProductPlan(
                        product=self._product(o, producer, family, j),
                        family=family,
                        producer=producer,
                        site=sites[o],
                        certification=certification,
                        distributor=distributors[partner],
                        centre=centres[partner][(o + j) % CENTRES_PER_DISTRIBUTOR],
                        retailer=retailers[partner],
                        stores=stores[partner],
                        first_lot=p * base + min(p, extra),
                        lot_count=count,
                    )
                )
        self._plans = tuple(plans)
        self.products: tuple[DemoProduct, ...] = tuple(p.product for p in plans)

    # --- organisations and places

    def prefix(self, org_number: int) -> str:
        return f"{GS1_VIETNAM}{self.block:02d}{org_number:04d}"

    def _org(self, number: int, key: str, name: str, province: Province, address: str) -> DemoOrg:
        return DemoOrg(
            key=key,
            name=name,
            role="producer",
            tax_code=f"{self.block:02d}{number + 1:08d}",
            gs1_prefix=self.prefix(number),
            address=address,
            province=province.name,
        )

    def _rng(self, *parts: object) -> random.Random:
        # A str seed is hashed with SHA-512: the same on every machine and Python run.
        return random.Random("/".join(str(p) for p in (self.spec.name, self.spec.seed, *parts)))

    def _family(self, producer: int) -> Family:
        return FAMILIES[(producer + self.spec.seed) % len(FAMILIES)]

    def _brand(self, i: int) -> str:
        return NAME_WORDS[(i // len(FAMILIES)) % len(NAME_WORDS)]

    def _trading_name(self, i: int) -> str:
        """A producer's name without its legal form and trade, e.g. "Hưng Thịnh Đắk Lắk"."""
        family = self._family(i)
        province = family.provinces[i % len(family.provinces)]
        word = self._brand(i)
        # Past one round of names, a commune keeps them apart, as real registrations do.
        rounds = i // (len(FAMILIES) * len(NAME_WORDS))
        commune = f" {COMMUNES[rounds % len(COMMUNES)]}" if rounds else ""
        series = f" {rounds // len(COMMUNES) + 1}" if rounds >= len(COMMUNES) else ""
        return f"{word}{commune}{series} {province}"

    def _producer(self, i: int) -> DemoOrg:
        family = self._family(i)
        rng = self._rng("producer", i)
        province = PROVINCES[family.provinces[i % len(family.provinces)]]
        form = family.forms[i % len(family.forms)]
        address = (
            f"Ấp {rng.randint(1, 12)}, xã {rng.choice(COMMUNES)}, {province.in_address}"
            if form.startswith(("Hợp tác xã", "Tổ hợp tác"))
            else f"Lô {rng.choice('ABCDE')}{rng.randint(1, 30)}, khu công nghiệp "
            f"{rng.choice(COMMUNES)}, {province.in_address}"
        )
        name = f"{form} {family.trade} {self._trading_name(i)}"
        return self._org(i, f"p{i}", name, province, address)

    def _distributor(self, i: int) -> DemoOrg:
        province = PROVINCES[HUBS[i % len(HUBS)]]
        word = NAME_WORDS[(i * 7 + 3) % len(NAME_WORDS)]
        suffix = f" {i // len(NAME_WORDS) + 1}" if i >= len(NAME_WORDS) else ""
        address = f"Kho số {i % 9 + 1}, khu công nghiệp {COMMUNES[i % len(COMMUNES)]}, "
        return self._org(
            self.spec.orgs + i,
            f"d{i}",
            f"Công ty Cổ phần Phân phối Nông sản {word}{suffix}",
            province,
            address + province.in_address,
        )

    def _retailer(self, i: int) -> DemoOrg:
        province = PROVINCES[HUBS[(i + 1) % len(HUBS)]]
        word = NAME_WORDS[(i * 11 + 5) % len(NAME_WORDS)]
        suffix = f" {i // len(NAME_WORDS) + 1}" if i >= len(NAME_WORDS) else ""
        street = STREETS[i % len(STREETS)]
        return self._org(
            self.spec.orgs + self.spec.partners + i,
            f"r{i}",
            f"Công ty TNHH Thương mại {word} Mart{suffix}",
            province,
            f"{i % 300 + 1} {street}, phường {COMMUNES[i % len(COMMUNES)]}, {province.in_address}",
        )

    def _location(
        self, org: DemoOrg, reference: int, name: str, address: str, province: Province
    ) -> DemoLocation:
        rng = self._rng("location", org.key, reference)
        return DemoLocation(
            org=org.key,
            gln=gln(org.prefix, f"{reference:03d}"),
            name=name,
            address=address,
            province=province.name,
            latitude=round(province.latitude + rng.uniform(-0.15, 0.15), 4),
            longitude=round(province.longitude + rng.uniform(-0.15, 0.15), 4),
        )

    def _site(self, i: int, org: DemoOrg) -> DemoLocation:
        family = self._family(i)
        province = PROVINCES[org.province]
        return self._location(
            org, 901, f"{family.site} {self._trading_name(i)}", org.address, province
        )

    def _centre(self, i: int, org: DemoOrg, c: int) -> DemoLocation:
        province = PROVINCES[HUBS[(i + c) % len(HUBS)]]
        commune = COMMUNES[(i + c) % len(COMMUNES)]
        return self._location(
            org,
            901 + c,
            f"Trung tâm phân phối {org.name.rsplit('Nông sản ', 1)[-1]} – {province.name}",
            f"Kho {c + 1}, khu công nghiệp {commune}, {province.in_address}",
            province,
        )

    def _store(self, i: int, org: DemoOrg, s: int) -> DemoLocation:
        province = PROVINCES[STORE_PROVINCES[(i + s * 3) % len(STORE_PROVINCES)]]
        street = STREETS[(i + s) % len(STREETS)]
        number = (i * 17 + s * 29) % 400 + 1
        brand = org.name.removeprefix("Công ty TNHH Thương mại ")
        return self._location(
            org,
            901 + s,
            f"Cửa hàng {brand} {street}",
            f"{number} {street}, phường {COMMUNES[(i + s) % len(COMMUNES)]}, {province.in_address}",
            province,
        )

    def _certification(self, producer: int, family: Family) -> Certification:
        scheme, issuer = family.certificate
        code = "".join(c for c in scheme if c.isalnum()).upper()
        return Certification(
            scheme=scheme,
            number=f"{code}-{self.block:02d}-{producer + 1:05d}",
            issuer=issuer,
            valid_until=date(2028, 6, 30),
        )

    def _product(self, o: int, producer: DemoOrg, family: Family, j: int) -> DemoProduct:
        pack_vi, pack_en = family.variants[j % len(family.variants)]
        grade_vi, grade_en = GRADES[(j // len(family.variants)) % len(GRADES)]
        series = j // (len(family.variants) * len(GRADES))
        name = f"{family.name} {grade_vi} {pack_vi}".replace("  ", " ")
        name_en = f"{family.name_en}, {grade_en + ', ' if grade_en else ''}{pack_en}"
        if series:
            name, name_en = f"{name} (mẫu {series + 1})", f"{name_en} (line {series + 1})"
        return DemoProduct(
            org=producer.key,
            gtin=gtin14(producer.prefix, f"{j + 1:03d}"),
            name=name,
            name_en=name_en,
            brand=f"{family.trade} {self._brand(o)}",
            category=family.category,
            description=family.description,
            image_url=f"/static/demo/{family.key}.jpg",
            applied_standards=family.standards,
            shelf_life_days=family.shelf_life_days,
        )

    # --- lots

    @property
    def lot_count(self) -> int:
        return self.spec.lots

    def product_index(self, lot_index: int) -> int:
        """Which product lot ``lot_index`` is of (lots are numbered product by product)."""
        if not 0 <= lot_index < self.spec.lots:
            raise IndexError(f"lot index {lot_index} out of range")
        big = self._extra * (self._base + 1)
        if lot_index < big:
            return lot_index // (self._base + 1)
        return self._extra + (lot_index - big) // self._base

    def lot(self, index: int) -> SyntheticLot:
        plan = self._plans[self.product_index(index)]
        k = index - plan.first_lot
        family = plan.family
        rng = self._rng("lot", index)
        produced = SEASON_START + timedelta(days=k * SEASON_DAYS // plan.lot_count)
        code = f"{family.tag}{produced:%y%m%d}-{k + 1:04d}"
        return SyntheticLot(
            index,
            DemoLot(
                org=plan.producer.key,
                gtin=plan.product.gtin,
                lot_code=code,
                production_date=produced,
                expiry_date=produced + timedelta(days=family.shelf_life_days),
                quantity=float(rng.randint(*family.lot_size)),
                unit=family.unit,
                origin_gln=plan.site.gln,
                certifications=(plan.certification,),
            ),
        )

    def lots(self, start: int = 0, stop: int | None = None) -> Iterator[SyntheticLot]:
        for index in range(start, self.spec.lots if stop is None else stop):
            yield self.lot(index)

    # --- events

    def events(self, lot: SyntheticLot) -> tuple[DemoEvent, ...]:
        """The lot's events in the order they happened (and must be appended)."""
        plan = self._plans[self.product_index(lot.index)]
        rng = self._rng("events", lot.index)
        journey = JOURNEYS[self.spec.events_per_lot]
        moment = datetime.combine(lot.lot.production_date, datetime.min.time(), VN_TIME)
        moment += timedelta(hours=6, minutes=rng.randrange(0, 180))
        store = plan.stores[rng.randrange(len(plan.stores))]
        via_centre = "ship_centre" in journey
        context = _Context(self, plan, lot, store, via_centre, rng)
        gaps = FRESH_GAPS_HOURS if plan.family.shelf_life_days <= FRESH_DAYS else GAPS_HOURS
        events = []
        for step_number, step in enumerate(journey):
            if step_number:
                low, high = gaps[step]
                moment += timedelta(minutes=rng.randrange(low * 60, high * 60))
            events.append(STEPS[step](context, step_number, moment))
        return tuple(events)


# --- event steps --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    plan: SyntheticPlan
    product: _ProductPlan
    lot: SyntheticLot
    store: DemoLocation
    via_centre: bool
    rng: random.Random

    def name(self, step: int) -> str:
        spec = self.plan.spec
        return f"synthetic/{spec.name}/{spec.seed}/{self.lot.key.gtin}/{self.lot.key.lot}/{step}"

    @property
    def quantity(self) -> tuple[str, str, float, str]:
        lot = self.lot.lot
        return (lot.gtin, lot.lot_code, lot.quantity, lot.unit)

    def part(self, share: float) -> tuple[str, str, float, str]:
        lot = self.lot.lot
        amount = max(1.0, float(round(lot.quantity * share)))
        return (lot.gtin, lot.lot_code, amount, lot.unit)

    def number(self, kind: str, step: int) -> str:
        return f"{kind}-{self.lot.lot.production_date:%y%m}-{self.lot.index:07d}-{step}"


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M}"


def _transactions(owner: DemoOrg, **numbers: str) -> list[dict[str, str]]:
    return [
        {"type": kind, "bizTransaction": f"urn:epcglobal:cbv:bt:{owner.party_gln}:{number}"}
        for kind, number in numbers.items()
    ]


def _moves(source: DemoOrg, source_gln: str, target: DemoOrg, target_gln: str) -> dict[str, Any]:
    return {
        "sourceList": [
            {"type": "owning_party", "source": party_uri(source.party_gln)},
            {"type": "location", "source": location_uri(source_gln)},
        ],
        "destinationList": [
            {"type": "owning_party", "destination": party_uri(target.party_gln)},
            {"type": "location", "destination": location_uri(target_gln)},
        ],
    }


def _tx(**fields: Any) -> dict[str, Any]:
    return {f"{DEMO_VOCAB_PREFIX}:{name}": value for name, value in fields.items()}


def _commission(c: _Context, step: int, moment: datetime) -> DemoEvent:
    lot, product = c.lot.lot, c.product
    return object_event(
        c.name(step),
        product.producer.key,
        _when(moment),
        action="ADD",
        biz_step="commissioning",
        disposition="active",
        at=product.site.gln,
        quantities=[c.quantity],
        certificationInfo=f"{CERTIFICATE_BASE}/{product.certification.number}",
        ilmd={
            "cbvmda:bestBeforeDate": f"{lot.expiry_date:%Y-%m-%d}",
            "cbvmda:countryOfOrigin": "VN",
        }
        | _tx(productionLine=f"Dây chuyền {c.rng.randint(1, 4)}", shift=c.rng.choice("ABC")),
    )


def _inspect(c: _Context, step: int, moment: datetime) -> DemoEvent:
    return object_event(
        c.name(step),
        c.product.producer.key,
        _when(moment),
        action="OBSERVE",
        biz_step="inspecting",
        disposition="conformant",
        at=c.product.site.gln,
        quantities=[c.part(0.001)],
        **_tx(check="Kiểm tra chất lượng xuất xưởng: cảm quan, khối lượng tịnh, nhãn. Đạt."),
    )


def _store(c: _Context, step: int, moment: datetime) -> DemoEvent:
    return object_event(
        c.name(step),
        c.product.producer.key,
        _when(moment),
        action="OBSERVE",
        biz_step="storing",
        disposition="sellable_not_accessible",
        at=c.product.site.gln,
        quantities=[c.quantity],
    )


def _ship_centre(c: _Context, step: int, moment: datetime) -> DemoEvent:
    p = c.product
    return object_event(
        c.name(step),
        p.producer.key,
        _when(moment),
        action="OBSERVE",
        biz_step="shipping",
        disposition="in_transit",
        at=p.site.gln,
        quantities=[c.quantity],
        bizTransactionList=_transactions(p.producer, desadv=c.number("PX", step)),
        **_moves(p.producer, p.site.gln, p.distributor, p.centre.gln),
    )


def _receive_centre(c: _Context, step: int, moment: datetime) -> DemoEvent:
    p = c.product
    return object_event(
        c.name(step),
        p.distributor.key,
        _when(moment),
        action="OBSERVE",
        biz_step="receiving",
        disposition="in_progress",
        at=p.centre.gln,
        quantities=[c.quantity],
        bizTransactionList=_transactions(p.distributor, po=c.number("PO", step)),
        **_moves(p.producer, p.site.gln, p.distributor, p.centre.gln),
    )


def _origin(c: _Context) -> tuple[DemoOrg, DemoLocation]:
    p = c.product
    return (p.distributor, p.centre) if c.via_centre else (p.producer, p.site)


def _ship_store(c: _Context, step: int, moment: datetime) -> DemoEvent:
    sender, place = _origin(c)
    p = c.product
    return object_event(
        c.name(step),
        sender.key,
        _when(moment),
        action="OBSERVE",
        biz_step="shipping",
        disposition="in_transit",
        at=place.gln,
        quantities=[c.part(0.4)],
        bizTransactionList=_transactions(
            sender, inv=c.number("HD", step), desadv=c.number("PX", step)
        ),
        **_moves(sender, place.gln, p.retailer, c.store.gln),
    )


def _receive_store(c: _Context, step: int, moment: datetime) -> DemoEvent:
    sender, place = _origin(c)
    p = c.product
    return object_event(
        c.name(step),
        p.retailer.key,
        _when(moment),
        action="OBSERVE",
        biz_step="receiving",
        disposition="sellable_accessible",
        at=c.store.gln,
        quantities=[c.part(0.4)],
        bizTransactionList=_transactions(p.retailer, po=c.number("PO", step)),
        **_moves(sender, place.gln, p.retailer, c.store.gln),
    )


def _sell(c: _Context, step: int, moment: datetime) -> DemoEvent:
    return object_event(
        c.name(step),
        c.product.retailer.key,
        _when(moment),
        action="OBSERVE",
        biz_step="retail_selling",
        disposition="retail_sold",
        at=c.store.gln,
        quantities=[c.part(0.05)],
    )


STEPS: Final[dict[str, Callable[[_Context, int, datetime], DemoEvent]]] = {
    "commission": _commission,
    "inspect": _inspect,
    "store": _store,
    "ship_centre": _ship_centre,
    "receive_centre": _receive_centre,
    "ship_store": _ship_store,
    "receive_store": _receive_store,
    "sell": _sell,
}
# How long after the previous step each one happens, in hours (low, high). Fresh produce
# (shelf life up to FRESH_DAYS) moves fast enough to be sold before it expires.
FRESH_DAYS: Final = 30
FRESH_GAPS_HOURS: Final[dict[str, tuple[int, int]]] = {
    "inspect": (1, 4),
    "store": (1, 3),
    "ship_centre": (4, 18),
    "receive_centre": (4, 20),
    "ship_store": (6, 24),
    "receive_store": (3, 12),
    "sell": (4, 48),
}
GAPS_HOURS: Final[dict[str, tuple[int, int]]] = {
    "inspect": (2, 6),
    "store": (1, 4),
    "ship_centre": (24, 72),
    "receive_centre": (6, 30),
    "ship_store": (24, 96),
    "receive_store": (4, 24),
    "sell": (24, 240),
}
# The journey of a lot with n events: fewer events leave out the middle of the chain.
JOURNEYS: Final[dict[int, tuple[str, ...]]] = {
    1: ("commission",),
    2: ("commission", "ship_store"),
    3: ("commission", "ship_store", "receive_store"),
    4: ("commission", "ship_store", "receive_store", "sell"),
    5: ("commission", "inspect", "ship_store", "receive_store", "sell"),
    6: ("commission", "inspect", "store", "ship_store", "receive_store", "sell"),
    7: (
        "commission",
        "inspect",
        "ship_centre",
        "receive_centre",
        "ship_store",
        "receive_store",
        "sell",
    ),
    8: (
        "commission",
        "inspect",
        "store",
        "ship_centre",
        "receive_centre",
        "ship_store",
        "receive_store",
        "sell",
    ),
}
