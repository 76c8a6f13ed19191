"""Catalog Excel import and export (CA3): the export and the import use the same columns.

One row per variant. A row with a product id changes that product; a row without one creates a
product (rows with the same new name become variants of one product). The import is two steps:
:func:`preview_import` says what would change; :func:`apply_import` applies it all in one
transaction. One bad row rejects the whole file with row-level errors and changes nothing. From the
page, :func:`preview_upload` keeps the previewed file (named by its digest) until
:func:`apply_upload` applies it or :func:`discard_upload` drops it.
"""
from __future__ import annotations

import hashlib
import io
import re
import tempfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from smo_app.models.base import utcnow
from smo_app.models.catalog import Category, Product, Variant
from smo_app.models.imports import CatalogImport
from smo_app.money import parse_money
from smo_app.services.core import audit
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, ValidationFailed
from smo_app.services.core.permissions import Perm, can, require
from smo_app.services.core.tx import atomic

COLUMNS = ("product_id", "name", "category", "variant_id", "variant", "price", "weight_g", "discount_pct", "unit",
           "hidden", "low_stock_threshold", "description")
MAX_ROWS = 5000
MAX_BYTES = 5 * 1024 * 1024
_TRUE = {"1", "да", "yes", "true", "y", "д", "+"}
_FALSE = {"", "0", "нет", "no", "false", "n", "н", "-"}


class ImportChange(BaseModel):
    row: int
    action: str  # create | update | unchanged
    product_id: int | None
    name: str
    changes: dict[str, list[Any]]  # field → [before, after]


class ImportPlan(BaseModel):
    digest: str
    changes: list[ImportChange]
    creates: int
    updates: int
    unchanged: int


def _category_path(cat: Category, by_id: dict[int, Category]) -> str:
    parent = by_id.get(cat.parent_id) if cat.parent_id else None
    return f"{parent.name} / {cat.name}" if parent else cat.name


def export_xlsx(session: Session, *, actor: Actor) -> bytes:
    """Every product not deleted, one row per active variant, in the import's columns."""
    from openpyxl import Workbook

    require(actor, Perm.catalog_edit)
    cats = {c.id: c for c in session.exec(select(Category)).all()}
    wb = Workbook()
    ws = wb.active
    ws.title = "catalog"
    ws.append(list(COLUMNS))
    products = session.exec(select(Product).where(Product.deleted.is_(False)).order_by(Product.id)).all()
    variants: dict[int, list[Variant]] = {}
    for v in session.exec(select(Variant).where(Variant.active).order_by(Variant.position, Variant.id)).all():
        variants.setdefault(v.product_id, []).append(v)
    for p in products:
        cat = _category_path(cats[p.category_id], cats) if p.category_id in cats else ""
        for v in variants.get(p.id, []):
            ws.append([p.id, p.name, cat, v.id, v.label, v.price_minor / 100, v.weight_g, p.discount_pct, p.unit,
                       1 if p.hidden else 0, p.low_stock_threshold, p.description])
    session.rollback()
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------- parsing and checking

class _Row(BaseModel):
    row: int
    product_id: int | None
    name: str
    category_id: int | None
    variant_id: int | None
    variant: str
    price_minor: int
    weight_g: int
    discount_pct: int
    unit: str
    hidden: bool
    low_stock_threshold: int
    description: str


def _read_rows(data: bytes) -> list[tuple[int, dict[str, Any]]]:
    from openpyxl import load_workbook

    if not data:
        raise ValidationFailed("catalog.import_empty", "empty file")
    if len(data) > MAX_BYTES:
        raise ValidationFailed("catalog.import_too_big", "file too big", max_mb=MAX_BYTES // (1024 * 1024))
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is the same user error
        raise ValidationFailed("catalog.import_not_xlsx", str(exc)) from exc
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = [str(h or "").strip().lower() for h in next(rows, ())]
    missing = [c for c in ("name", "price") if c not in header]
    if missing:
        raise ValidationFailed("catalog.import_columns", f"missing columns {missing}", columns=", ".join(COLUMNS))
    out = []
    for no, values in enumerate(rows, start=2):
        if values is None or all(v is None or str(v).strip() == "" for v in values):
            continue
        out.append((no, {h: values[i] if i < len(values) else None for i, h in enumerate(header) if h}))
        if len(out) > MAX_ROWS:
            raise ValidationFailed("catalog.import_too_many", "too many rows", max=MAX_ROWS)
    wb.close()
    if not out:
        raise ValidationFailed("catalog.import_empty", "no rows")
    return out


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _int(value: Any, *, minimum: int = 0, maximum: int | None = None) -> int:
    text = _text(value)
    if text == "":
        return minimum
    number = int(text)
    if number < minimum or (maximum is not None and number > maximum):
        raise ValueError(text)
    return number


def _check_rows(session: Session, actor: Actor, raw: list[tuple[int, dict[str, Any]]]) -> list[_Row]:
    cats = {c.id: c for c in session.exec(select(Category)).all()}
    cat_by_path = {_category_path(c, cats).casefold(): c.id for c in cats.values()}
    cat_by_path.update({c.name.casefold(): c.id for c in cats.values() if c.name.casefold() not in cat_by_path})
    errors: list[dict[str, Any]] = []
    rows: list[_Row] = []
    seen_variants: set[int] = set()
    for no, v in raw:
        def bad(code: str, **params):
            errors.append({"line": no, "code": code, "params": params})

        try:
            pid_text, vid_text = _text(v.get("product_id")), _text(v.get("variant_id"))
            pid = int(pid_text) if pid_text else None
            vid = int(vid_text) if vid_text else None
        except ValueError:
            bad("catalog.import_bad_id")
            continue
        name = _text(v.get("name"))
        if not 1 <= len(name) <= 200:
            bad("catalog.product_name_invalid", max=200)
            continue
        try:
            price = parse_money(_text(v.get("price")))
        except ValueError:
            bad("catalog.import_bad_price", value=_text(v.get("price")))
            continue
        try:
            weight = _int(v.get("weight_g"))
            discount = _int(v.get("discount_pct"), maximum=100)
            threshold = _int(v.get("low_stock_threshold"), maximum=1_000_000) if _text(v.get("low_stock_threshold")) else 3
        except ValueError:
            bad("catalog.import_bad_number")
            continue
        hidden_text = _text(v.get("hidden")).casefold()
        if hidden_text not in _TRUE | _FALSE:
            bad("catalog.import_bad_flag", value=_text(v.get("hidden")))
            continue
        cat_text = _text(v.get("category"))
        cat_id = None
        if cat_text:
            cat_id = cat_by_path.get(" / ".join(p.strip() for p in cat_text.split("/")).casefold())
            if cat_id is None:
                bad("catalog.import_unknown_category", name=cat_text)
                continue
        label = _text(v.get("variant"))
        if len(label) > 64:
            bad("catalog.import_bad_variant")
            continue
        if pid is not None:
            product = session.get(Product, pid)
            if product is None or product.deleted:
                bad("catalog.import_unknown_product", id=pid)
                continue
            if product.name != name and not can(actor, Perm.catalog_rename):
                bad("catalog.import_rename_forbidden", id=pid)
                continue
        if vid is not None:
            variant = session.get(Variant, vid)
            if variant is None or variant.product_id != pid:
                bad("catalog.import_unknown_variant", id=vid)
                continue
            if vid in seen_variants:
                bad("catalog.import_duplicate_variant", id=vid)
                continue
            seen_variants.add(vid)
        rows.append(_Row(row=no, product_id=pid, name=name, category_id=cat_id, variant_id=vid, variant=label,
                         price_minor=price, weight_g=weight, discount_pct=discount, unit=(_text(v.get("unit")) or "шт")[:16],
                         hidden=hidden_text in _TRUE, low_stock_threshold=threshold,
                         description=_text(v.get("description"))[:5000]))
    if errors:
        first = errors[0]
        raise ValidationFailed("catalog.import_rejected", f"row {first['line']}: {first['code']}", errors=errors,
                               line=first["line"], count=len(errors))
    return rows


_PRODUCT_KEYS = ("name", "category_id", "discount_pct", "unit", "hidden", "low_stock_threshold", "description")


def _plan(session: Session, rows: list[_Row], digest: str) -> ImportPlan:
    changes = []
    for r in rows:
        diff: dict[str, list[Any]] = {}
        if r.product_id is None:
            action = "create"
        else:
            product = session.get(Product, r.product_id)
            for key in _PRODUCT_KEYS:
                if getattr(product, key) != getattr(r, key):
                    diff[key] = [getattr(product, key), getattr(r, key)]
            if r.variant_id is None:
                diff["variant"] = [None, r.variant]
                diff["price_minor"] = [None, r.price_minor]
            else:
                variant = session.get(Variant, r.variant_id)
                for key, new in (("label", r.variant), ("price_minor", r.price_minor), ("weight_g", r.weight_g)):
                    if getattr(variant, key) != new:
                        diff[key] = [getattr(variant, key), new]
            action = "update" if diff else "unchanged"
        changes.append(ImportChange(row=r.row, action=action, product_id=r.product_id, name=r.name, changes=diff))
    return ImportPlan(digest=digest, changes=changes, creates=sum(c.action == "create" for c in changes),
                      updates=sum(c.action == "update" for c in changes),
                      unchanged=sum(c.action == "unchanged" for c in changes))


def preview_import(session: Session, *, actor: Actor, data: bytes) -> ImportPlan:
    """What the file would change, row by row; raises ``catalog.import_rejected`` with every bad row."""
    require(actor, Perm.catalog_edit)
    try:
        rows = _check_rows(session, actor, _read_rows(data))
        plan = _plan(session, rows, hashlib.sha256(data).hexdigest())
        if plan.creates and session.exec(select(CatalogImport.id).where(
                CatalogImport.digest == plan.digest, CatalogImport.creates > 0)).first() is not None:
            raise DomainError("catalog.import_already_applied", "this file was applied already")
        return plan
    finally:
        session.rollback()


@atomic
def apply_import(session: Session, *, actor: Actor, data: bytes, digest: str) -> ImportPlan:
    """Apply the previewed file (``digest`` from the preview) in one transaction; audited."""
    require(actor, Perm.catalog_edit)
    if hashlib.sha256(data).hexdigest() != digest:
        raise ValidationFailed("catalog.import_changed", "the file differs from the preview")
    rows = _check_rows(session, actor, _read_rows(data))
    plan = _plan(session, rows, digest)
    now = utcnow()
    session.add(CatalogImport(digest=digest, creates=plan.creates, updates=plan.updates, actor_name=actor.name[:128],
                              created_at=now))
    try:
        session.flush()  # a file that creates products is applied once: the database holds the rule
    except IntegrityError as exc:
        raise DomainError("catalog.import_already_applied", "this file was applied already") from exc
    created: dict[str, Product] = {}
    for r, change in zip(rows, plan.changes):
        if change.action == "unchanged":
            continue
        if r.product_id is None:
            product = created.get(r.name.casefold())
            if product is None:
                product = Product(name=r.name, category_id=r.category_id, base_price_minor=r.price_minor,
                                  discount_pct=r.discount_pct, unit=r.unit, hidden=r.hidden,
                                  low_stock_threshold=r.low_stock_threshold, description=r.description)
                session.add(product)
                session.flush()
                created[r.name.casefold()] = product
            count = len(session.exec(select(Variant.id).where(Variant.product_id == product.id)).all())
            session.add(Variant(product_id=product.id, label=r.variant, price_minor=r.price_minor, weight_g=r.weight_g,
                                position=count, is_default=not r.variant))
            session.flush()
            audit.record(session, actor=actor, action="catalog.import_create", entity="product", entity_id=product.id,
                         after={"name": r.name, "variant": r.variant, "price_minor": r.price_minor, "row": r.row})
            continue
        product = session.get(Product, r.product_id)
        for key in _PRODUCT_KEYS:
            setattr(product, key, getattr(r, key))
        product.updated_at = now
        session.add(product)
        if r.variant_id is None:
            count = len(session.exec(select(Variant.id).where(Variant.product_id == product.id)).all())
            session.add(Variant(product_id=product.id, label=r.variant, price_minor=r.price_minor, weight_g=r.weight_g,
                                position=count))
        else:
            variant = session.get(Variant, r.variant_id)
            variant.label, variant.price_minor, variant.weight_g = r.variant, r.price_minor, r.weight_g
            session.add(variant)
        session.flush()
        audit.record(session, actor=actor, action="catalog.import_update", entity="product", entity_id=product.id,
                     before={k: v[0] for k, v in change.changes.items()},
                     after={k: v[1] for k, v in change.changes.items()}, note=f"row {r.row}")
    session.commit()
    return plan


# --------------------------------------------------------------------------- the page's two steps

def _upload_path(digest: str) -> Path | None:
    """Where a previewed file waits; None for anything but a SHA-256 digest."""
    if not re.fullmatch(r"[0-9a-f]{64}", digest or ""):
        return None
    return Path(tempfile.gettempdir()) / f"smo-import-{digest}.xlsx"


def preview_upload(session: Session, *, actor: Actor, data: bytes) -> ImportPlan:
    """:func:`preview_import`, and the file kept until it is applied or discarded."""
    plan = preview_import(session, actor=actor, data=data)
    _upload_path(plan.digest).write_bytes(data)
    return plan


def apply_upload(session: Session, *, actor: Actor, digest: str) -> ImportPlan:
    """Apply the file previewed as ``digest`` (gone or changed: ``catalog.import_changed``)."""
    path = _upload_path(digest)
    data = path.read_bytes() if path is not None and path.exists() else b""
    plan = apply_import(session, actor=actor, data=data, digest=digest)
    path.unlink(missing_ok=True)
    return plan


def discard_upload(session: Session, *, actor: Actor, digest: str) -> None:
    path = _upload_path(digest)
    if path is not None:
        path.unlink(missing_ok=True)
