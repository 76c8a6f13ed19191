"""Bookings (BK1–BK5): services sold as time, the providers' working hours and their exceptions,
bookings and the waitlist.

A *resource* is whose time a booking takes: a staff member's id, or ``0`` for "the shop" (a service
with no named provider). Working hours, day exceptions and bookings are keyed by it. Times are UTC;
hours and days are the shop's local wall time (minutes from local midnight, local dates).

No double booking is held by the database: on PostgreSQL an exclusion constraint (``btree_gist``)
refuses two live exclusive bookings of one resource whose buffered ranges ``[busy_from, busy_to)``
overlap (written in the migration: the models cannot express it for SQLite); a class's capacity is
counted under a per-resource transaction lock (SQLite: the writer lock).
"""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from smo_app.models.base import UTCDateTime, utcnow

SHOP_RESOURCE = 0  # "the shop" provides the service (no named staff member)


class ServiceFormat(StrEnum):
    online = "online"
    offline = "offline"
    both = "both"


class DepositKind(StrEnum):
    none = "none"
    fixed = "fixed"  # deposit_value: kopecks
    percent = "percent"  # deposit_value: % of the price


class BookingState(StrEnum):
    pending = "pending"  # the deposit is not paid yet; the slot is held until hold_until
    confirmed = "confirmed"
    completed = "completed"
    cancelled = "cancelled"
    no_show = "no_show"


LIVE_STATES = (BookingState.pending.value, BookingState.confirmed.value, BookingState.completed.value,
               BookingState.no_show.value)  # the ones that take their time (a cancelled booking frees it)


class BookingService(SQLModel, table=True):
    __tablename__ = "booking_service"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    description: str = Field(default="", sa_type=Text)
    photo_url: str | None = Field(default=None, max_length=500)  # stored through the image port, as product photos
    price_minor: int = 0
    duration_min: int = 60
    step_min: int = 30  # slots start every step minutes from the opening time
    buffer_before_min: int = 0
    buffer_after_min: int = 0
    format: str = Field(default=ServiceFormat.offline.value, max_length=8)
    place: str = Field(default="", max_length=200)  # where an offline booking happens
    capacity: int = 1  # 1: an appointment; N: a class
    min_notice_min: int = 60
    max_ahead_days: int = 60
    deposit_kind: str = Field(default=DepositKind.none.value, max_length=8)
    deposit_value: int = 0
    hold_min: int = 15  # how long a pending booking waits for its deposit
    cancel_free_hours: int = 24  # a customer cancelling at least this long before gets the deposit back
    hidden: bool = False
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class BookingServiceProvider(SQLModel, table=True):
    """Who provides a service: staff members (none listed: the shop)."""

    __tablename__ = "booking_service_provider"
    __table_args__ = (UniqueConstraint("service_id", "staff_id", name="uq_booking_service_provider_pair"),)

    id: int | None = Field(default=None, primary_key=True)
    service_id: int = Field(foreign_key="booking_service.id", index=True)
    staff_id: int = Field(foreign_key="staff.id", index=True)


class BookingHours(SQLModel, table=True):
    """A resource's working interval on a weekday (0 = Monday), local minutes from midnight; several
    intervals a day make a break."""

    __tablename__ = "booking_hours"

    id: int | None = Field(default=None, primary_key=True)
    resource: int = Field(index=True)
    weekday: int
    start_min: int
    end_min: int


class BookingDay(SQLModel, table=True):
    """An exception for one local date: ``off`` (a day off; a holiday when ``resource`` is None, for
    everyone) or ``hours`` (an extra working day or a shorter day: these intervals replace the
    weekday's)."""

    __tablename__ = "booking_day"
    __table_args__ = (Index("ix_booking_day_resource_day", "resource", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    resource: int | None = None
    day: date
    kind: str = Field(max_length=8)  # off | hours
    start_min: int | None = None
    end_min: int | None = None
    note: str = Field(default="", max_length=200)


class Booking(SQLModel, table=True):
    __tablename__ = "booking"
    __table_args__ = (
        Index("ix_booking_resource_busy", "resource", "busy_from"),
        Index("ix_booking_service_start", "service_id", "starts_at"),
        Index("ix_booking_state_hold", "state", "hold_until"),
    )

    id: int | None = Field(default=None, primary_key=True)
    service_id: int = Field(foreign_key="booking_service.id")
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    resource: int
    exclusive: bool = True  # capacity 1: no other live booking of the resource may overlap
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    busy_from: datetime = Field(sa_type=UTCDateTime)  # starts_at - buffer before
    busy_to: datetime = Field(sa_type=UTCDateTime)  # ends_at + buffer after
    state: str = Field(default=BookingState.confirmed.value, max_length=16)
    hold_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    format: str = Field(default=ServiceFormat.offline.value, max_length=8)
    place: str = Field(default="", max_length=200)
    contact_name: str = Field(default="", max_length=128)
    contact_phone: str = Field(default="", max_length=32)
    price_minor: int = 0
    deposit_minor: int = 0
    deposit_paid_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    deposit_provider: str | None = Field(default=None, max_length=16)  # the payment method that took it
    deposit_ref: str | None = Field(default=None, max_length=128, unique=True)  # the provider's payment id
    deposit_refunded_minor: int = 0
    final_price_minor: int | None = None
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancel_reason: str = Field(default="", max_length=300)
    cancelled_by: str = Field(default="", max_length=16)  # customer | staff | system
    version: int = 1  # bumped on every move or state change: a reminder of an older version expires
    created_by_staff_id: int | None = Field(default=None, foreign_key="staff.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class BookingDepositProof(SQLModel, table=True):
    """The customer's screenshot of a deposit sent by transfer (one per booking; a new one replaces
    one not decided yet). While it waits for staff the booking's hold is paused (``hold_until`` is
    unset), so it never expires under review."""

    __tablename__ = "booking_deposit_proof"

    id: int | None = Field(default=None, primary_key=True)
    booking_id: int = Field(foreign_key="booking.id", unique=True)
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=64)
    content: bytes = Field(sa_type=LargeBinary)
    uploaded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    decided_by: int | None = Field(default=None, foreign_key="staff.id")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decision_note: str | None = Field(default=None, max_length=500)


class WaitlistState(StrEnum):
    waiting = "waiting"
    offered = "offered"  # a freed slot is held for them until offer_until
    booked = "booked"
    expired = "expired"
    left = "left"


class WaitlistEntry(SQLModel, table=True):
    """A customer waiting for a full day (``starts_at`` None) or one slot of a service."""

    __tablename__ = "booking_waitlist"
    __table_args__ = (Index("ix_booking_waitlist_service_day", "service_id", "day", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    service_id: int = Field(foreign_key="booking_service.id")
    customer_id: int = Field(foreign_key="customer.id", index=True)
    telegram_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    day: date
    starts_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    state: str = Field(default=WaitlistState.waiting.value, max_length=10)
    offer_booking_id: int | None = Field(default=None, foreign_key="booking.id")
    offer_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
