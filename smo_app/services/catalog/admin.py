"""The backoffice's view of the catalog: the category tree with what this actor may do to it, a
filtered, paged product list and a product picker (cross-sell). Changes go through
smo_app.services.catalog.products."""
from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import func, or_
from sqlmodel import Session, select

from smo_app.models.catalog import Category, Product, Variant
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import ValidationFailed
from smo_app.services.core.permissions import Perm, can, require
from smo_app.services.core.text_search import folded_contains

STATUSES = ("all", "visible", "hidden", "suspended", "low")


class ProductRow(BaseModel):
    id: int
    name: str
    category: str
    price_minor: int
    discount_pct: int
    qty: int
    variants: int
    hidden: bool
    suspended: bool
    low: bool


class ProductPage(BaseModel):
    rows: list[ProductRow]
    total: int
    page: int
    page_size: int


class PickItem(BaseModel):
    id: int
    name: str


def list_products(session: Session, *, actor: Actor, search: str = "", category_id: int | None = None,
                  status: str = "all", page: int = 1, page_size: int = 25) -> ProductPage:
    require(actor, Perm.catalog_edit)
    if status not in STATUSES:
        raise ValidationFailed("catalog.unknown_field", f"status {status}")
    page, page_size = max(1, int(page)), min(max(1, int(page_size)), 100)
    qty = (select(Variant.product_id.label("pid"), func.sum(Variant.qty).label("qty"), func.count(Variant.id).label("n"))
           .where(Variant.active).group_by(Variant.product_id).subquery())
    query = (select(Product, Category.name, func.coalesce(qty.c.qty, 0), func.coalesce(qty.c.n, 0))
             .outerjoin(Category, Category.id == Product.category_id).outerjoin(qty, qty.c.pid == Product.id)
             .where(Product.deleted.is_(False)))
    text = (search or "").strip()
    if text:
        codes = select(Variant.product_id).where(folded_contains(Variant.search_key, text))
        conds = [folded_contains(Product.search_key, text), Product.id.in_(codes)]
        if text.isdigit() and len(text) < 10:
            conds.append(Product.id == int(text))
        query = query.where(or_(*conds))
    if category_id is not None:
        children = select(Category.id).where(Category.parent_id == category_id)
        query = query.where(or_(Product.category_id == category_id, Product.category_id.in_(children)))
    if status == "visible":
        query = query.where(Product.hidden.is_(False), Product.suspended.is_(False))
    elif status == "hidden":
        query = query.where(Product.hidden.is_(True))
    elif status == "suspended":
        query = query.where(Product.suspended.is_(True))
    elif status == "low":
        query = query.where(func.coalesce(qty.c.qty, 0) <= Product.low_stock_threshold)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(Product.position, Product.id).offset((page - 1) * page_size).limit(page_size)).all()
    session.rollback()
    return ProductPage(total=total, page=page, page_size=page_size, rows=[
        ProductRow(id=p.id, name=p.name, category=cat or "", price_minor=p.base_price_minor, discount_pct=p.discount_pct,
                   qty=int(q), variants=int(n), hidden=p.hidden, suspended=p.suspended, low=int(q) <= p.low_stock_threshold)
        for p, cat, q, n in rows])


def pick_products(session: Session, *, actor: Actor, search: str = "", ids: list[int] | None = None,
                  limit: int = 10) -> list[PickItem]:
    """Products by name (for the cross-sell picker) or by id (to show the chosen ones)."""
    require(actor, Perm.catalog_edit)
    query = select(Product.id, Product.name).where(Product.deleted.is_(False))
    if ids is not None:
        query = query.where(Product.id.in_(ids or [-1]))
    elif (search or "").strip():
        query = query.where(folded_contains(Product.search_key, search))
    rows = session.exec(query.order_by(Product.name).limit(min(max(limit, 1), 50))).all()
    session.rollback()
    return [PickItem(id=i, name=n) for i, n in rows]


class CategoryNode(BaseModel):
    id: int
    name: str
    hidden: bool
    children: list["CategoryNode"] = []


def category_tree(session: Session, *, actor: Actor) -> list[CategoryNode]:
    """Every category (hidden ones too) as a two-level tree in display order."""
    require(actor, Perm.catalog_edit)
    cats = session.exec(select(Category).order_by(Category.position, Category.id)).all()
    session.rollback()
    nodes = {c.id: CategoryNode(id=c.id, name=c.name, hidden=c.hidden) for c in cats}
    roots = []
    for c in cats:
        if c.parent_id is None:
            roots.append(nodes[c.id])
        elif c.parent_id in nodes:
            nodes[c.parent_id].children.append(nodes[c.id])
    return roots


class CatalogTree(BaseModel):
    """The catalog page's tree, and what this actor may do beyond editing (the buttons it shows)."""

    categories: list[CategoryNode]
    can_rename: bool  # rename products
    can_delete: bool  # delete products and categories


def catalog_tree(session: Session, *, actor: Actor) -> CatalogTree:
    return CatalogTree(categories=category_tree(session, actor=actor), can_rename=can(actor, Perm.catalog_rename),
                       can_delete=can(actor, Perm.catalog_delete))
