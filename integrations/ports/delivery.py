"""CDEK API v2 (delivery): the port the shop's services call, with the wire types.

Field names are CDEK's own (``tariff_code``, ``from_location``, ``delivery_sum`` …), so the pydantic
models validate the real JSON both ways. Weights are grams, sizes centimetres, sums roubles as
CDEK sends them (``TariffQuote.total_minor`` gives kopecks for our integer money).
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

TARIFF_PICKUP_POINT = 136  # "Посылка склад-склад": to a CDEK pickup point
TARIFF_COURIER = 137  # "Посылка склад-дверь": courier to the door
ORDER_TYPE_ONLINE_STORE = 1


class Location(BaseModel):
    """A place: a CDEK city ``code`` or a free-text ``address`` (at least one)."""

    model_config = ConfigDict(extra="ignore")

    code: int | None = None
    postal_code: str | None = None
    city: str | None = None
    address: str | None = None


class Package(BaseModel):
    weight: int = Field(gt=0, description="grams")
    length: int | None = Field(default=None, gt=0, description="cm")
    width: int | None = Field(default=None, gt=0, description="cm")
    height: int | None = Field(default=None, gt=0, description="cm")


class TariffRequest(BaseModel):
    """Body of ``POST /v2/calculator/tariff``."""

    tariff_code: int
    from_location: Location
    to_location: Location
    packages: list[Package] = Field(min_length=1)
    type: int = ORDER_TYPE_ONLINE_STORE
    currency: int | None = None  # 1 = RUB (CDEK's default for Russian contracts)
    lang: str | None = None


class ServiceCost(BaseModel):
    model_config = ConfigDict(extra="ignore")

    code: str
    sum: Decimal


class TariffQuote(BaseModel):
    """Answer of ``POST /v2/calculator/tariff``."""

    model_config = ConfigDict(extra="ignore")

    delivery_sum: Decimal
    period_min: int
    period_max: int
    calendar_min: int | None = None
    calendar_max: int | None = None
    weight_calc: int | None = None
    services: list[ServiceCost] = []
    total_sum: Decimal
    currency: str = "RUB"

    @property
    def total_minor(self) -> int:
        return int((self.total_sum * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


class PointLocation(BaseModel):
    model_config = ConfigDict(extra="ignore")

    country_code: str | None = None
    region_code: int | None = None
    region: str | None = None
    city_code: int
    city: str
    postal_code: str | None = None
    longitude: float
    latitude: float
    address: str
    address_full: str | None = None


class DeliveryPoint(BaseModel):
    """One item of ``GET /v2/deliverypoints``."""

    model_config = ConfigDict(extra="ignore")

    code: str
    name: str
    type: str = "PVZ"  # PVZ (pickup point) | POSTAMAT
    work_time: str | None = None
    location: PointLocation
    is_handout: bool = True
    nearest_station: str | None = None
    note: str | None = None


@runtime_checkable
class DeliveryPort(Protocol):
    """What the shop asks a delivery provider. Implementations raise ``integrations.http.IntegrationError``."""

    provider: str

    def calculate_tariff(self, request: TariffRequest) -> TariffQuote: ...

    def delivery_points(self, *, city_code: int, type: str = "PVZ") -> list[DeliveryPoint]: ...
