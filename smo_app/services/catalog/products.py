"""Catalog management (CA1, CA2) and catalog reading for the storefront and the POS (ST2, ST3).

Stock quantities are not edited here: they move only through smo_app.services.stock.ledger.
"""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from smo_app.models.base import utcnow
from smo_app.models.catalog import Category, Product, SaleUnit, Variant
from smo_app.money import parse_money
from smo_app.services.core import audit
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, NotFound, ValidationFailed
from smo_app.services.core.permissions import Perm, can, require
from smo_app.services.core.text_search import folded_contains
from smo_app.services.core.tx import atomic
from smo_app.services.core.unique import unique_violation

MAX_DEPTH = 2  # a two-level tree: category → subcategory


# --------------------------------------------------------------------------- DTOs

class CategoryOut(BaseModel):
    id: int
    parent_id: int | None
    name: str
    position: int
    hidden: bool
    children: list["CategoryOut"] = []


class VariantIn(BaseModel):
    label: str = Field(default="", max_length=64)
    price_minor: int = Field(ge=0)
    weight_g: int = Field(default=0, ge=0)
    wholesale_price_minor: int | None = Field(default=None, ge=0)
    wholesale_min_qty: int = Field(default=1, ge=1)
    sku: str | None = Field(default=None, max_length=64)
    barcode: str | None = Field(default=None, max_length=64)
    unit: SaleUnit = SaleUnit.pcs
    plu: int | None = Field(default=None, ge=1, le=99999)


class VariantOut(BaseModel):
    id: int
    label: str
    price_minor: int
    weight_g: int
    wholesale_price_minor: int | None
    wholesale_min_qty: int
    sku: str | None = None
    barcode: str | None = None
    unit: str = SaleUnit.pcs
    plu: int | None = None
    qty: int
    avg_cost_minor: int
    is_default: bool


class ProductOut(BaseModel):
    id: int
    category_id: int | None
    name: str
    description: str
    details: str
    base_price_minor: int
    unit: str
    discount_pct: int
    position: int
    hidden: bool
    suspended: bool
    cross_sell: list[int]
    low_stock_threshold: int
    photos: list[str]
    variants: list[VariantOut]
    in_stock: bool
    only_left: int | None  # "only N left" when at or below the threshold


class CatalogOut(BaseModel):
    categories: list[CategoryOut]
    products: list[ProductOut]


def parse_variants(text: str) -> list[VariantIn]:
    """``"10 мл:450:15; 30 мл:1 100,50:40"`` → variants (label : price in rubles : weight in g).
    Lines or ``;`` separate variants."""
    out, errors = [], []
    chunks = [c.strip() for part in (text or "").splitlines() for c in part.split(";")]
    for no, chunk in enumerate([c for c in chunks if c], start=1):
        parts = [p.strip() for p in chunk.split(":")]
        try:
            if len(parts) not in (2, 3) or not parts[0]:
                raise ValueError(chunk)
            weight = int(parts[2]) if len(parts) == 3 and parts[2] else 0
            out.append(VariantIn(label=parts[0], price_minor=parse_money(parts[1]), weight_g=weight))
        except ValueError:
            errors.append({"line": no, "code": "catalog.variant_format", "text": chunk})
    if errors:
        raise ValidationFailed("catalog.variant_format", "expected volume:price:weight", errors=errors,
                               line=errors[0]["line"])
    return out


def _variant_out(v: Variant) -> VariantOut:
    return VariantOut.model_validate(v, from_attributes=True)


def _product_out(session: Session, p: Product, variants: list[Variant] | None = None) -> ProductOut:
    if variants is None:
        variants = list(session.exec(select(Variant).where(Variant.product_id == p.id, Variant.active)
                                     .order_by(Variant.position, Variant.id)).all())
    total = sum(max(v.qty, 0) for v in variants)
    data = p.model_dump()
    data.update(variants=[_variant_out(v) for v in variants], in_stock=total > 0,
                only_left=total if 0 < total <= p.low_stock_threshold else None,
                cross_sell=list(p.cross_sell or []), photos=list(p.photos or []))
    return ProductOut.model_validate(data)


# --------------------------------------------------------------------------- categories (CA2)

@atomic
def create_category(session: Session, *, actor: Actor, name: str, parent_id: int | None = None,
                    position: int | None = None, hidden: bool = False) -> CategoryOut:
    require(actor, Perm.catalog_edit)
    name = _name(name, 128, "catalog.category_name_invalid")
    if parent_id is not None:
        parent = _category_in_use(session, parent_id)
        if parent is None:
            raise NotFound("category", parent_id)
        if parent.parent_id is not None:
            raise ValidationFailed("catalog.category_too_deep", "two levels at most")
    if position is None:
        siblings = session.exec(select(Category.position).where(Category.parent_id == parent_id)).all()
        position = max(siblings, default=-1) + 1
    cat = Category(name=name, parent_id=parent_id, position=position, hidden=hidden)
    session.add(cat)
    session.flush()
    audit.record(session, actor=actor, action="catalog.category_create", entity="category", entity_id=cat.id,
                 after={"name": name, "parent_id": parent_id})
    session.commit()
    return CategoryOut.model_validate(cat, from_attributes=True)


@atomic
def update_category(session: Session, *, actor: Actor, category_id: int, name: str | None = None,
                    hidden: bool | None = None, position: int | None = None) -> CategoryOut:
    require(actor, Perm.catalog_edit)
    cat = session.get(Category, category_id)
    if cat is None:
        raise NotFound("category", category_id)
    before = {"name": cat.name, "hidden": cat.hidden, "position": cat.position}
    if name is not None:
        cat.name = _name(name, 128, "catalog.category_name_invalid")
    if hidden is not None:
        cat.hidden = hidden
    if position is not None:
        cat.position = position
    session.add(cat)
    audit.record(session, actor=actor, action="catalog.category_update", entity="category", entity_id=cat.id,
                 before=before, after={"name": cat.name, "hidden": cat.hidden, "position": cat.position})
    session.commit()
    return CategoryOut.model_validate(cat, from_attributes=True)


@atomic
def reorder_categories(session: Session, *, actor: Actor, ordered_ids: list[int]) -> None:
    """Siblings in the given order get positions 0, 1, 2, …"""
    require(actor, Perm.catalog_edit)
    for pos, cid in enumerate(ordered_ids):
        cat = session.get(Category, cid)
        if cat is None:
            raise NotFound("category", cid)
        cat.position = pos
        session.add(cat)
    session.commit()


@atomic
def move_category(session: Session, *, actor: Actor, category_id: int, delta: int) -> None:
    """Move a category ``delta`` places among its siblings (``-1`` up, ``1`` down); past either end
    nothing moves."""
    require(actor, Perm.catalog_edit)
    cat = session.get(Category, category_id)
    if cat is None:
        raise NotFound("category", category_id)
    siblings = list(session.exec(select(Category.id).where(Category.parent_id == cat.parent_id)
                                 .order_by(Category.position, Category.id)).all())
    here = siblings.index(category_id)
    there = here + delta
    if not 0 <= there < len(siblings):
        session.rollback()
        return
    siblings[here], siblings[there] = siblings[there], siblings[here]
    reorder_categories(session, actor=actor, ordered_ids=siblings)


@atomic
def delete_category(session: Session, *, actor: Actor, category_id: int) -> None:
    """Owner only; refused while it holds subcategories or products."""
    require(actor, Perm.catalog_delete)
    # lock the row: a product or subcategory being added to it (which holds a share lock, see
    # _category_in_use) finishes first and is seen below; one added later finds the category gone
    cat = session.get(Category, category_id, with_for_update=True, populate_existing=True)
    if cat is None:
        raise NotFound("category", category_id)
    if session.exec(select(Category.id).where(Category.parent_id == category_id)).first() is not None or \
            session.exec(select(Product.id).where(Product.category_id == category_id, Product.deleted.is_(False))).first() is not None:  # type: ignore[union-attr]
        raise DomainError("catalog.category_not_empty", f"category {category_id} is not empty")
    audit.record(session, actor=actor, action="catalog.category_delete", entity="category", entity_id=category_id,
                 before={"name": cat.name})
    # deleted products stay for past orders' lines; they just lose the category
    session.execute(update(Product).where(Product.category_id == category_id, Product.deleted.is_(True))
                    .values(category_id=None).execution_options(synchronize_session=False))
    session.delete(cat)
    session.commit()


# --------------------------------------------------------------------------- products (CA1)

PRODUCT_FIELDS = {"category_id", "name", "description", "details", "base_price_minor", "unit", "discount_pct",
                  "position", "hidden", "suspended", "cross_sell", "low_stock_threshold", "photos"}
AUDITED_FIELDS = {"name", "base_price_minor", "discount_pct", "hidden", "suspended", "category_id"}


@atomic
def create_product(session: Session, *, actor: Actor, name: str, base_price_minor: int = 0,
                   category_id: int | None = None, variants: list[VariantIn | dict] | str | None = None,
                   description: str = "", details: str = "", unit: str = "шт", discount_pct: int = 0,
                   position: int = 0, hidden: bool = False, cross_sell: list[int] | None = None,
                   low_stock_threshold: int = 3, photos: list[str] | None = None) -> ProductOut:
    """A product with its variants; with none given it gets one default variant at the base price."""
    require(actor, Perm.catalog_edit)
    name = _name(name, 200, "catalog.product_name_invalid")
    if category_id is not None and _category_in_use(session, category_id) is None:
        raise NotFound("category", category_id)
    _check_pct(discount_pct)
    if isinstance(variants, str):
        variants = parse_variants(variants)
    specs = [v if isinstance(v, VariantIn) else VariantIn.model_validate(v) for v in (variants or [])]
    for price in (base_price_minor, *(v.price_minor for v in specs), *(v.wholesale_price_minor or 0 for v in specs)):
        _check_price(price)
    product = Product(
        name=name, category_id=category_id, base_price_minor=base_price_minor or (specs[0].price_minor if specs else 0),
        description=(description or "")[:5000], details=(details or "")[:5000], unit=(unit or "шт")[:16],
        discount_pct=discount_pct, position=position, hidden=hidden, cross_sell=list(cross_sell or []),
        low_stock_threshold=max(low_stock_threshold, 0), photos=list(photos or []),
    )
    session.add(product)
    session.flush()
    if not specs:
        specs = [VariantIn(label="", price_minor=product.base_price_minor)]
    rows = []
    for pos, spec in enumerate(specs):
        v = Variant(product_id=product.id, position=pos, is_default=len(specs) == 1 and not spec.label,
                    **spec.model_dump())
        session.add(v)
        rows.append(v)
    session.flush()
    audit.record(session, actor=actor, action="catalog.product_create", entity="product", entity_id=product.id,
                 after={"name": name, "base_price_minor": product.base_price_minor, "discount_pct": discount_pct,
                        "variants": [s.model_dump() for s in specs]})
    out = _product_out(session, product, rows)
    session.commit()
    return out


@atomic
def update_product(session: Session, *, actor: Actor, product_id: int, **changes: Any) -> ProductOut:
    """Change any of PRODUCT_FIELDS. Renaming is owner-only (CA1); price, discount, visibility and
    category changes are audited."""
    require(actor, Perm.catalog_edit)
    unknown = set(changes) - PRODUCT_FIELDS
    if unknown:
        raise ValidationFailed("catalog.unknown_field", f"unknown fields {sorted(unknown)}")
    product = live_product(session, product_id)
    if "name" in changes and changes["name"] != product.name:
        require(actor, Perm.catalog_rename)
        changes["name"] = _name(changes["name"], 200, "catalog.product_name_invalid")
    if "discount_pct" in changes:
        _check_pct(changes["discount_pct"])
    if "base_price_minor" in changes:
        _check_price(changes["base_price_minor"])
    if changes.get("category_id") is not None and _category_in_use(session, changes["category_id"]) is None:
        raise NotFound("category", changes["category_id"])
    before = {k: getattr(product, k) for k in changes if k in AUDITED_FIELDS}
    for key, value in changes.items():
        setattr(product, key, list(value) if key in ("cross_sell", "photos") else value)
    product.updated_at = utcnow()
    session.add(product)
    if before:
        audit.record(session, actor=actor, action="catalog.product_update", entity="product", entity_id=product_id,
                     before=before, after={k: changes[k] for k in before})
    out = _product_out(session, product)
    session.commit()
    return out


_KEEP: Any = object()  # update_variant: a code argument not given (None clears a code)


@atomic
def update_variant(session: Session, *, actor: Actor, variant_id: int, label: str | None = None,
                   price_minor: int | None = None, weight_g: int | None = None,
                   wholesale_price_minor: int | None = None, wholesale_min_qty: int | None = None,
                   active: bool | None = None, sku: str | None = _KEEP, barcode: str | None = _KEEP,
                   unit: str | None = None, plu: int | None = _KEEP, clear_wholesale: bool = False) -> VariantOut:
    """Edit a variant's label, prices, weight, codes and unit (prices and codes audited). Stock is
    not edited here. ``sku``/``barcode``/``plu`` None clears them; a code another variant has is
    refused (``catalog.barcode_taken`` …) — the database's unique indexes hold it under races."""
    require(actor, Perm.catalog_edit)
    v = session.get(Variant, variant_id)
    if v is None:
        raise NotFound("variant", variant_id)
    before = _audited(v)
    for key, value in (("label", label), ("price_minor", price_minor), ("weight_g", weight_g),
                       ("wholesale_price_minor", wholesale_price_minor), ("wholesale_min_qty", wholesale_min_qty),
                       ("active", active)):
        if value is not None:
            if isinstance(value, int) and not isinstance(value, bool) and value < 0:
                raise ValidationFailed("catalog.price_invalid", f"{key} must be >= 0")
            if key.endswith("price_minor"):
                _check_price(value, key)
            setattr(v, key, value)
    if clear_wholesale:
        v.wholesale_price_minor = None
    if v.wholesale_min_qty < 1:
        raise ValidationFailed("catalog.variant_invalid", "minimum wholesale quantity >= 1", field="min_qty")
    if unit is not None:
        if unit not in SaleUnit.__members__:
            raise ValidationFailed("catalog.unit_invalid", f"unit {unit!r}", field="unit")
        v.unit = unit
    codes = {k: val for k, val in (("sku", sku), ("barcode", barcode), ("plu", plu)) if val is not _KEEP}
    _check_codes(session, codes, variant_id)
    for key, value in codes.items():
        setattr(v, key, value)
    session.add(v)
    flush_variant_codes(session, codes)
    after = _audited(v)
    if after != before:
        prices = any(before[k] != after[k] for k in ("price_minor", "wholesale_price_minor", "wholesale_min_qty"))
        audit.record(session, actor=actor, action="catalog.price_change" if prices else "catalog.variant_update",
                     entity="variant", entity_id=variant_id,
                     before={k: before[k] for k in before if before[k] != after[k]},
                     after={k: after[k] for k in after if before[k] != after[k]})
    out = _variant_out(v)
    session.commit()
    return out


_AUDITED_VARIANT = ("label", "price_minor", "wholesale_price_minor", "wholesale_min_qty", "sku", "barcode", "unit", "plu")
CODE_ERRORS = {"sku": "catalog.sku_taken", "barcode": "catalog.barcode_taken", "plu": "catalog.plu_taken"}


def _audited(v: Variant) -> dict:
    return {k: getattr(v, k) for k in _AUDITED_VARIANT}


def _check_codes(session: Session, codes: dict, variant_id: int | None) -> None:
    """A friendly refusal naming the product that has the code already (the unique index decides
    races: :func:`flush_variant_codes`)."""
    for key, value in codes.items():
        if value is None:
            continue
        other = session.exec(select(Variant, Product.name).join(Product, Product.id == Variant.product_id)
                             .where(getattr(Variant, key) == value, Variant.id != (variant_id or 0))).first()
        if other is not None:
            raise DomainError(CODE_ERRORS[key], f"{key} {value} is taken", code=str(value), name=other[1],
                              field=key)


def flush_variant_codes(session: Session, codes: dict | None = None) -> None:
    """Write; a code another transaction took meanwhile is the same refusal as the check's."""
    try:
        session.flush()
    except IntegrityError as exc:
        broken = unique_violation(exc)
        key = next((k for k in CODE_ERRORS if broken == ("variant", frozenset({k}))), None)
        if key is None:
            raise
        session.rollback()
        raise DomainError(CODE_ERRORS[key], f"{key} taken", code=str((codes or {}).get(key, "")), name="",
                          field=key) from exc


@atomic
def add_variant(session: Session, *, actor: Actor, product_id: int, variant: VariantIn | dict) -> VariantOut:
    require(actor, Perm.catalog_edit)
    live_product(session, product_id)
    spec = variant if isinstance(variant, VariantIn) else VariantIn.model_validate(variant)
    _check_price(spec.price_minor)
    _check_price(spec.wholesale_price_minor or 0)
    count = len(session.exec(select(Variant.id).where(Variant.product_id == product_id)).all())
    codes = {k: getattr(spec, k) for k in ("sku", "barcode", "plu") if getattr(spec, k) is not None}
    _check_codes(session, codes, None)
    v = Variant(product_id=product_id, position=count, **spec.model_dump())
    session.add(v)
    flush_variant_codes(session, codes)
    audit.record(session, actor=actor, action="catalog.variant_add", entity="variant", entity_id=v.id,
                 after=spec.model_dump())
    out = _variant_out(v)
    session.commit()
    return out


@atomic
def delete_product(session: Session, *, actor: Actor, product_id: int) -> None:
    """Owner only (CA1). A soft delete: past orders keep their lines."""
    require(actor, Perm.catalog_delete)
    product = live_product(session, product_id)
    product.deleted = True
    product.hidden = True
    session.add(product)
    audit.record(session, actor=actor, action="catalog.product_delete", entity="product", entity_id=product_id,
                 before={"name": product.name})
    session.commit()


# --------------------------------------------------------------------------- reading (ST2, ST3)

def get_product(session: Session, *, actor: Actor, product_id: int) -> ProductOut:
    product = session.get(Product, product_id)
    if product is None or product.deleted or (product.hidden and not _sees_hidden(actor)):
        raise NotFound("product", product_id)
    return _product_out(session, product)


def list_catalog(session: Session, *, actor: Actor, search: str | None = None,
                 category_id: int | None = None) -> CatalogOut:
    """The tree and the products in display order. Customers don't see hidden categories or
    products (nor products inside a hidden category); staff see everything not deleted."""
    staff_view = _sees_hidden(actor)
    cats = session.exec(select(Category).order_by(Category.position, Category.id)).all()
    hidden_ids = hidden_category_ids(cats)
    roots = category_tree(cats, set() if staff_view else hidden_ids)
    query = select(Product).where(Product.deleted.is_(False))  # type: ignore[union-attr]
    if not staff_view:
        query = query.where(Product.hidden.is_(False))  # type: ignore[union-attr]
    if search:
        query = query.where(folded_contains(Product.search_key, search))
    if category_id is not None:
        sub = [c.id for c in cats if c.parent_id == category_id]
        query = query.where(Product.category_id.in_([category_id, *sub]))
    products = [p for p in session.exec(query.order_by(Product.position, Product.id)).all()
                if staff_view or p.category_id not in hidden_ids]
    variants: dict[int, list[Variant]] = {}
    if products:
        for v in session.exec(select(Variant).where(Variant.product_id.in_([p.id for p in products]), Variant.active)
                              .order_by(Variant.position, Variant.id)).all():
            variants.setdefault(v.product_id, []).append(v)
    return CatalogOut(categories=roots, products=[_product_out(session, p, variants.get(p.id, [])) for p in products])


def hidden_category_ids(cats: list[Category]) -> set[int]:
    """The hidden categories and their subcategories."""
    hidden = {c.id for c in cats if c.hidden}
    hidden |= {c.id for c in cats if c.parent_id in hidden}
    return hidden


def category_tree(cats: list[Category], hidden: set[int]) -> list[CategoryOut]:
    """The categories (in the given order) as a tree of their roots, leaving out those in ``hidden``."""
    nodes = {c.id: CategoryOut.model_validate(c, from_attributes=True) for c in cats if c.id not in hidden}
    roots = []
    for node in nodes.values():
        if node.parent_id is None:
            roots.append(node)
        elif node.parent_id in nodes:
            nodes[node.parent_id].children.append(node)
    return roots


def _sees_hidden(actor: Actor) -> bool:
    return actor.is_system or can(actor, Perm.catalog_edit) or can(actor, Perm.pos_sell)


def _category_in_use(session: Session, category_id: int) -> Category | None:
    """The category, share-locked until the transaction ends so it cannot be deleted meanwhile
    (PostgreSQL; SQLite runs writers one at a time). None if it does not exist (any more)."""
    return session.get(Category, category_id, with_for_update={"read": True}, populate_existing=True)


def live_product(session: Session, product_id: int) -> Product:
    product = session.get(Product, product_id)
    if product is None or product.deleted:
        raise NotFound("product", product_id)
    return product


def _name(value: str, max_len: int, code: str) -> str:
    value = (value or "").strip()
    if not 1 <= len(value) <= max_len:
        raise ValidationFailed(code, f"name 1..{max_len} chars", max=max_len)
    return value


MAX_PRICE_MINOR = 100_000_000_00  # 100 million rubles: a typo guard on any price typed


def _check_price(value: int, what: str = "price") -> None:
    """Not negative, and at most :data:`MAX_PRICE_MINOR` (the message names the bound)."""
    if value < 0:
        raise ValidationFailed("catalog.price_invalid", f"{what} must be >= 0")
    if value > MAX_PRICE_MINOR:
        raise ValidationFailed("catalog.price_too_large", f"{what} above the bound", max_minor=MAX_PRICE_MINOR)


def _check_pct(pct: int) -> None:
    if not 0 <= pct <= 100:
        raise ValidationFailed("catalog.discount_invalid", "discount 0..100 %")
