"""What the seller looks up at the register: products by name, SKU or barcode, the favourites
grid, customers by phone, @username, name or the loyalty card's code (PO3, PO4), and what a
scanned or typed code is (:func:`scan_code`). Read-only, except choosing the favourites.

Search compares folded text (``search_key`` columns, smo_app.text_fold): "Свеча", "свеча",
"СВЕЧА" and "Свеча" typed with ё or е find the same products on SQLite and PostgreSQL alike.
"""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import or_
from sqlmodel import Session, select

from smo_app.models.base import utcnow
from smo_app.models.catalog import QTY_PER_PRICE, Category, Product, SaleUnit, Variant
from smo_app.models.customer import Customer
from smo_app.models.pos import PosFavourite
from smo_app.services.catalog.barcodes import parse_scale_code
from smo_app.services.core import audit
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, NotFound
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.shop_config import get_config
from smo_app.services.core.text_search import escape_like, folded_contains
from smo_app.services.core.tx import atomic
from smo_app.services.customers.loyalty_qr import looks_like_card_code, resolve_card_code, resolve_loyalty_token
from smo_app.services.pos.cart import LOYALTY_QR_PREFIX, CustomerBrief, customer_brief
from smo_app.text_fold import phone_query_keys

MIN_QUERY = 2  # one character matches half the catalog


class ProductHit(BaseModel):
    variant_id: int
    product_id: int
    name: str
    variant_label: str
    sku: str | None
    barcode: str | None
    price_minor: int
    available: int
    unit: str = SaleUnit.pcs  # pcs | kg | g: by weight, ``available`` is grams
    category_id: int | None = None


def _hit(v: Variant, p: Product) -> ProductHit:
    return ProductHit(variant_id=v.id, product_id=p.id, name=p.name, variant_label=v.label, sku=v.sku,
                      barcode=v.barcode, price_minor=v.price_minor, available=v.qty, unit=v.unit,
                      category_id=p.category_id)


_SELLABLE = (Variant.active, Product.deleted.is_(False), Product.suspended.is_(False))
_BASE = select(Variant, Product).join(Product, Product.id == Variant.product_id).where(*_SELLABLE)
_ORDER = (Product.position, Product.id, Variant.position, Variant.id)


def search_products(session: Session, *, actor: Actor, query: str, limit: int = 20) -> list[ProductHit]:
    """Exact barcode or SKU first, then products whose name — or variants whose label, SKU or
    barcode — contain the text, ignoring case in any language; at least two characters."""
    require(actor, Perm.pos_sell)
    text = (query or "").strip()
    if len(text) < MIN_QUERY:
        return []
    exact = session.exec(_BASE.where(or_(Variant.barcode == text, Variant.sku == text))).all()
    found = session.exec(_BASE.where(or_(folded_contains(Product.search_key, text),
                                         folded_contains(Variant.search_key, text)))
                         .order_by(*_ORDER).limit(limit)).all()
    seen, out = set(), []
    for v, p in [*exact, *found]:
        if v.id not in seen:
            seen.add(v.id)
            out.append(_hit(v, p))
    return out[:limit]


def favourites(session: Session, *, actor: Actor, limit: int = 12) -> list[ProductHit]:
    """The favourites grid: the chosen tiles, else the first products of the catalog."""
    require(actor, Perm.pos_sell)
    chosen = session.exec(_BASE.join(PosFavourite, PosFavourite.variant_id == Variant.id)
                          .order_by(PosFavourite.position, PosFavourite.id).limit(limit)).all()
    if not chosen:
        chosen = session.exec(_BASE.where(Product.hidden.is_(False)).order_by(*_ORDER).limit(limit)).all()
    return [_hit(v, p) for v, p in chosen]


class CategoryTile(BaseModel):
    id: int
    name: str


def categories(session: Session, *, actor: Actor) -> list[CategoryTile]:
    """The categories that have something to sell, for browsing on the sale screen."""
    require(actor, Perm.pos_sell)
    rows = session.exec(select(Category).where(Category.hidden.is_(False), Category.id.in_(
        _BASE.where(Product.hidden.is_(False)).with_only_columns(Product.category_id)))
        .order_by(Category.position, Category.name)).all()
    return [CategoryTile(id=c.id, name=c.name) for c in rows]


def in_category(session: Session, *, actor: Actor, category_id: int, limit: int = 60) -> list[ProductHit]:
    """The products of a category (its variants), in catalog order."""
    require(actor, Perm.pos_sell)
    rows = session.exec(_BASE.where(Product.category_id == category_id, Product.hidden.is_(False))
                        .order_by(*_ORDER).limit(limit)).all()
    return [_hit(v, p) for v, p in rows]


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


def find_customers(session: Session, *, actor: Actor, query: str, limit: int = 10,
                   now: datetime | None = None) -> list[CustomerBrief]:
    """By the loyalty card's code (``42-7315``: that customer alone), phone (digits anywhere;
    ``8…``, ``+7…`` and the bare national number alike), @username or name (any language, any case)."""
    require(actor, Perm.customers_view)
    text = (query or "").strip()
    if looks_like_card_code(text):
        try:
            customer = session.get(Customer, resolve_card_code(text, now or utcnow()))
            return [customer_brief(customer)] if customer is not None else []
        except DomainError:
            pass  # not a live card code: perhaps a phone typed with a dash
    text = text.lstrip("@")
    if len(text) < MIN_QUERY:
        return []
    conds = [folded_contains(Customer.search_key, text)]
    anywhere, national = phone_query_keys(text)
    if len(anywhere) >= 4:
        conds.append(Customer.phone_key.like(f"%{escape_like(anywhere)}%", escape="\\"))
        if national:
            conds.append(Customer.phone_key.like(f"{escape_like(national)}%", escape="\\"))
    rows = session.exec(select(Customer).where(or_(*conds)).order_by(Customer.id).limit(limit)).all()
    return [customer_brief(c) for c in rows]


# --------------------------------------------------------------------------- a scanned code

class ScanOut(BaseModel):
    """What a scanned or typed code is. A product: the variant and how much of it (``qty`` in its
    counting unit — grams for goods sold by weight, from a scale's label), and for a scale's label
    the weight (``weight_g``) or the price it printed (``price_minor``). A customer: who (the loyalty
    QR or the card's code).

    The sale screen adds ``product.variant_id`` × ``qty`` to the cart (``cart.add_item``), or
    attaches ``customer.id`` (``cart.set_customer``)."""

    code: str
    kind: str  # "product" | "customer"
    product: ProductHit | None = None
    qty: int = 1
    weight_g: int | None = None
    price_minor: int | None = None
    customer: CustomerBrief | None = None


def scan_code(session: Session, *, actor: Actor, code: str, now: datetime | None = None) -> ScanOut:
    """A code from the USB scanner, the camera or the keyboard, in this order: the loyalty QR, the
    card's code, a variant's exact barcode or SKU, a scale's weight barcode (the shop's prefixes,
    check digit checked, the item by its scale code); else ``pos.code_unknown``."""
    require(actor, Perm.pos_sell)
    code = (code or "").strip()
    if not code:
        raise DomainError("pos.code_empty", "empty code")
    now = now or utcnow()
    if code.startswith(LOYALTY_QR_PREFIX) or looks_like_card_code(code):
        require(actor, Perm.customers_view)
        customer_id = (resolve_loyalty_token(code, now) if code.startswith(LOYALTY_QR_PREFIX)
                       else resolve_card_code(code, now))
        customer = session.get(Customer, customer_id)
        if customer is None:
            raise DomainError("loyalty.qr_invalid", "no such customer")
        return ScanOut(code=code, kind="customer", customer=customer_brief(customer))
    row = session.exec(_BASE.where(Variant.barcode == code)).first() or \
        session.exec(_BASE.where(Variant.sku == code)).first()
    if row is not None:
        return ScanOut(code=code, kind="product", product=_hit(*row))
    cfg = get_config(session)
    label = parse_scale_code(code, weight_prefix=cfg.scale_weight_prefix, price_prefix=cfg.scale_price_prefix)
    if label is None:
        raise DomainError("pos.code_unknown", f"no product with code {code!r}", scanned=code[:64])
    row = session.exec(_BASE.where(Variant.plu == label.plu)).first()
    if row is None:
        raise DomainError("pos.scale_unknown_item", f"no variant with plu {label.plu}", plu=label.plu, code=code)
    variant, product = row
    if variant.unit not in (SaleUnit.kg, SaleUnit.g):
        raise DomainError("pos.scale_not_by_weight", "a piece-sold variant", name=product.name)
    if label.kind == "weight":
        return ScanOut(code=code, kind="product", product=_hit(variant, product), qty=label.value,
                       weight_g=label.value)
    # a price label: the weight it stands for, at the variant's price (what the scale computed)
    per = QTY_PER_PRICE[SaleUnit(variant.unit)]
    grams = max(1, (2 * label.value * per + variant.price_minor) // (2 * variant.price_minor)) \
        if variant.price_minor else 1
    return ScanOut(code=code, kind="product", product=_hit(variant, product), qty=grams, price_minor=label.value)
