"""Delivery quotes for checkout: the price and days from the delivery port, or "the manager will
calculate delivery" when no provider is configured or it fails — checkout never stops on it.

A provider failure alerts owner and admins through the outbox (at most one alert per hour).
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel
from sqlmodel import Session

from integrations.ports.delivery import (
    TARIFF_COURIER, TARIFF_PICKUP_POINT, DeliveryPoint, DeliveryPort, Location, Package, TariffRequest,
)
from integrations.http import IntegrationError
from smo_app.i18n import t
from smo_app.models.base import utcnow
from smo_app.services.core.errors import DomainError
from smo_app.services.delivery.parcel import Parcel, parcel_for
from smo_app.services.messaging.outbox import enqueue_staff_alert

log = logging.getLogger(__name__)


class DeliveryKind(StrEnum):
    pickup_point = "pickup_point"  # CDEK tariff 136
    courier = "courier"  # CDEK tariff 137


TARIFF_BY_KIND = {DeliveryKind.pickup_point: TARIFF_PICKUP_POINT, DeliveryKind.courier: TARIFF_COURIER}


class DeliveryQuote(BaseModel):
    status: Literal["quoted", "manager"]  # "manager": the manager will calculate delivery
    kind: DeliveryKind
    tariff_code: int
    price_minor: int | None = None
    period_min: int | None = None
    period_max: int | None = None
    weight_g: int
    box: str
    reason: str | None = None  # why "manager": not_configured | provider_failed | rejected


def quote_delivery(
    session: Session,
    *,
    port: DeliveryPort | None,
    lines: Iterable[tuple[int, int]],
    kind: DeliveryKind | str,
    from_city_code: int,
    to_city_code: int | None = None,
    to_address: str | None = None,
    now: datetime | None = None,
) -> DeliveryQuote:
    """Quote delivery of ``lines`` ((variant weight g, qty)) to a city code or a free-text address.

    Raises ``delivery.destination_required`` / ``delivery.empty_parcel`` for bad input; never raises
    for a provider problem: the answer is ``status="manager"``. Commits only when it alerts staff.
    """
    kind = DeliveryKind(kind)
    address = (to_address or "").strip()[:255] or None
    if to_city_code is None and address is None:
        raise DomainError("delivery.destination_required", "a city or an address is required")
    try:
        parcel = parcel_for(lines)
    except ValueError as exc:
        raise DomainError("delivery.empty_parcel", str(exc)) from exc
    tariff = TARIFF_BY_KIND[kind]
    if port is None:
        return _manager(kind, tariff, parcel, "not_configured")
    request = TariffRequest(
        tariff_code=tariff,
        from_location=Location(code=from_city_code),
        to_location=Location(code=to_city_code, address=address),
        packages=[Package(weight=parcel.weight_g, length=parcel.box.length_cm, width=parcel.box.width_cm,
                          height=parcel.box.height_cm)],
    )
    try:
        quote = port.calculate_tariff(request)
    except IntegrationError as exc:
        log.warning("delivery quote failed: %r", exc)
        retryable = exc.retryable
        if retryable or exc.code in ("integration.auth", "integration.protocol"):
            _alert(session, provider=getattr(port, "provider", "delivery"), error=exc, now=now or utcnow())
        return _manager(kind, tariff, parcel, "provider_failed" if retryable else "rejected")
    return DeliveryQuote(status="quoted", kind=kind, tariff_code=tariff, price_minor=quote.total_minor,
                         period_min=quote.period_min, period_max=quote.period_max,
                         weight_g=parcel.weight_g, box=parcel.box.name)


def pickup_points(port: DeliveryPort | None, *, city_code: int) -> list[DeliveryPoint]:
    """Pickup points of a city; an empty list when the provider is off or failing (the customer
    then types the address and the manager picks the point)."""
    if port is None:
        return []
    try:
        return port.delivery_points(city_code=city_code, type="PVZ")
    except IntegrationError as exc:
        log.warning("delivery points failed: %r", exc)
        return []


def _manager(kind: DeliveryKind, tariff: int, parcel: Parcel, reason: str) -> DeliveryQuote:
    return DeliveryQuote(status="manager", kind=kind, tariff_code=tariff, weight_g=parcel.weight_g,
                         box=parcel.box.name, reason=reason)


def _alert(session: Session, *, provider: str, error: IntegrationError, now: datetime) -> None:
    enqueue_staff_alert(session, kind="delivery_quote_failed",
                        text=lambda lang: t("delivery.alert_quote_failed", lang, provider=provider, error=error.code),
                        dedupe_key=f"delivery-quote-failed:{provider}:{now:%Y%m%d%H}")
    session.commit()
