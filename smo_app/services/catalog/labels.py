"""Price labels (CA4): a PDF of the chosen variants × copies, each label with the product's name,
its variant, the price (per kg / per g for goods sold by weight) and a barcode a scanner reads.

The barcode is the variant's own — EAN-13, EAN-8 or UPC-A when it is one, any other code in
Code 128 — or, without a barcode, its SKU in Code 128 (the POS finds a variant by either). Bars are
drawn as vector rectangles from ``python-barcode``'s encoding (a kept library) into ``fpdf2``'s
page, so they print sharp at any printer resolution. Sizes: the thermal printers' usual 58×40 and
43×25 mm rolls (one label a page) and A4 sheets of 3×8 self-adhesive labels (70×37 mm).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, Field
from sqlmodel import Session, select

from smo_app.i18n import t
from smo_app.models.catalog import Product, Variant
from smo_app.money import format_money
from smo_app.services.catalog.barcodes import symbology
from smo_app.services.catalog.sheets import FONT_CANDIDATES
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import ValidationFailed
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.text_search import folded_contains
from smo_app.units import price_unit

MAX_LABELS = 1000
MAX_COPIES = 200


@dataclass(frozen=True, slots=True)
class LabelSize:
    width: float  # mm, one label
    height: float
    page: tuple[float, float] | None = None  # a sheet of several labels (A4), else one label a page
    cols: int = 1
    rows: int = 1
    margin_x: float = 0.0
    margin_y: float = 0.0


SIZES: dict[str, LabelSize] = {
    "58x40": LabelSize(58, 40),
    "43x25": LabelSize(43, 25),
    "a4_3x8": LabelSize(70, 37.125, page=(210, 297), cols=3, rows=8),
}


class LabelItem(BaseModel):
    variant_id: int
    copies: int = Field(default=1)


class LabelOut(BaseModel):
    """One label as printed (what the PDF draws; tests read the codes back from the PDF)."""

    variant_id: int
    name: str
    variant_label: str
    price: str
    code: str | None  # what the barcode encodes
    symbology: str | None  # ean13 | ean8 | upca | code128


def label_rows(session: Session, *, actor: Actor, items: list[LabelItem], lang: str = "ru") -> list[LabelOut]:
    """The labels to print, in order, each variant once per copy (checked: something chosen, copies
    1..MAX_COPIES, at most MAX_LABELS in all, variants that exist)."""
    require(actor, Perm.catalog_edit)
    if not items:
        raise ValidationFailed("catalog.labels_none", "nothing chosen")
    if any(not 1 <= i.copies <= MAX_COPIES for i in items):
        raise ValidationFailed("catalog.labels_copies", "copies out of range", max=MAX_COPIES)
    if sum(i.copies for i in items) > MAX_LABELS:
        raise ValidationFailed("catalog.labels_too_many", "too many labels", max=MAX_LABELS)
    ids = [i.variant_id for i in items]
    rows = {v.id: (v, p) for v, p in session.exec(
        select(Variant, Product).join(Product, Product.id == Variant.product_id)
        .where(Variant.id.in_(ids), Product.deleted.is_(False))).all()}
    session.rollback()
    missing = [vid for vid in ids if vid not in rows]
    if missing:
        raise ValidationFailed("catalog.labels_none", f"unknown variants {missing}")
    out = []
    for item in items:
        v, p = rows[item.variant_id]
        code = v.barcode or v.sku
        price = format_money(v.price_minor, lang=lang) + price_unit(v.unit, lang)
        label = LabelOut(variant_id=v.id, name=p.name, variant_label=v.label, price=price, code=code,
                         symbology=symbology(code) if code else None)
        out.extend([label] * item.copies)
    return out


def _modules(code: str, kind: str) -> str:
    """The bar pattern: ``1`` a dark module, ``0`` a light one (python-barcode's encoding)."""
    import barcode

    cls = barcode.get_barcode_class({"upca": "upca", "ean13": "ean13", "ean8": "ean8"}.get(kind, "code128"))
    body = code[:-1] if kind in ("ean13", "ean8", "upca") else code  # python-barcode adds the check digit
    return "".join(cls(body).build())


def _bars(pdf, modules: str, x: float, y: float, width: float, height: float) -> None:
    module = width / len(modules)
    run_start = None
    for i, bit in enumerate(modules + "0"):
        if bit == "1" and run_start is None:
            run_start = i
        elif bit != "1" and run_start is not None:
            pdf.rect(x + run_start * module, y, (i - run_start) * module, height, style="F")
            run_start = None


def _fit(pdf, text: str, width: float, size: float, minimum: float = 5) -> float:
    """The largest font size ≤ ``size`` at which ``text`` fits ``width`` on one line."""
    while size > minimum and pdf.get_string_width(text) > width:
        size -= 0.5
        pdf.set_font_size(size)
    return size


def _draw(pdf, label: LabelOut, x: float, y: float, w: float, h: float) -> None:
    pad = max(1.5, w * 0.04)
    inner = w - 2 * pad
    small = h < 30
    name = f"{label.name} {label.variant_label}".strip()
    size, line = (7.0, 3.0) if small else (9.0, 3.8)
    pdf.set_font("label", size=size)
    while True:  # two lines at most: a smaller font, then the name cut with "…"
        lines = pdf.multi_cell(inner, line, name, align="C", dry_run=True, output="LINES")
        if len(lines) <= 2:
            break
        if size > 5.5:
            size -= 0.5
            line = size * 0.42
            pdf.set_font_size(size)
        else:
            name = name[:max(len(lines[0]) + len(lines[1]) - 1, 1)].rstrip() + "…"
    pdf.set_xy(x + pad, y + pad)
    pdf.multi_cell(inner, line, name, align="C")
    top = y + pad + (6.5 if small else 8.5)
    pdf.set_font("label", "B", size=11 if small else 15)
    _fit(pdf, label.price, inner, 11 if small else 15)
    pdf.set_xy(x + pad, top)
    pdf.cell(inner, 4.5 if small else 6.5, label.price, align="C")
    if label.code:
        modules = _modules(label.code, label.symbology)
        quiet = 10 if label.symbology != "code128" else 10  # modules of quiet zone each side
        bar_w = min(inner, len(modules) * (0.33 if not small else 0.27) + 2 * quiet * 0.3)
        module = bar_w / (len(modules) + 2 * quiet)
        bar_x = x + (w - bar_w) / 2 + quiet * module
        bar_top = top + (5.5 if small else 8)
        text_h = 2.6 if small else 3.2
        bar_h = max(4.0, y + h - pad - text_h - bar_top)
        _bars(pdf, modules, bar_x, bar_top, module * len(modules), bar_h)
        pdf.set_font("label", size=6 if small else 7.5)
        pdf.set_xy(x + pad, bar_top + bar_h + 0.3)
        pdf.cell(inner, text_h, label.code, align="C")


def labels_pdf(session: Session, *, actor: Actor, items: list[LabelItem], size: str = "58x40",
               lang: str = "ru") -> bytes:
    """The label sheet as PDF bytes (see the module's docstring)."""
    from fpdf import FPDF

    spec = SIZES.get(size)
    if spec is None:
        raise ValidationFailed("catalog.labels_size", f"size {size!r}")
    labels = label_rows(session, actor=actor, items=items, lang=lang)
    page = spec.page or (spec.width, spec.height)
    pdf = FPDF(orientation="P", unit="mm", format=page)  # (width, height) as given
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    font = next(f for f in FONT_CANDIDATES if Path(f).exists())
    pdf.add_font("label", fname=font)
    bold = Path(font).with_name(Path(font).stem + "-Bold.ttf")
    pdf.add_font("label", "B", fname=str(bold) if bold.exists() else font)
    pdf.set_title(t("ui.labels.title", lang))
    per_page = spec.cols * spec.rows
    ox = (page[0] - spec.cols * spec.width) / 2
    oy = (page[1] - spec.rows * spec.height) / 2
    for index, label in enumerate(labels):
        if index % per_page == 0:
            pdf.add_page()
        col, row = index % spec.cols, (index // spec.cols) % spec.rows
        _draw(pdf, label, ox + col * spec.width, oy + row * spec.height, spec.width, spec.height)
    return bytes(pdf.output())


class LabelPick(BaseModel):
    variant_id: int
    name: str  # the product's name and the variant's label
    price_minor: int
    code: str  # the barcode, else the SKU, else ""


def find_variants(session: Session, *, actor: Actor, query: str, limit: int = 20) -> list[LabelPick]:
    """Variants to print labels for: by name, variant, SKU or barcode (any language, any case)."""
    require(actor, Perm.catalog_edit)
    text = (query or "").strip()[:100]
    if not text:
        return []
    rows = session.exec(select(Variant, Product).join(Product, Product.id == Variant.product_id)
                        .where(Variant.active, Product.deleted.is_(False),
                               folded_contains(Product.search_key, text) | folded_contains(Variant.search_key, text))
                        .order_by(Product.position, Product.id, Variant.position, Variant.id).limit(limit)).all()
    session.rollback()
    return [LabelPick(variant_id=v.id, name=f"{p.name} {v.label}".strip(), price_minor=v.price_minor,
                      code=v.barcode or v.sku or "") for v, p in rows]
