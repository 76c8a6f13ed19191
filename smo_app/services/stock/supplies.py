"""Suppliers and supplies: a supply is received in three steps (supplier, items with
quantities, the batch price split per unit) and each item moves the weighted average cost."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from sqlmodel import Session, select

from smo_app.models.base import utcnow
from smo_app.models.catalog import Variant
from smo_app.models.stock import MoveKind, Supplier, Supply, SupplyLine
from smo_app.services.core import audit
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import NotFound, ValidationFailed
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.tx import atomic
from smo_app.services.core.unique import unique_as
from smo_app.services.stock.ledger import apply_move


class SupplierOut(BaseModel):
    id: int
    name: str
    contact: str
    note: str
    active: bool


@atomic
def create_supplier(session: Session, *, actor: Actor, name: str, contact: str = "", note: str = "") -> SupplierOut:
    require(actor, Perm.stock_manage)
    name = (name or "").strip()
    if not 1 <= len(name) <= 128:
        raise ValidationFailed("supplier.name_invalid", "supplier name 1..128 chars")
    if session.exec(select(Supplier.id).where(Supplier.name == name)).first() is not None:
        raise ValidationFailed("supplier.name_taken", f"supplier {name} exists", name=name)
    supplier = Supplier(name=name, contact=(contact or "")[:256], note=(note or "")[:1000])
    session.add(supplier)
    with unique_as(session, "supplier", "name",  # the same name created at the same moment
                   lambda: ValidationFailed("supplier.name_taken", f"supplier {name} exists", name=name)):
        session.flush()
    audit.record(session, actor=actor, action="supplier.create", entity="supplier", entity_id=supplier.id,
                 after={"name": name})
    session.commit()
    return SupplierOut.model_validate(supplier, from_attributes=True)


def list_suppliers(session: Session, *, actor: Actor) -> list[SupplierOut]:
    require(actor, Perm.stock_manage)
    rows = session.exec(select(Supplier).where(Supplier.active).order_by(Supplier.name)).all()
    return [SupplierOut.model_validate(r, from_attributes=True) for r in rows]


class SupplyItemIn(BaseModel):
    variant_id: int
    qty: int = Field(gt=0)
    total_minor: int = Field(ge=0)  # what the batch of this item cost; split per unit


class SupplyLineOut(BaseModel):
    variant_id: int
    qty: int
    unit_cost_minor: int
    qty_after: int
    avg_cost_after_minor: int


class SupplyOut(BaseModel):
    id: int
    supplier_id: int
    total_minor: int
    units: int
    lines: list[SupplyLineOut]


@atomic
def receive_supply(
    session: Session,
    *,
    actor: Actor,
    supplier_id: int,
    items: list[SupplyItemIn | dict],
    comment: str | None = None,
    now: datetime | None = None,
) -> SupplyOut:
    """WH4: 1) supplier, 2) items with quantities, 3) the batch price per item, split per unit
    (rounded half up to the kopeck). Each item is a ``supply`` move and moves the average cost."""
    require(actor, Perm.stock_manage)
    items = [i if isinstance(i, SupplyItemIn) else SupplyItemIn.model_validate(i) for i in items]
    if not items:
        raise ValidationFailed("supply.empty", "a supply needs at least one item")
    if session.get(Supplier, supplier_id) is None:
        raise NotFound("supplier", supplier_id)
    for item in items:
        if session.get(Variant, item.variant_id) is None:
            raise ValidationFailed("supply.unknown_variant", f"no variant {item.variant_id}", id=item.variant_id)
    now = now or utcnow()
    supply = Supply(supplier_id=supplier_id, total_minor=sum(i.total_minor for i in items),
                    units=sum(i.qty for i in items), comment=comment, actor_name=actor.name[:128], created_at=now)
    session.add(supply)
    session.flush()
    lines = []
    for item in sorted(items, key=lambda i: i.variant_id):
        unit_cost = (2 * item.total_minor + item.qty) // (2 * item.qty)
        before = session.get(Variant, item.variant_id)
        before_state = {"qty": before.qty, "avg_cost_minor": before.avg_cost_minor}
        move = apply_move(session, actor=actor, variant_id=item.variant_id, delta=item.qty, kind=MoveKind.supply,
                          comment=comment, supply_id=supply.id, incoming_cost_minor=unit_cost, now=now)
        session.add(SupplyLine(supply_id=supply.id, variant_id=item.variant_id, qty=item.qty, unit_cost_minor=unit_cost))
        avg_after = session.get(Variant, item.variant_id).avg_cost_minor
        audit.record(session, actor=actor, action="stock.supply", entity="variant", entity_id=item.variant_id,
                     before=before_state, after={"qty": move.qty_after, "avg_cost_minor": avg_after,
                                                 "unit_cost_minor": unit_cost, "supply_id": supply.id})
        lines.append(SupplyLineOut(variant_id=item.variant_id, qty=item.qty, unit_cost_minor=unit_cost,
                                   qty_after=move.qty_after, avg_cost_after_minor=avg_after))
    session.commit()
    return SupplyOut(id=supply.id, supplier_id=supplier_id, total_minor=supply.total_minor, units=supply.units,
                     lines=lines)
