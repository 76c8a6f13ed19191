"""What the seller looks up at the register: products by name, SKU or barcode, the favourites
grid, and customers by phone, @username or name (PO3, PO4). Read-only, except choosing the
favourites."""
from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import func, or_
from sqlmodel import Session, select

from smo_app.models.catalog import Product, Variant
from smo_app.models.customer import Customer
from smo_app.models.pos import PosFavourite
from smo_app.services.core import audit
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import NotFound
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.tx import atomic
from smo_app.services.pos.cart import CustomerBrief, customer_brief


class ProductHit(BaseModel):
    variant_id: int
    product_id: int
    name: str
    variant_label: str
    sku: str | None
    barcode: str | None
    price_minor: int
    available: int


def _hit(v: Variant, p: Product) -> ProductHit:
    return ProductHit(variant_id=v.id, product_id=p.id, name=p.name, variant_label=v.label, sku=v.sku,
                      barcode=v.barcode, price_minor=v.price_minor, available=v.qty)


_SELLABLE = (Variant.active, Product.deleted.is_(False), Product.suspended.is_(False))


def search_products(session: Session, *, actor: Actor, query: str, limit: int = 20) -> list[ProductHit]:
    """Exact barcode or SKU first, then names and SKUs containing the text (case-insensitive); at
    least two characters (one matches half the catalog)."""
    require(actor, Perm.pos_sell)
    text = (query or "").strip()
    if len(text) < 2:
        return []
    base = select(Variant, Product).join(Product, Product.id == Variant.product_id).where(*_SELLABLE)
    exact = session.exec(base.where(or_(Variant.barcode == text, Variant.sku == text))).all()
    like = f"%{text.lower()}%"
    found = session.exec(base.where(or_(func.lower(Product.name).like(like), func.lower(Variant.sku).like(like)))
                         .order_by(Product.position, Product.id, Variant.position, Variant.id).limit(limit)).all()
    seen, out = set(), []
    for v, p in [*exact, *found]:
        if v.id not in seen:
            seen.add(v.id)
            out.append(_hit(v, p))
    return out[:limit]


def favourites(session: Session, *, actor: Actor, limit: int = 12) -> list[ProductHit]:
    """The favourites grid: the chosen tiles, else the first products of the catalog."""
    require(actor, Perm.pos_sell)
    base = select(Variant, Product).join(Product, Product.id == Variant.product_id).where(*_SELLABLE)
    chosen = session.exec(base.join(PosFavourite, PosFavourite.variant_id == Variant.id)
                          .order_by(PosFavourite.position, PosFavourite.id).limit(limit)).all()
    if not chosen:
        chosen = session.exec(base.where(Product.hidden.is_(False))
                              .order_by(Product.position, Product.id, Variant.position, Variant.id).limit(limit)).all()
    return [_hit(v, p) for v, p in chosen]


@atomic
def set_favourites(session: Session, *, actor: Actor, variant_ids: list[int]) -> list[ProductHit]:
    require(actor, Perm.catalog_edit)
    for old in session.exec(select(PosFavourite)).all():
        session.delete(old)
    session.flush()
    for pos, vid in enumerate(dict.fromkeys(variant_ids)):
        if session.get(Variant, vid) is None:
            raise NotFound("variant", vid)
        session.add(PosFavourite(variant_id=vid, position=pos))
    audit.record(session, actor=actor, action="pos.favourites", after={"variant_ids": list(variant_ids)})
    session.commit()
    return favourites(session, actor=Actor.system(), limit=len(variant_ids) or 12)


def find_customers(session: Session, *, actor: Actor, query: str, limit: int = 10) -> list[CustomerBrief]:
    """By phone (digits match anywhere), @username or name."""
    require(actor, Perm.customers_view)
    text = (query or "").strip().lstrip("@")
    if len(text) < 2:
        return []
    digits = "".join(ch for ch in text if ch.isdigit())
    conds = [func.lower(Customer.full_name).like(f"%{text.lower()}%"),
             func.lower(Customer.username).like(f"%{text.lower()}%")]
    if len(digits) >= 4:
        conds.append(Customer.phone.like(f"%{digits[-10:]}%"))
    rows = session.exec(select(Customer).where(or_(*conds)).order_by(Customer.id).limit(limit)).all()
    return [customer_brief(c) for c in rows]
