"""Booking services (BK1): what a shop sells as time — the editor's use cases and the list both the
Mini App and the backoffice read."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import delete
from sqlmodel import Session, select

from smo_app.models.base import utcnow
from smo_app.models.bookings import (
    Booking, BookingService, BookingServiceProvider, BookingState, DepositKind, SHOP_RESOURCE, ServiceFormat,
)
from smo_app.models.staff import Staff
from smo_app.services.catalog import images
from smo_app.services.core import audit
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, NotFound, ValidationFailed
from smo_app.services.core.permissions import Perm, can, require
from smo_app.services.core.tx import atomic


class ServiceIn(BaseModel):
    """The editor's form, already parsed (kopecks, minutes)."""

    name: str
    description: str = ""
    photo_url: str | None = None
    price_minor: int = 0
    duration_min: int = 60
    step_min: int = 30
    buffer_before_min: int = 0
    buffer_after_min: int = 0
    format: str = ServiceFormat.offline.value
    place: str = ""
    capacity: int = 1
    min_notice_min: int = 60
    max_ahead_days: int = 60
    deposit_kind: str = DepositKind.none.value
    deposit_value: int = 0
    hold_min: int = 15
    cancel_free_hours: int = 24
    hidden: bool = False
    provider_ids: list[int] = []  # staff; none: the shop provides it


class ServiceOut(ServiceIn):
    id: int
    deposit_minor: int
    provider_names: list[str] = []


def deposit_for(service: BookingService | ServiceIn, price_minor: int | None = None) -> int:
    """The deposit a booking of ``service`` asks, kopecks (never above the price)."""
    price = service.price_minor if price_minor is None else price_minor
    if service.deposit_kind == DepositKind.fixed.value:
        return max(0, min(service.deposit_value, price))
    if service.deposit_kind == DepositKind.percent.value:
        return max(0, price * service.deposit_value // 100)
    return 0


def _validate(data: ServiceIn) -> None:
    bad: list[dict] = []

    def check(ok: bool, field: str, code: str, **params) -> None:
        if not ok:
            bad.append({"field": field, "code": code, "params": params})

    check(1 <= len(data.name.strip()) <= 120, "name", "bookings.name_invalid")
    check(data.price_minor >= 0, "price_minor", "bookings.price_invalid")
    check(5 <= data.duration_min <= 24 * 60, "duration_min", "bookings.duration_invalid")
    check(5 <= data.step_min <= 24 * 60, "step_min", "bookings.step_invalid")
    check(0 <= data.buffer_before_min <= 240 and 0 <= data.buffer_after_min <= 240, "buffer_before_min",
          "bookings.buffer_invalid")
    check(data.format in set(ServiceFormat), "format", "bookings.format_invalid")
    check(data.format == ServiceFormat.online.value or bool(data.place.strip()), "place", "bookings.place_required")
    check(1 <= data.capacity <= 500, "capacity", "bookings.capacity_invalid")
    check(0 <= data.min_notice_min <= 60 * 24 * 30, "min_notice_min", "bookings.notice_invalid")
    check(1 <= data.max_ahead_days <= 366, "max_ahead_days", "bookings.ahead_invalid")
    check(data.deposit_kind in set(DepositKind), "deposit_kind", "bookings.deposit_invalid")
    check(data.deposit_kind != DepositKind.percent.value or 1 <= data.deposit_value <= 100, "deposit_value",
          "bookings.deposit_invalid")
    check(data.deposit_kind != DepositKind.fixed.value or 1 <= data.deposit_value <= max(1, data.price_minor),
          "deposit_value", "bookings.deposit_invalid")
    check(1 <= data.hold_min <= 24 * 60 and 0 <= data.cancel_free_hours <= 24 * 30, "hold_min",
          "bookings.hold_invalid")
    if bad:
        first = bad[0]
        raise ValidationFailed(first["code"], f"bad {first['field']}", errors=bad, **first["params"])


def _out(session: Session, service: BookingService) -> ServiceOut:
    rows = session.exec(select(Staff.id, Staff.full_name).join(
        BookingServiceProvider, BookingServiceProvider.staff_id == Staff.id)
        .where(BookingServiceProvider.service_id == service.id).order_by(Staff.id)).all()
    fields = {k: getattr(service, k) for k in ServiceIn.model_fields if k != "provider_ids"}
    return ServiceOut(id=service.id, deposit_minor=deposit_for(service), provider_ids=[r[0] for r in rows],
                      provider_names=[r[1] for r in rows], **fields)


def provider_resources(session: Session, service_id: int) -> list[tuple[int, int | None]]:
    """``(resource, staff_id)`` of each provider of a service, the shop's own when none is named."""
    ids = session.exec(select(BookingServiceProvider.staff_id).where(BookingServiceProvider.service_id == service_id)
                       .order_by(BookingServiceProvider.staff_id)).all()
    return [(i, i) for i in ids] or [(SHOP_RESOURCE, None)]


def live_service(session: Session, service_id: int, *, actor: Actor) -> BookingService:
    service = session.get(BookingService, service_id)
    if service is None or service.deleted_at is not None or (service.hidden and not can(actor, Perm.bookings_manage)):
        raise NotFound("service", service_id)
    return service


def _set_providers(session: Session, service_id: int, provider_ids: list[int]) -> None:
    ids = sorted(set(provider_ids))
    if ids:
        found = session.exec(select(Staff.id).where(Staff.id.in_(ids), Staff.is_active.is_(True))).all()
        if len(found) != len(ids):
            raise DomainError("bookings.provider_unknown", "unknown provider")
    session.execute(delete(BookingServiceProvider).where(BookingServiceProvider.service_id == service_id))
    for staff_id in ids:
        session.add(BookingServiceProvider(service_id=service_id, staff_id=staff_id))


@atomic
def save_service(session: Session, *, actor: Actor, data: ServiceIn, service_id: int | None = None) -> ServiceOut:
    """Create (``service_id`` None) or edit a service."""
    require(actor, Perm.bookings_manage)
    data = data.model_copy(update={"name": data.name.strip(), "place": data.place.strip()})
    _validate(data)
    fields = data.model_dump(exclude={"provider_ids"})
    if service_id is None:
        service = BookingService(**fields)
        session.add(service)
        session.flush()
        before = None
    else:
        service = session.get(BookingService, service_id)
        if service is None or service.deleted_at is not None:
            raise NotFound("service", service_id)
        before = _out(session, service).model_dump()
        for k, v in fields.items():
            setattr(service, k, v)
        session.add(service)
    _set_providers(session, service.id, data.provider_ids)
    session.flush()
    out = _out(session, service)
    audit.record(session, actor=actor, action="booking_service.create" if before is None else "booking_service.update",
                 entity="booking_service", entity_id=service.id, before=before, after=out.model_dump())
    session.commit()
    return out


@atomic
def delete_service(session: Session, *, actor: Actor, service_id: int, now: datetime | None = None) -> None:
    """The owner deletes a service that has no future bookings (past ones keep it for history)."""
    require(actor, Perm.catalog_delete)
    now = now or utcnow()
    service = session.get(BookingService, service_id)
    if service is None or service.deleted_at is not None:
        raise NotFound("service", service_id)
    future = session.exec(select(Booking.id).where(
        Booking.service_id == service_id, Booking.ends_at > now,
        Booking.state.in_([BookingState.pending.value, BookingState.confirmed.value])).limit(1)).first()
    if future is not None:
        raise DomainError("bookings.service_has_bookings", "future bookings exist", name=service.name)
    service.deleted_at = now
    session.add(service)
    audit.record(session, actor=actor, action="booking_service.delete", entity="booking_service", entity_id=service_id,
                 before={"name": service.name})
    session.commit()


@atomic
def set_photo(session: Session, *, actor: Actor, service_id: int, data: bytes) -> ServiceOut:
    """The service's photo, uploaded: checked and stored through the image port as product photos are."""
    require(actor, Perm.bookings_manage)
    service = session.get(BookingService, service_id)
    if service is None or service.deleted_at is not None:
        raise NotFound("service", service_id)
    url = images.store_image(images.checked_image(data))
    before, service.photo_url = service.photo_url, url
    session.add(service)
    audit.record(session, actor=actor, action="booking_service.update", entity="booking_service", entity_id=service.id,
                 before={"photo_url": before}, after={"photo_url": url})
    session.commit()
    return _out(session, service)


def list_services(session: Session, *, actor: Actor | None = None, include_hidden: bool = False) -> list[ServiceOut]:
    """The services on offer (the Mini App); staff with bookings.manage may ask for hidden ones too."""
    q = select(BookingService).where(BookingService.deleted_at.is_(None)).order_by(BookingService.name)
    if not (include_hidden and actor is not None and can(actor, Perm.bookings_manage)):
        q = q.where(BookingService.hidden.is_(False))
    return [_out(session, s) for s in session.exec(q).all()]
