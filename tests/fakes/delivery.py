"""A delivery port for tests (``composition.use(delivery=QuotingPort(…))``): quotes one price,
lists the given pickup points, and records what it was asked."""
from __future__ import annotations

from decimal import Decimal

from integrations.ports.delivery import DeliveryPoint, PointLocation, TariffQuote, TariffRequest


def point(code: str, name: str, address: str, *, lat: float = 55.75, lon: float = 37.61) -> DeliveryPoint:
    return DeliveryPoint(code=code, name=name, work_time="10:00–21:00",
                         location=PointLocation(city_code=44, city="Москва", latitude=lat, longitude=lon,
                                                address=address))


class QuotingPort:
    provider = "test-delivery"

    def __init__(self, price_minor: int, *, points: list[DeliveryPoint] | None = None, days: tuple[int, int] = (2, 3)):
        self.price = Decimal(price_minor) / 100
        self.points = points or []
        self.days = days
        self.asked: list[TariffRequest] = []

    def calculate_tariff(self, request: TariffRequest) -> TariffQuote:
        self.asked.append(request)
        return TariffQuote(delivery_sum=self.price, total_sum=self.price, period_min=self.days[0],
                           period_max=self.days[1])

    def delivery_points(self, *, city_code: int, type: str = "PVZ") -> list[DeliveryPoint]:  # noqa: A002 - the port's name
        return list(self.points)
