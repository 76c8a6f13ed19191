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
from smo_app.models.catalog import Category, Product, SaleUnit, Variant
from smo_app.models.imports import CatalogImport
from smo_app.money import parse_money
from smo_app.services.core import audit
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, ValidationFailed
from smo_app.services.core.permissions import Perm, can, require
from smo_app.services.core.tx import atomic
from smo_app.services.catalog.barcodes import clean_barcode, clean_sku
from smo_app.services.catalog.products import flush_variant_codes

COLUMNS = ("product_id", "name", "category", "variant_id", "variant", "price", "weight_g", "discount_pct", "unit",
           "hidden", "low_stock_threshold", "description", "sku", "barcode", "sold_by", "scale_code")
CODE_COLUMNS = ("sku", "barcode", "plu")  # the variant's codes, unique across the shop (sold_by: pcs | kg | g)
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
                       1 if p.hidden else 0, p.low_stock_threshold, p.description, v.sku or "", v.barcode or "",
                       v.unit, v.plu or ""])
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
    sku: str | None = None
    barcode: str | None = None
    sold_by: str = SaleUnit.pcs
    plu: int | None = None


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
        def bad(error_code: str, **params):
            errors.append({"line": no, "code": error_code, "params": params})

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
        try:
            codes = _codes(v)
        except ValidationFailed as exc:
            bad(exc.code, **{k: val for k, val in exc.params.items() if k not in ("errors", "field")})
            continue
        rows.append(_Row(row=no, product_id=pid, name=name, category_id=cat_id, variant_id=vid, variant=label, **codes,
                         price_minor=price, weight_g=weight, discount_pct=discount, unit=(_text(v.get("unit")) or "шт")[:16],
                         hidden=hidden_text in _TRUE, low_stock_threshold=threshold,
                         description=_text(v.get("description"))[:5000]))
    errors += _code_conflicts(session, rows)
    errors.sort(key=lambda e: e["line"])
    if errors:
        first = errors[0]
        raise ValidationFailed("catalog.import_rejected", f"row {first['line']}: {first['code']}", errors=errors,
                               line=first["line"], count=len(errors))
    return rows


def _codes(v: dict[str, Any]) -> dict[str, Any]:
    """A row's SKU, barcode (check digit checked), unit and scale code, or the refusal's code."""
    sold_by = _text(v.get("sold_by")).casefold() or SaleUnit.pcs
    sold_by = {"шт": "pcs", "кг": "kg", "г": "g"}.get(sold_by, sold_by)
    if sold_by not in SaleUnit.__members__:
        raise ValidationFailed("catalog.unit_invalid", f"unit {sold_by!r}")
    plu_text = _text(v.get("scale_code"))
    if plu_text and not (plu_text.isdigit() and 1 <= int(plu_text) <= 99999):
        raise ValidationFailed("catalog.plu_invalid", f"plu {plu_text!r}")
    return {"sku": clean_sku(_text(v.get("sku"))), "barcode": clean_barcode(_text(v.get("barcode"))),
            "sold_by": sold_by, "plu": int(plu_text) if plu_text else None}


def _code_conflicts(session: Session, rows: list[_Row]) -> list[dict[str, Any]]:
    """A code twice in the file, or a code another variant keeps (one not re-coded by the file)."""
    errors: list[dict[str, Any]] = []
    in_file = {r.variant_id for r in rows if r.variant_id is not None}
    for key in CODE_COLUMNS:
        seen: dict[Any, int] = {}
        wanted = [(r, getattr(r, key)) for r in rows if getattr(r, key) is not None]
        for r, value in wanted:
            if value in seen:
                errors.append({"line": r.row, "code": f"catalog.import_duplicate_{key}",
                               "params": {"code": value, "other": seen[value]}})
            else:
                seen[value] = r.row
        if not seen:
            continue
        column = getattr(Variant, key)
        for vid, value, name in session.exec(select(Variant.id, column, Product.name)
                                             .join(Product, Product.id == Variant.product_id)
                                             .where(column.in_(list(seen)))).all():
            row_of_value = seen[value]
            owner = next(r for r in rows if r.row == row_of_value)
            if vid == owner.variant_id or vid in in_file:
                continue  # its own code, or a variant the file gives another code
            errors.append({"line": row_of_value, "code": f"catalog.{key}_taken", "params": {"code": value, "name": name}})
    return errors


def _variant_values(r: _Row) -> dict[str, Any]:
    return {"label": r.variant, "price_minor": r.price_minor, "weight_g": r.weight_g, "sku": r.sku,
            "barcode": r.barcode, "unit": r.sold_by, "plu": r.plu}


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
                for key, new in _variant_values(r).items():
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
            session.add(Variant(product_id=product.id, **_variant_values(r), position=count, is_default=not r.variant))
            flush_variant_codes(session)  # a code given meanwhile rejects the file
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
            session.add(Variant(product_id=product.id, **_variant_values(r), position=count))
        else:
            variant = session.get(Variant, r.variant_id)
            for key, value in _variant_values(r).items():
                setattr(variant, key, value)
            session.add(variant)
        flush_variant_codes(session)  # a code given meanwhile rejects the file
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
