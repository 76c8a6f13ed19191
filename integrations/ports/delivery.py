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


# ---- waybills (POST /v2/orders, 202 + poll), printing and status webhooks ---------------------------

class Phone(BaseModel):
    number: str


class Contact(BaseModel):
    name: str
    phones: list[Phone] = Field(min_length=1)
    email: str | None = None


class Money(BaseModel):
    value: float = 0  # cash on delivery: 0 (paid online)


class Item(BaseModel):
    name: str
    ware_key: str  # the article code
    payment: Money = Money()
    cost: float  # declared value per unit, roubles
    weight: int  # grams per unit
    amount: int


class OrderPackage(BaseModel):
    number: str
    weight: int = Field(gt=0, description="grams")
    length: int = Field(gt=0, description="cm")
    width: int = Field(gt=0, description="cm")
    height: int = Field(gt=0, description="cm")
    items: list[Item] = []


class OrderRequest(BaseModel):
    """Body of ``POST /v2/orders`` (an online-shop order: ``type`` 1)."""

    type: int = ORDER_TYPE_ONLINE_STORE
    number: str  # our order id
    tariff_code: int
    comment: str | None = None
    from_location: Location | None = None
    delivery_point: str | None = None  # tariff 136: the pickup point's code
    to_location: Location | None = None  # tariff 137: the address
    recipient: Contact
    packages: list[OrderPackage] = Field(min_length=1)


class RequestError(BaseModel):
    model_config = ConfigDict(extra="ignore")

    code: str
    message: str = ""


class RequestState(BaseModel):
    model_config = ConfigDict(extra="ignore")

    request_uuid: str | None = None
    type: str
    state: str  # ACCEPTED | WAITING | SUCCESSFUL | INVALID
    date_time: str | None = None
    errors: list[RequestError] = []


class OrderStatusEntry(BaseModel):
    model_config = ConfigDict(extra="ignore")

    code: str
    name: str = ""
    date_time: str | None = None


class OrderEntity(BaseModel):
    model_config = ConfigDict(extra="ignore")

    uuid: str
    cdek_number: str | None = None
    number: str | None = None
    statuses: list[OrderStatusEntry] = []


class OrderInfo(BaseModel):
    """Answer of ``POST /v2/orders`` (202) and ``GET /v2/orders/{uuid}``."""

    model_config = ConfigDict(extra="ignore")

    entity: OrderEntity
    requests: list[RequestState] = []

    @property
    def create_state(self) -> str | None:
        found = [r for r in self.requests if r.type == "CREATE"]
        return found[-1].state if found else None

    @property
    def errors(self) -> list[RequestError]:
        return [e for r in self.requests for e in r.errors]


class StatusNotice(BaseModel):
    """An ``ORDER_STATUS`` webhook: ``uuid`` of the carrier's order and its new status ``code``."""

    uuid: str
    cdek_number: str | None = None
    number: str | None = None
    code: str
    status_date_time: str | None = None
    is_return: bool = False


@runtime_checkable
class WaybillPort(Protocol):
    provider: str

    def create_order(self, request: OrderRequest, *, idempotency_key: str) -> OrderInfo: ...

    def order_info(self, uuid: str) -> OrderInfo: ...

    def find_order(self, number: str) -> OrderInfo | None: ...

    def print_waybill(self, uuid: str) -> bytes:
        """The waybill PDF (``POST /v2/print/orders``, then poll until it is ready, then download)."""
        ...

    def subscribe(self, url: str) -> str:
        """``ORDER_STATUS`` webhooks to ``url`` (``POST /v2/webhooks``); returns the subscription uuid."""
        ...

    def parse_status(self, body: bytes) -> StatusNotice: ...
