"""Where synthetic supply chains happen: provinces, hubs, store towns, names and streets.

Provinces are the 34 in force since 1 July 2025 (Resolution 202/2025/QH15); their
coordinates are approximate centres.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


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
