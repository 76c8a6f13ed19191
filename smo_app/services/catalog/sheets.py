"""Printable and downloadable sheets of the catalog (WH7): a PDF of product QR codes that open the
product in the bot (``t.me/<bot>?start=p<id>``) and the Excel stock valuation.

QR codes come from ``segno`` and the PDF from ``fpdf2`` (both maintained libraries).
"""
from __future__ import annotations

import io
from pathlib import Path

from sqlmodel import Session, select

from smo_app import formats
from smo_app.models.catalog import Category, Product, Variant
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import ValidationFailed
from smo_app.services.core.permissions import Perm, require
from smo_app.i18n import t
from smo_app.settings import get_settings

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
)
MAX_QR_PRODUCTS = 500


def product_link(product_id: int, bot_username: str | None = None) -> str:
    if bot_username is None:
        bot_username = get_settings().bot_username
    return f"https://t.me/{bot_username}?start=p{product_id}"


def qr_sheet_pdf(session: Session, *, actor: Actor, product_ids: list[int] | None = None,
                 bot_username: str | None = None, lang: str = "ru") -> bytes:
    """A4 pages, 3 × 4 labels: QR code, product name, price (as ``lang`` writes money). All visible
    products by default."""
    import segno
    from fpdf import FPDF

    require(actor, Perm.stock_manage)
    query = select(Product).where(Product.deleted.is_(False)).order_by(Product.position, Product.id)
    if product_ids:
        query = query.where(Product.id.in_(product_ids))
    products = session.exec(query.limit(MAX_QR_PRODUCTS + 1)).all()
    session.rollback()
    if not products:
        raise ValidationFailed("sheets.no_products", "no products")
    if len(products) > MAX_QR_PRODUCTS:
        raise ValidationFailed("sheets.too_many", "too many products", max=MAX_QR_PRODUCTS)
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    font = next((f for f in FONT_CANDIDATES if Path(f).exists()), None)
    if font:
        pdf.add_font("label", fname=font)
        family = "label"
    else:  # pragma: no cover - every supported machine has one of the fonts
        family = "helvetica"
    cols, rows, cell_w, cell_h, margin = 3, 4, 63.0, 70.0, 10.0
    for index, product in enumerate(products):
        if index % (cols * rows) == 0:
            pdf.add_page()
        col, row = index % cols, (index // cols) % rows
        x, y = margin + col * cell_w, margin + row * cell_h
        png = io.BytesIO()
        segno.make(product_link(product.id, bot_username), error="m").save(png, kind="png", scale=8, border=1)
        png.seek(0)
        pdf.image(png, x=x + (cell_w - 45) / 2, y=y + 2, w=45, h=45)
        pdf.set_font(family, size=9)
        pdf.set_xy(x + 2, y + 49)
        name = product.name if font else product.name.encode("latin-1", "replace").decode("latin-1")
        pdf.multi_cell(cell_w - 4, 4, name[:80], align="C")
        pdf.set_xy(x + 2, y + 62)
        pdf.cell(cell_w - 4, 4, f"#{product.id} · {formats.money(product.base_price_minor, lang=lang)}" if font else f"#{product.id}",
                 align="C")
    return bytes(pdf.output())


def valuation_xlsx(session: Session, *, actor: Actor, lang: str = "ru") -> bytes:
    """WH7 stock valuation: every active variant with quantity, average cost and value, and totals."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    require(actor, Perm.stock_manage)
    cats = {c.id: c.name for c in session.exec(select(Category)).all()}
    rows = session.exec(select(Variant, Product).join(Product, Product.id == Variant.product_id)
                        .where(Variant.active, Product.deleted.is_(False)).order_by(Product.name, Variant.position)).all()
    session.rollback()
    wb = Workbook()
    ws = wb.active
    ws.title = t("xlsx.val.sheet", lang)[:31]
    ws.append([t(f"xlsx.val.{k}", lang) for k in ("variant_id", "product", "category", "qty", "avg_cost", "value",
                                                    "price", "retail_value")])
    total_qty = total_value = total_retail = 0
    for v, p in rows:
        qty = max(v.qty, 0)
        value, retail = qty * v.avg_cost_minor, qty * v.price_minor
        total_qty, total_value, total_retail = total_qty + qty, total_value + value, total_retail + retail
        ws.append([v.id, f"{p.name} {v.label}".strip(), cats.get(p.category_id, ""), v.qty, v.avg_cost_minor / 100,
                   value / 100, v.price_minor / 100, retail / 100])
    ws.append([t("xlsx.val.total", lang), "", "", total_qty, "", total_value / 100, "", total_retail / 100])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
