"""What the checkout screens show before placing (ST5, IN1, IN2): the cart priced with the chosen
delivery, certificate and bonuses, a delivery quote for the cart's parcel, the nearest pickup
points, and address suggestions. All read-only; placing is ``sales.checkout.place_order``.
"""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlmodel import Session, select

from integrations.ports.delivery import DeliveryPort
from integrations.ports.address import AddressPort
from smo_app.models.carts import Cart, CartItem
from smo_app.models.catalog import Variant
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError
from smo_app.services.delivery import addresses
from smo_app.services.delivery.quotes import DeliveryKind, DeliveryQuote, pickup_points, quote_delivery
from smo_app.services.sales import promotions
from smo_app.services.sales.carts import CartOut, ensure_own, get_cart

DELIVERY_TYPES = ("pickup", "courier")


class PointOut(BaseModel):
    code: str
    name: str
    address: str
    hours: str
    distance_km: float | None


class DeliveryOptionsOut(BaseModel):
    quote: DeliveryQuote
    points: list[PointOut]  # pickup: the nearest four (by distance when a location is known)


class AddressOut(BaseModel):
    value: str
    lat: float | None
    lon: float | None


def checkout_preview(session: Session, *, actor: Actor, customer_id: int, delivery_type: str = "pickup",
                     delivery_quote_minor: int = 0, bonus_minor: int = 0, certificate_code: str | None = None,
                     now: datetime | None = None) -> CartOut:
    """The cart priced as checkout will price it (certificate looked up by code: a bad code raises)."""
    ensure_own(actor, customer_id)
    if delivery_type not in DELIVERY_TYPES:
        raise DomainError("order.delivery_type_invalid", f"unknown delivery type {delivery_type}")
    cert_minor = 0
    if certificate_code and certificate_code.strip():
        cert_minor = promotions.find_certificate(session, code=certificate_code, now=now).face_minor
    return get_cart(session, actor=actor, customer_id=customer_id, delivery_type=delivery_type,
                    delivery_quote_minor=max(delivery_quote_minor, 0), bonus_minor=max(bonus_minor, 0),
                    certificate_minor=cert_minor, now=now)


def _parcel_lines(session: Session, customer_id: int) -> list[tuple[int, int]]:
    rows = session.exec(select(Variant.weight_g, CartItem.qty).join(CartItem, CartItem.variant_id == Variant.id)
                        .join(Cart, Cart.id == CartItem.cart_id).where(Cart.customer_id == customer_id)).all()
    return [(w, q) for w, q in rows]


def delivery_options(session: Session, *, actor: Actor, customer_id: int, port: DeliveryPort | None,
                     address_port: AddressPort | None, delivery_type: str, address: str = "",
                     lat: float | None = None, lon: float | None = None, from_city_code: int = 44,
                     now: datetime | None = None) -> DeliveryOptionsOut:
    """A quote for the cart's parcel (courier: to ``address``; pickup: to the shop's city) and,
    for pickup, the four nearest points to the customer's location or geocoded address. The
    provider failing gives ``status="manager"`` and no points, never an error."""
    ensure_own(actor, customer_id)
    if delivery_type not in DELIVERY_TYPES:
        raise DomainError("order.delivery_type_invalid", f"unknown delivery type {delivery_type}")
    address = " ".join((address or "").split())[:255]
    lines = _parcel_lines(session, customer_id)
    if delivery_type == "courier":
        quote = quote_delivery(session, port=port, lines=lines, kind=DeliveryKind.courier,
                               from_city_code=from_city_code, to_address=address or None, now=now)
        return DeliveryOptionsOut(quote=quote, points=[])
    quote = quote_delivery(session, port=port, lines=lines, kind=DeliveryKind.pickup_point,
                           from_city_code=from_city_code, to_city_code=from_city_code, now=now)
    points = pickup_points(port, city_code=from_city_code)
    if (lat is None or lon is None) and address:
        found = addresses.suggest_addresses(address_port, query=address, count=1)
        if found and found[0].data.geo_lat is not None:
            lat, lon = found[0].data.geo_lat, found[0].data.geo_lon
    if lat is not None and lon is not None:
        ranked = addresses.nearest_points(points, lat=lat, lon=lon, limit=4)
    else:
        ranked = [(p, None) for p in points[:4]]
    return DeliveryOptionsOut(quote=quote, points=[
        PointOut(code=p.code, name=p.name, address=p.location.address, hours=p.work_time or "",
                 distance_km=round(d, 1) if d is not None else None) for p, d in ranked])


def suggest(*, address_port: AddressPort | None, query: str, language: str | None = None) -> list[AddressOut]:
    """Address suggestions as the customer types (free text is fine without a provider)."""
    return [AddressOut(value=s.value, lat=s.data.geo_lat, lon=s.data.geo_lon)
            for s in addresses.suggest_addresses(address_port, query=query, count=5, language=language)]


def address_at(*, address_port: AddressPort | None, lat: float, lon: float) -> AddressOut | None:
    found = addresses.address_at(address_port, lat=lat, lon=lon)
    return AddressOut(value=found.value, lat=found.data.geo_lat, lon=found.data.geo_lon) if found else None
