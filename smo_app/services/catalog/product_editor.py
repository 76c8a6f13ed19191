"""The backoffice product editor (CA1): the product with its chosen cross-sell products in one read,
and the editor's forms as typed — prices in rubles, the discount, threshold and position whole
numbers (threshold and position not negative), a new variant as ``volume:price:weight``.

A name sent unchanged is not a rename (renaming is the owner's); each save answers with the
product as it now is, so the editor shows what was stored.
"""
from __future__ import annotations

from pydantic import BaseModel, Field
from sqlmodel import Session

from smo_app.services.catalog import admin, barcodes, products
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import ValidationFailed
from smo_app.services.core.form_input import amount, optional_amount, optional_whole_number, whole_number
from smo_app.services.core.permissions import Perm, require

DEFAULT_UNIT = "шт"


class ProductForm(BaseModel):
    """The editor's fields as typed, and what it picked (category, switches, cross-sell)."""

    name: str = ""
    description: str = ""
    details: str = ""
    price: str = ""
    unit: str = ""
    discount: str = ""
    position: str = ""
    threshold: str = ""
    variants: str = ""  # a new product's variants, "10 мл:450:15; 30 мл:1100:40"
    category_id: int | None = None
    hidden: bool = False
    suspended: bool = False
    cross_sell: list[int] = Field(default_factory=list)


class VariantForm(BaseModel):
    label: str = ""
    price: str = ""
    weight: str = ""
    wholesale: str = ""  # empty: no wholesale price
    min_qty: str = ""
    barcode: str = ""  # empty: none
    sku: str = ""  # empty: none
    unit: str = "pcs"  # pcs | kg | g (SaleUnit)
    plu: str = ""  # the scale's item code, 1..99999; empty: none


class EditorView(BaseModel):
    product: products.ProductOut
    cross: list[admin.PickItem]  # the cross-sell products, by name


def editor_view(session: Session, *, actor: Actor, product_id: int) -> EditorView:
    require(actor, Perm.catalog_edit)
    product = products.get_product(session, actor=actor, product_id=product_id)
    return EditorView(product=product, cross=admin.pick_products(session, actor=actor, ids=product.cross_sell))


def _fields(form: ProductForm) -> dict:
    numbers = {key: whole_number(getattr(form, key), "catalog.number_invalid", field=key, default=0,
                                 minimum=None if key == "discount" else 0)
               for key in ("discount", "position", "threshold")}
    return {"name": form.name, "description": form.description, "details": form.details,
            "base_price_minor": amount(form.price.strip() or "0", "catalog.price_not_amount", field="price"),
            "unit": form.unit.strip() or DEFAULT_UNIT, "discount_pct": numbers["discount"],
            "position": numbers["position"], "low_stock_threshold": numbers["threshold"],
            "category_id": form.category_id, "hidden": form.hidden, "cross_sell": list(form.cross_sell)}


def save_product(session: Session, *, actor: Actor, product_id: int, form: ProductForm) -> EditorView:
    """Create the product (``product_id`` 0, with the variants typed) or change it."""
    require(actor, Perm.catalog_edit)
    fields = _fields(form)
    if not product_id:
        created = products.create_product(session, actor=actor, variants=form.variants or None, **fields)
        return editor_view(session, actor=actor, product_id=created.id)
    current = products.get_product(session, actor=actor, product_id=product_id)
    if fields["name"].strip() == current.name:
        fields.pop("name")
    products.update_product(session, actor=actor, product_id=product_id, suspended=form.suspended, **fields)
    return editor_view(session, actor=actor, product_id=product_id)


def save_variant(session: Session, *, actor: Actor, product_id: int, variant_id: int, form: VariantForm) -> EditorView:
    """One variant row of the editor as typed; every field is checked before anything is written
    (a refusal names its field: ``price``, ``wholesale``, ``min_qty``, ``barcode``, ``sku``, ``plu``)."""
    require(actor, Perm.catalog_edit)
    code = "catalog.variant_invalid"
    wholesale = optional_amount(form.wholesale, code, field="wholesale")
    plu = optional_whole_number(form.plu, "catalog.plu_invalid", field="plu", minimum=1)
    if plu is not None and plu > 99999:
        raise ValidationFailed("catalog.plu_invalid", f"plu {plu}", field="plu")
    products.update_variant(
        session, actor=actor, variant_id=variant_id, label=form.label.strip()[:64],
        price_minor=amount(form.price, code, field="price"), weight_g=whole_number(form.weight, code, field="weight", default=0, minimum=0),
        wholesale_price_minor=wholesale, clear_wholesale=wholesale is None,
        wholesale_min_qty=whole_number(form.min_qty, code, field="min_qty", default=1, minimum=1),
        barcode=barcodes.clean_barcode(form.barcode), sku=barcodes.clean_sku(form.sku), unit=form.unit or "pcs", plu=plu)
    return editor_view(session, actor=actor, product_id=product_id)


def add_variant(session: Session, *, actor: Actor, product_id: int, spec: str) -> EditorView:
    """One more variant written as ``volume:price:weight``."""
    require(actor, Perm.catalog_edit)
    try:
        specs = products.parse_variants(spec)
    except ValidationFailed:
        specs = []
    if len(specs) != 1:
        raise ValidationFailed("catalog.variant_invalid", f"one variant expected: {spec!r}", field="spec")
    products.add_variant(session, actor=actor, product_id=product_id, variant=specs[0])
    return editor_view(session, actor=actor, product_id=product_id)
