"""What the checkout screens show before placing (ST5, IN1, IN2): the cart priced with the chosen
delivery, certificate and bonuses, a delivery quote for the cart's parcel, the nearest pickup
points, and address suggestions; and the steps' checks of the customer's choices — what a contact
is (a name; a phone of 10–15 digits, written with "+", spaces, brackets or dashes) and what a
delivery needs — which placing applies again.

Quotes, points and addresses come from the ports the composition root provides
(``ports.delivery()``, ``ports.address()``); the page sends only the customer's choices. Placing
is ``sales.checkout.place_order``, which quotes again through :func:`order_delivery`.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial

from pydantic import BaseModel
from sqlalchemy import bindparam, select
from sqlmodel import Session

from integrations.ports.delivery import DeliveryPoint
from smo_app.models.carts import Cart, CartItem
from smo_app.models.catalog import Variant
from smo_app.services.core import ports
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, ValidationFailed
from smo_app.services.delivery import addresses
from smo_app.services.delivery.quotes import DeliveryKind, DeliveryQuote, pickup_points, quote_delivery
from smo_app.services.sales import promotions
from smo_app.services.sales.carts import CartOut, ensure_own, get_cart
from smo_app.settings import get_settings

DELIVERY_TYPES = ("pickup", "courier")
PHONE_CHARS = frozenset("+0123456789 ()-")
PHONE_DIGITS = (10, 15)
MAX_NAME, MAX_PHONE = 128, 32
NEAREST_POINTS = 4
MAX_ADDRESS = 255
MAX_ORDER_ADDRESS = 500


class PointOut(BaseModel):
    code: str
    name: str
    address: str
    hours: str
    distance_km: float | None


class DeliveryOptionsOut(BaseModel):
    quote: DeliveryQuote
    points: list[PointOut]  # pickup: the nearest four (by distance when a location is known)


class OrderDeliveryOut(BaseModel):
    """The delivery an order gets: the provider's quote and the address the order carries."""

    delivery_type: str
    quote: DeliveryQuote
    address: str  # a pickup point as "name (code): address", else the address as typed

    @property
    def price_minor(self) -> int:
        """The quoted price; 0 while the manager is to calculate it."""
        return self.quote.price_minor or 0 if self.quote.status == "quoted" else 0

    @property
    def by_manager(self) -> bool:
        return self.quote.status != "quoted"


class ContactOut(BaseModel):
    contact_name: str
    phone: str


class AddressOut(BaseModel):
    value: str
    lat: float | None
    lon: float | None


def clean_contact(contact_name: str, phone: str, *, required: bool = True) -> ContactOut:
    """The name with its spaces tidied and the phone as written, or ``checkout.name_required`` /
    ``checkout.phone_invalid`` (``field`` names the form field). ``required=False``: an empty name or
    phone passes (placing falls back to what the shop knows), a written phone is still checked."""
    name = " ".join(str(contact_name or "").split())[:MAX_NAME]
    phone = str(phone or "").strip()[:MAX_PHONE]
    if required and not name:
        raise ValidationFailed("checkout.name_required", "a contact name is required", field="contact_name")
    if phone or required:
        digits = sum(c.isdigit() for c in phone)
        if not PHONE_DIGITS[0] <= digits <= PHONE_DIGITS[1] or not set(phone) <= PHONE_CHARS:
            raise ValidationFailed("checkout.phone_invalid", "not a phone number", field="phone")
    return ContactOut(contact_name=name, phone=phone)


def check_contact(session: Session, *, actor: Actor, contact_name: str, phone: str) -> ContactOut:
    """The checkout's contacts step: who receives the order and how to reach them (both required)."""
    ensure_own(actor)
    return clean_contact(contact_name, phone)


def checkout_preview(session: Session, *, actor: Actor, customer_id: int | None = None, delivery_type: str = "pickup",
                     delivery_quote_minor: int = 0, bonus_minor: int = 0, certificate_code: str | None = None,
                     now: datetime | None = None) -> CartOut:
    """The cart priced as checkout will price it (certificate looked up by code: a bad code raises;
    ``certificate_rest_minor``: what of its face this order leaves unused).
    ``delivery_quote_minor`` is what :func:`delivery_options` quoted, for the display only: placing
    quotes again."""
    customer_id = ensure_own(actor, customer_id)
    _delivery_type(delivery_type)
    cert_minor = 0
    if certificate_code and certificate_code.strip():
        cert_minor = promotions.find_certificate(session, code=certificate_code, now=now).face_minor
    out = get_cart(session, actor=actor, customer_id=customer_id, delivery_type=delivery_type,
                   delivery_quote_minor=max(delivery_quote_minor, 0), bonus_minor=max(bonus_minor, 0),
                   certificate_minor=cert_minor, now=now)
    # a certificate is single use: what this order does not take of it is lost (the summary warns)
    out.certificate_rest_minor = max(cert_minor - out.pricing.certificate_minor, 0)
    return out


def _delivery_type(delivery_type: str) -> str:
    if delivery_type not in DELIVERY_TYPES:
        raise DomainError("order.delivery_type_invalid", f"unknown delivery type {delivery_type}")
    return delivery_type


_PARCEL_LINES = (select(Variant.__table__.c.weight_g, CartItem.__table__.c.qty)
                 .join(CartItem.__table__, CartItem.__table__.c.variant_id == Variant.__table__.c.id)
                 .join(Cart.__table__, Cart.__table__.c.id == CartItem.__table__.c.cart_id)
                 .where(Cart.__table__.c.customer_id == bindparam("cust")))


def _parcel_lines(session: Session, customer_id: int) -> list[tuple[int, int]]:
    """(weight, qty) of the cart's lines. The read's transaction stays open: :func:`_end_read`
    ends it before a provider is asked."""
    return [(w, q) for w, q in session.connection().execute(_PARCEL_LINES, {"cust": customer_id})]


def _end_read(session: Session) -> None:
    """End the read's transaction (unless the caller has changes pending in it), so no lock — nor
    SQLite's write lock — is held while the provider is asked."""
    if not (session.new or session.dirty or session.deleted):
        session.commit()  # nothing written: ends the read and keeps what the caller has loaded


def _from_city() -> int:
    return get_settings().cdek_from_city_code


def _quote(session: Session, lines: list[tuple[int, int]], delivery_type: str, address: str,
           now: datetime | None, before_asking: Callable[[], None] | None = None) -> DeliveryQuote:
    city = _from_city()
    end_read = before_asking or partial(_end_read, session)
    if delivery_type == "courier":
        return quote_delivery(session, port=ports.delivery(), lines=lines, kind=DeliveryKind.courier,
                              from_city_code=city, to_address=address or None, now=now, before_asking=end_read)
    return quote_delivery(session, port=ports.delivery(), lines=lines, kind=DeliveryKind.pickup_point,
                          from_city_code=city, to_city_code=city, now=now, before_asking=end_read)


def _point_out(point: DeliveryPoint, distance: float | None) -> PointOut:
    return PointOut(code=point.code, name=point.name, address=point.location.address, hours=point.work_time or "",
                    distance_km=round(distance, 1) if distance is not None else None)


def pickup_point_address(point: PointOut) -> str:
    """How an order names the pickup point the customer chose."""
    return f"{point.name} ({point.code}): {point.address}"[:MAX_ORDER_ADDRESS]


def delivery_options(session: Session, *, actor: Actor, customer_id: int | None = None, delivery_type: str,
                     address: str = "", lat: float | None = None, lon: float | None = None,
                     now: datetime | None = None) -> DeliveryOptionsOut:
    """A quote for the cart's parcel (courier: to ``address``; pickup: to the shop's city) and,
    for pickup, the four nearest points to the customer's location or geocoded address. The
    provider failing gives ``status="manager"`` and no points, never an error. (May write a staff
    alert: call it in a writing transaction.)"""
    customer_id = ensure_own(actor, customer_id)
    _delivery_type(delivery_type)
    address = " ".join((address or "").split())[:MAX_ADDRESS]
    lines = _parcel_lines(session, customer_id)
    quote = _quote(session, lines, delivery_type, address, now)
    if delivery_type == "courier":
        return DeliveryOptionsOut(quote=quote, points=[])
    _end_read(session)
    points = pickup_points(ports.delivery(), city_code=_from_city())
    if (lat is None or lon is None) and address:
        found = addresses.suggest_addresses(ports.address(), query=address, count=1)
        if found and found[0].data.geo_lat is not None:
            lat, lon = found[0].data.geo_lat, found[0].data.geo_lon
    if lat is not None and lon is not None:
        ranked = addresses.nearest_points(points, lat=lat, lon=lon, limit=NEAREST_POINTS)
    else:
        ranked = [(p, None) for p in points[:NEAREST_POINTS]]
    return DeliveryOptionsOut(quote=quote, points=[_point_out(p, d) for p, d in ranked])


def order_delivery(session: Session, *, customer_id: int, delivery_type: str, address: str = "",
                   point_code: str = "", require_point: bool = False, now: datetime | None = None,
                   lines: list[tuple[int, int]] | None = None,
                   before_asking: Callable[[], None] | None = None) -> OrderDeliveryOut:
    """The delivery of the customer's cart as it stands: quoted through the delivery port and the
    address the order carries (``cart.empty`` without one). Courier needs an address (``delivery.destination_required``); a
    pickup point must be one the provider lists (``checkout.point_unknown``), and it names the
    order's address; ``require_point``: a pickup with points listed needs one (``checkout.point_required``).
    No permission check: callers check who acts for ``customer_id``. ``lines``: the cart's
    (weight, qty) when the caller has read them; ``before_asking``: what runs before a provider is
    asked (default: the read's transaction ends)."""
    _delivery_type(delivery_type)
    address = " ".join((address or "").split())[:MAX_ADDRESS]
    point_code = (point_code or "").strip()[:64]
    lines = _parcel_lines(session, customer_id) if lines is None else lines
    if not lines:
        raise DomainError("cart.empty", "the cart is empty")
    before_asking = before_asking or partial(_end_read, session)
    if delivery_type == "courier":
        if not address:
            raise ValidationFailed("delivery.destination_required", "a courier needs an address", field="address")
        return OrderDeliveryOut(delivery_type=delivery_type, address=address,
                                quote=_quote(session, lines, "courier", address, now, before_asking))
    if point_code or require_point:
        before_asking()
        points = {p.code: p for p in pickup_points(ports.delivery(), city_code=_from_city())}
        if point_code:
            if point_code not in points:
                raise ValidationFailed("checkout.point_unknown", f"no pickup point {point_code}", field="point")
            address = pickup_point_address(_point_out(points[point_code], None))
        elif points:
            raise ValidationFailed("checkout.point_required", "choose a pickup point", field="point")
    return OrderDeliveryOut(delivery_type=delivery_type, address=address,
                            quote=_quote(session, lines, "pickup", address, now, before_asking))


def check_delivery(session: Session, *, actor: Actor, customer_id: int | None = None, delivery_type: str,
                   address: str = "", point_code: str = "", now: datetime | None = None) -> OrderDeliveryOut:
    """The checkout's delivery step: the customer's choice checked (courier: an address; pickup: one
    of the listed points, when the provider lists any) and quoted, as placing will quote it."""
    customer_id = ensure_own(actor, customer_id)
    return order_delivery(session, customer_id=customer_id, delivery_type=delivery_type, address=address,
                          point_code=point_code, require_point=True, now=now)


def suggest(session: Session, *, actor: Actor, query: str, language: str | None = None) -> list[AddressOut]:
    """Address suggestions as the customer types (free text is fine without a provider)."""
    return [AddressOut(value=s.value, lat=s.data.geo_lat, lon=s.data.geo_lon)
            for s in addresses.suggest_addresses(ports.address(), query=query, count=5, language=language)]


def address_at(session: Session, *, actor: Actor, lat: float, lon: float) -> AddressOut | None:
    """The address at the customer's location ("use my location"), if the provider knows it."""
    found = addresses.address_at(ports.address(), lat=lat, lon=lon)
    return AddressOut(value=found.value, lat=found.data.geo_lat, lon=found.data.geo_lon) if found else None
