"""Delivery quotes for checkout: the price and days from the delivery port, or "the manager will
calculate delivery" when no provider is configured or it fails — checkout never stops on it.

A provider failure alerts owner and admins through the outbox (at most one alert per hour).
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict
from sqlmodel import Session

from integrations.ports.delivery import (
    TARIFF_COURIER, TARIFF_PICKUP_POINT, DeliveryPoint, DeliveryPort, Location, Package, TariffQuote, TariffRequest,
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
    model_config = ConfigDict(frozen=True)  # a kept quote is handed to every checkout that asks again

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
    before_asking: Callable[[], None] | None = None,
) -> DeliveryQuote:
    """Quote delivery of ``lines`` ((variant weight g, qty)) to a city code or a free-text address.

    Raises ``delivery.destination_required`` / ``delivery.empty_parcel`` for bad input; never raises
    for a provider problem: the answer is ``status="manager"``. Commits only when it alerts staff.

    The provider's answer is kept for :data:`QUOTE_TTL_S` per port and request (the checkout's
    delivery step has just asked for the same parcel, and placing the order asks again): only a
    miss asks the provider, and ``before_asking`` runs first then (the caller ends its read, so
    no lock is held while the provider answers). Failures are not kept.
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
    box = parcel.box

    def request() -> TariffRequest:
        return TariffRequest(
            tariff_code=tariff,
            from_location=Location(code=from_city_code),
            to_location=Location(code=to_city_code, address=address),
            packages=[Package(weight=parcel.weight_g, length=box.length_cm, width=box.width_cm, height=box.height_cm)],
        )

    key = (id(port), tariff, from_city_code, to_city_code, address, parcel.weight_g, box.length_cm, box.width_cm,
           box.height_cm)

    def answer(quote: TariffQuote) -> DeliveryQuote:
        return DeliveryQuote(status="quoted", kind=kind, tariff_code=tariff, price_minor=quote.total_minor,
                             period_min=quote.period_min, period_max=quote.period_max,
                             weight_g=parcel.weight_g, box=box.name)

    try:
        return _tariff(port, key, request, answer, before_asking)
    except IntegrationError as exc:
        log.warning("delivery quote failed: %r", exc)
        retryable = exc.retryable
        if retryable or exc.code in ("integration.auth", "integration.protocol"):
            _alert(session, provider=getattr(port, "provider", "delivery"), error=exc, now=now or utcnow())
        return _manager(kind, tariff, parcel, "provider_failed" if retryable else "rejected")


QUOTE_TTL_S = 300.0  # a tariff changes with the provider's price list, not from one minute to the next
_QUOTES_MAX = 1024
_quotes: dict[tuple, tuple[float, DeliveryPort, DeliveryQuote]] = {}
_quotes_lock = threading.Lock()


def _tariff(port: DeliveryPort, key: tuple, request: Callable[[], TariffRequest],
            answer: Callable[[TariffQuote], DeliveryQuote], before_asking: Callable[[], None] | None
            ) -> DeliveryQuote:
    """The provider's quote for ``request`` (``key``: the port's id and the request's fields, which
    decide everything of the answer but the provider's figures) as ``answer`` makes it, from the
    short-lived cache when ``port`` gave it lately."""
    now = time.monotonic()
    kept = _quotes.get(key)
    if kept is not None and kept[1] is port and kept[0] > now:
        return kept[2]
    if before_asking is not None:
        before_asking()
    quote = answer(port.calculate_tariff(request()))
    with _quotes_lock:
        if len(_quotes) >= _QUOTES_MAX:
            for old in [k for k, (until, _, _) in _quotes.items() if until <= now] or list(_quotes)[:_QUOTES_MAX // 2]:
                _quotes.pop(old, None)
        _quotes[key] = (now + QUOTE_TTL_S, port, quote)
    return quote


def forget_quotes() -> None:
    """Drop every kept quote (the provider's prices changed, or a test swaps the provider)."""
    with _quotes_lock:
        _quotes.clear()


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
