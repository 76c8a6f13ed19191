"""Read-only views of variants the warehouse screen needs beside the stock ledger: names for
typed ids, and the back-in-stock subscribers waiting per variant (WH8)."""
from __future__ import annotations

from sqlmodel import Session, func, select

from smo_app.models.catalog import Product, StockSubscription, Variant
from smo_app.services.core.actor import Actor
from smo_app.services.core.permissions import Perm, require


def variant_labels(session: Session, *, actor: Actor, variant_ids: list[int]) -> dict[int, str]:
    """``{variant id: "Product label"}`` for the ids that exist."""
    require(actor, Perm.stock_manage)
    if not variant_ids:
        return {}
    rows = session.exec(select(Variant.id, Product.name, Variant.label).join(Product, Product.id == Variant.product_id)
                        .where(Variant.id.in_(variant_ids))).all()
    session.rollback()
    return {vid: f"{name} {label}".strip() for vid, name, label in rows}


def waiting_subscribers(session: Session, *, actor: Actor, variant_id: int) -> int:
    """Customers waiting for this variant to come back (not yet notified)."""
    require(actor, Perm.stock_manage)
    n = session.exec(select(func.count(StockSubscription.id)).where(
        StockSubscription.variant_id == variant_id, StockSubscription.notified_at.is_(None))).one()
    session.rollback()
    return n
