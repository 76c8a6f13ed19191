"""Builders for commerce test data, through the services (system actor unless told otherwise)."""
from __future__ import annotations

from itertools import count

from sqlmodel import Session, select

from smo_app.models.catalog import Variant
from smo_app.models.stock import Supplier
from smo_app.services.sales import carts
from smo_app.services.catalog import products as catalog
from smo_app.services.sales import orders
from smo_app.services.stock import supplies
from smo_app.services.core.actor import Actor

SYSTEM = Actor.system("test")
_seq = count(1)


def supplier_id(session: Session) -> int:
    found = session.exec(select(Supplier.id).where(Supplier.name == "Test supplier")).first()
    if found is not None:
        return found
    return supplies.create_supplier(session, actor=SYSTEM, name="Test supplier").id


def make_product(session: Session, *, name: str | None = None, price_minor: int = 100000, qty: int = 0,
                 unit_cost_minor: int = 40000, variants: list[dict] | None = None, **fields) -> catalog.ProductOut:
    """A product (one default variant at ``price_minor`` unless ``variants``), stocked by a supply."""
    product = catalog.create_product(session, actor=SYSTEM, name=name or f"Product {next(_seq)}",
                                     base_price_minor=price_minor, variants=variants, **fields)
    if qty:
        supplies.receive_supply(session, actor=SYSTEM, supplier_id=supplier_id(session), items=[
            {"variant_id": v.id, "qty": qty, "total_minor": qty * unit_cost_minor} for v in product.variants])
    return catalog.get_product(session, actor=SYSTEM, product_id=product.id)


def variant_id(product: catalog.ProductOut, index: int = 0) -> int:
    return product.variants[index].id


def qty_of(session: Session, vid: int) -> int:
    session.expire_all()
    return session.get(Variant, vid).qty


def fill_cart(session: Session, customer_id: int, items: dict[int, int]) -> carts.CartOut:
    out = None
    for vid, qty in items.items():
        out = carts.set_qty(session, actor=Actor.customer(customer_id), customer_id=customer_id, variant_id=vid, qty=qty)
    return out


def place(session: Session, customer_id: int, items: dict[int, int], **kwargs) -> orders.OrderOut:
    fill_cart(session, customer_id, items)
    return orders.place_order(session, actor=Actor.customer(customer_id), customer_id=customer_id, **kwargs)
