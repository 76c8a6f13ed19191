"""Carrier shipments (IN1): the waybill created with the carrier when an order is paid, its tracking
number, the last status the carrier reported and the printed waybill."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from smo_app.models.base import UTCDateTime, utcnow


class ShipmentStatus(StrEnum):
    creating = "creating"  # the carrier accepted the request and is registering the order
    created = "created"  # the carrier gave a tracking number
    failed = "failed"  # the carrier refused: a dead letter says why, staff decide


class Shipment(SQLModel, table=True):
    __tablename__ = "shipment"
    __table_args__ = (sa.UniqueConstraint("order_id", name="uq_shipment_order_id"),
                      sa.Index("ix_shipment_entity_uuid", "entity_uuid"))

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="order.id")
    provider: str = Field(default="cdek", max_length=32)
    status: str = Field(default=ShipmentStatus.creating, max_length=16)
    tariff_code: int
    delivery_point: str | None = Field(default=None, max_length=64)
    weight_g: int = 0
    length_cm: int = 0
    width_cm: int = 0
    height_cm: int = 0
    entity_uuid: str | None = Field(default=None, max_length=64)  # the carrier's order id
    tracking_number: str | None = Field(default=None, max_length=64)
    carrier_status: str | None = Field(default=None, max_length=64)  # the carrier's last status code
    carrier_status_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    error: str | None = Field(default=None, max_length=500)
    attempts: int = 0
    waybill_pdf: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
