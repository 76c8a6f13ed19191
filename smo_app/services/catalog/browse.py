"""The storefront's catalog read model (ST2, ST3, ST9): the tree, product tiles, search and the
product card, as a customer sees them.

Hidden categories and products (and products inside a hidden category), deleted products and
inactive variants are left out. Every price shown is computed here by ``sales.pricing.price`` for
this customer (product or personal discount, wholesale price for an approved wholesale customer
from its minimum quantity) — the page only displays it.
"""
from __future__ import annotations

import html
import re

from pydantic import BaseModel
from sqlalchemy import or_
from sqlmodel import Session, select

from smo_app.models.catalog import Category, Product, SaleUnit, StockSubscription, Variant
from smo_app.models.customer import Customer
from smo_app.services.catalog.products import CategoryOut, category_tree, hidden_category_ids
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import NotFound
from smo_app.services.core.shop_config import ShopConfig, get_config
from smo_app.services.core.text_search import folded_contains
from smo_app.services.sales.carts import is_wholesale
from smo_app.services.sales.pricing import PriceLineIn, price
from smo_app.settings import get_settings

SEARCH_LIMIT = 40
MAX_QUERY = 100
MAX_TILES = 500  # the most tiles one catalog page shows ("show more" stops there)


class StoreVariantOut(BaseModel):
    id: int
    label: str
    price_minor: int  # what one unit costs this customer (after the product / personal discount)
    old_price_minor: int | None  # the undiscounted price when a discount applies
    weight_g: int
    available: int
    in_stock: bool
    wholesale_price_minor: int | None  # shown to approved wholesale customers only
    wholesale_min_qty: int


class StoreProductOut(BaseModel):
    id: int
    category_id: int | None
    name: str
    photo: str | None
    price_minor: int  # the cheapest variant for this customer
    old_price_minor: int | None
    discount_pct: int
    stock: str  # in_stock | low | out
    only_left: int | None  # "only N left"
    suspended: bool  # visible, not for sale


class ProductCardOut(StoreProductOut):
    description: str  # plain text: tags dropped, entities decoded
    details: str
    photos: list[str]
    variants: list[StoreVariantOut]
    cross_sell: list[StoreProductOut]
    subscribed_variant_ids: list[int]  # "notify me" already asked for these
    share_url: str
    wholesale: bool


class StoreCatalogOut(BaseModel):
    categories: list[CategoryOut]
    products: list[StoreProductOut]
    vacation: bool
    vacation_message: str
    preorder: bool
    wholesale: bool
    has_more: bool = False  # more tiles than ``limit``: the page offers "show more"


# --------------------------------------------------------------------------- helpers

class _Viewer:
    """The customer's pricing situation (anonymous visitors see retail prices)."""

    def __init__(self, session: Session, actor: Actor):
        customer = session.get(Customer, actor.id) if actor.is_customer else None
        self.customer_id = customer.id if customer else None
        self.personal_pct = customer.personal_discount_pct if customer else 0
        self.wholesale = bool(customer and is_wholesale(customer))

    def unit(self, p: Product, v: Variant, qty: int = 1) -> tuple[int, int | None]:
        line = price([PriceLineIn(variant_id=v.id or 0, qty=qty, price_minor=v.price_minor, discount_pct=p.discount_pct,
                                  wholesale_price_minor=v.wholesale_price_minor if self.wholesale else None,
                                  wholesale_min_qty=v.wholesale_min_qty)],
                     personal_discount_pct=self.personal_pct, wholesale=self.wholesale).lines[0]
        unit = line.total_minor // qty
        return unit, (line.unit_price_minor if unit < line.unit_price_minor else None)


def _variants(session: Session, product_ids: list[int]) -> dict[int, list[Variant]]:
    out: dict[int, list[Variant]] = {}
    if product_ids:
        for v in session.exec(select(Variant).where(Variant.product_id.in_(product_ids), Variant.active,
                                                    Variant.unit == SaleUnit.pcs)
                              .order_by(Variant.position, Variant.id)).all():
            out.setdefault(v.product_id, []).append(v)
    return out


def _tile(viewer: _Viewer, p: Product, variants: list[Variant], cfg: ShopConfig) -> StoreProductOut:
    total = sum(max(v.qty, 0) for v in variants)
    prices = [viewer.unit(p, v) for v in variants] or [(p.base_price_minor, None)]
    cheapest = min(prices, key=lambda x: x[0])
    if total <= 0 and not cfg.preorder_mode:
        stock = "out"
    elif 0 < total <= p.low_stock_threshold:
        stock = "low"
    else:
        stock = "in_stock"
    return StoreProductOut(
        id=p.id, category_id=p.category_id, name=p.name, photo=(p.photos or [None])[0], price_minor=cheapest[0],
        old_price_minor=cheapest[1], discount_pct=p.discount_pct, stock=stock,
        only_left=total if stock == "low" else None, suspended=p.suspended,
    )


# goods sold by weight are weighed at the counter (the POS and its scales): the Mini App sells pieces
_BY_THE_PIECE = select(Variant.product_id).where(Variant.active, Variant.unit == SaleUnit.pcs)


def _visible_products(cats: list[Category]):
    hidden = hidden_category_ids(cats)
    query = select(Product).where(Product.deleted.is_(False), Product.hidden.is_(False),  # type: ignore[union-attr]
                                  Product.id.in_(_BY_THE_PIECE))
    if hidden:
        query = query.where(or_(Product.category_id.is_(None), Product.category_id.not_in(hidden)))
    return query, hidden


def name_matches(session: Session, query: str):
    """"Name contains", ignoring case in any language on both engines (the folded search key)."""
    return folded_contains(Product.search_key, query)


def plain_text(value: str) -> str:
    """Stored descriptions are HTML: line breaks kept, every tag dropped, entities decoded."""
    text = re.sub(r"(?i)<\s*br\s*/?>|</\s*p\s*>", "\n", value or "")
    text = re.sub(r"<[^>]*>", "", text)
    return html.unescape(text).strip()


def share_url(bot_username: str, product_id: int) -> str:
    return f"https://t.me/{bot_username}?startapp=p{product_id}"


# --------------------------------------------------------------------------- use cases

def store_catalog(session: Session, *, actor: Actor, category_id: int | None = None,
                  search: str | None = None, limit: int = 24) -> StoreCatalogOut:
    """The tree and the first ``limit`` tiles of one category (its subcategories included) or of a
    search (at most ``SEARCH_LIMIT``)."""
    limit = max(1, min(limit, MAX_TILES))
    cfg = get_config(session)
    cats = list(session.exec(select(Category).order_by(Category.position, Category.id)).all())
    query, hidden = _visible_products(cats)
    search = (search or "").strip()[:MAX_QUERY]
    if search:
        query = query.where(name_matches(session, search))
        limit = min(limit, SEARCH_LIMIT)
    if category_id is not None:
        if category_id in hidden:
            raise NotFound("category", category_id)
        sub = [c.id for c in cats if c.parent_id == category_id]
        query = query.where(Product.category_id.in_([category_id, *sub]))
    products = list(session.exec(query.order_by(Product.position, Product.id).limit(limit + 1)).all())
    has_more = len(products) > limit
    products = products[:limit]
    variants = _variants(session, [p.id for p in products])
    viewer = _Viewer(session, actor)
    return StoreCatalogOut(has_more=has_more,
        categories=category_tree(cats, hidden), products=[_tile(viewer, p, variants.get(p.id, []), cfg) for p in products],
        vacation=cfg.vacation_mode, vacation_message=cfg.vacation_message, preorder=cfg.preorder_mode,
        wholesale=viewer.wholesale,
    )


def search_products(session: Session, *, actor: Actor, query: str, limit: int = SEARCH_LIMIT) -> list[StoreProductOut]:
    """Search by name (ST2): visible products whose name contains ``query``, in display order."""
    query = (query or "").strip()[:MAX_QUERY]
    if not query:
        return []
    cfg = get_config(session)
    cats = list(session.exec(select(Category)).all())
    stmt, _ = _visible_products(cats)
    products = list(session.exec(stmt.where(name_matches(session, query))
                                 .order_by(Product.position, Product.id).limit(min(limit, SEARCH_LIMIT))).all())
    variants = _variants(session, [p.id for p in products])
    viewer = _Viewer(session, actor)
    return [_tile(viewer, p, variants.get(p.id, []), cfg) for p in products]


def product_card(session: Session, *, actor: Actor, product_id: int, bot_username: str | None = None) -> ProductCardOut:
    """The product card (ST3): photos, description, "more", variants with this customer's prices;
    its share link opens the product in the shop's bot (``bot_username``, by default the settings')."""
    if bot_username is None:
        bot_username = get_settings().bot_username
    cfg = get_config(session)
    product = session.get(Product, product_id)
    cats = list(session.exec(select(Category)).all())
    variants = _variants(session, [product.id]).get(product.id, []) if product is not None else []
    if product is None or product.deleted or product.hidden or product.category_id in hidden_category_ids(cats) \
            or not variants:
        raise NotFound("product", product_id)
    viewer = _Viewer(session, actor)
    tile = _tile(viewer, product, variants, cfg)
    out_variants = []
    for v in variants:
        unit, old = viewer.unit(product, v)
        out_variants.append(StoreVariantOut(
            id=v.id, label=v.label, price_minor=unit, old_price_minor=old, weight_g=v.weight_g,
            available=max(v.qty, 0), in_stock=v.qty > 0 or cfg.preorder_mode,
            wholesale_price_minor=v.wholesale_price_minor if viewer.wholesale else None,
            wholesale_min_qty=v.wholesale_min_qty,
        ))
    cross: list[StoreProductOut] = []
    if product.cross_sell:
        others = [p for p in session.exec(select(Product).where(Product.id.in_(product.cross_sell))).all()
                  if not (p.deleted or p.hidden or p.category_id in hidden_category_ids(cats))]
        ov = _variants(session, [p.id for p in others])
        cross = [_tile(viewer, p, ov.get(p.id, []), cfg) for p in others]
    subscribed: list[int] = []
    if viewer.customer_id and variants:
        subscribed = list(session.exec(select(StockSubscription.variant_id).where(
            StockSubscription.customer_id == viewer.customer_id, StockSubscription.notified_at.is_(None),
            StockSubscription.variant_id.in_([v.id for v in variants]))).all())
    return ProductCardOut(
        **tile.model_dump(), description=plain_text(product.description), details=plain_text(product.details),
        photos=list(product.photos or []), variants=out_variants, cross_sell=cross, subscribed_variant_ids=subscribed,
        share_url=share_url(bot_username, product.id) if bot_username else "", wholesale=viewer.wholesale,
    )


def store_tiles(session: Session, *, actor: Actor, product_ids: list[int]) -> list[StoreProductOut]:
    """Tiles for given products (the cart's cross-sell block), hidden ones left out, order kept."""
    if not product_ids:
        return []
    cfg = get_config(session)
    cats = list(session.exec(select(Category)).all())
    stmt, _ = _visible_products(cats)
    rows = {p.id: p for p in session.exec(stmt.where(Product.id.in_(product_ids))).all()}
    variants = _variants(session, list(rows))
    viewer = _Viewer(session, actor)
    return [_tile(viewer, rows[pid], variants.get(pid, []), cfg) for pid in product_ids if pid in rows]
