"""Excel files for a person, not a bare dump: bold frozen header, column widths, money formats.

pandas shapes the rows (minor units → money, percentages); openpyxl writes and formats. pandas is
loaded on the first file built, not on import: the analytics screens import this module, and the
web app starts without pandas.
Texts come from ``smo_app.i18n`` (``xl.*`` keys) in the reader's language.
"""
from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from smo_app.i18n import t
from smo_app.services.core import audit_words

if TYPE_CHECKING:
    import pandas as pd

MONEY_FORMAT = "#,##0.00"
INT_FORMAT = "#,##0"
PERCENT_FORMAT = "0.0%"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
FORMATS = {"money": MONEY_FORMAT, "int": INT_FORMAT, "pct": PERCENT_FORMAT, "datetime": DATETIME_FORMAT,
           "date": DATE_FORMAT, "text": None}
HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
MAX_WIDTH = 60


@dataclass(frozen=True)
class Col:
    key: str  # header text: xl.col.<key>
    kind: str = "text"  # text | money | int | pct | datetime | date


def _pandas():
    import pandas  # noqa: PLC0415 - a third-party library of ~0.5 s, loaded when a file is built

    return pandas


def _major(minor: pd.Series) -> pd.Series:
    return minor.astype("int64") / 100


def _frame(rows: Iterable[Sequence], cols: Sequence[Col]) -> pd.DataFrame:
    frame = _pandas().DataFrame(list(rows), columns=[c.key for c in cols])
    for c in cols:
        if c.kind == "money" and len(frame):
            frame[c.key] = _major(frame[c.key])
        elif c.kind == "datetime" and len(frame):
            frame[c.key] = [v.replace(tzinfo=None) for v in frame[c.key]]  # shown in shop time already
    return frame


def _write_table(ws: Worksheet, frame: pd.DataFrame, cols: Sequence[Col], lang: str) -> None:
    ws.append([t(f"xl.col.{c.key}", lang) for c in cols])
    isna = _pandas().isna
    for values in frame.itertuples(index=False, name=None):
        ws.append([None if (v is None or (isinstance(v, float) and isna(v))) else v for v in values])
    for idx, c in enumerate(cols, start=1):
        fmt = FORMATS[c.kind]
        if fmt:
            for (cell,) in ws.iter_rows(min_row=2, min_col=idx, max_col=idx):
                cell.number_format = fmt
    _style(ws, [_width(c, frame[c.key] if len(frame) else [], lang) for c in cols])


def _width(col: Col, values, lang: str) -> int:
    header = len(t(f"xl.col.{col.key}", lang))
    if col.kind in ("money", "int"):
        longest = max((len(f"{v:,.2f}") for v in values), default=0)
    elif col.kind in ("datetime", "date"):
        longest = 16
    elif col.kind == "pct":
        longest = 7
    else:
        longest = max((len(str(v)) for v in list(values)[:2000]), default=0)
    return min(MAX_WIDTH, max(header, longest) + 2)


def _style(ws: Worksheet, widths: list[int]) -> None:
    for idx, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(idx)].width = width
        cell = ws.cell(row=1, column=idx)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    ws.freeze_panes = "A2"


def _table_sheet(wb: Workbook, title_key: str, rows: Iterable[Sequence], cols: Sequence[Col], lang: str,
                 first: bool = False) -> Worksheet:
    ws = wb.active if first else wb.create_sheet()
    ws.title = t(f"xl.sheet.{title_key}", lang)[:31]
    _write_table(ws, _frame(rows, cols), cols, lang)
    return ws


def _bytes(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------- P&L

ORDER_COLS = (Col("order", "int"), Col("placed", "datetime"), Col("channel"), Col("status"), Col("goods", "money"),
              Col("discounts", "money"), Col("bonuses", "money"), Col("certificate", "money"),
              Col("delivery", "money"), Col("revenue", "money"), Col("cogs", "money"), Col("gross_profit", "money"))
RETURN_COLS = (Col("return", "int"), Col("when", "datetime"), Col("order", "int"), Col("placed", "datetime"),
               Col("channel"), Col("items"), Col("goods", "money"), Col("bonuses_back", "money"),
               Col("refund", "money"), Col("cogs", "money"), Col("gross_profit", "money"))
WRITE_OFF_COLS = (Col("when", "datetime"), Col("product"), Col("variant"), Col("qty", "int"),
                  Col("unit_cost", "money"), Col("cost", "money"), Col("comment"), Col("who"))


def pnl_lines(s) -> list[tuple[str, object, str]]:
    """The summary sheet's (label key, value, kind) rows; money in minor units."""
    return [
        ("period", f"{s.date_from.isoformat()} — {s.date_to.isoformat()}", "text"),
        ("orders", s.orders, "int"),
        ("goods", s.goods_minor, "money"),
        ("discount_product", -s.discount_product_minor, "money"),
        ("discount_personal", -s.discount_personal_minor, "money"),
        ("discount_promo", -s.discount_promo_minor, "money"),
        ("bonuses", -s.bonus_minor, "money"),
        ("delivery_charged", s.delivery_charged_minor, "money"),
        ("orders_revenue", s.orders_revenue_minor, "money"),
        ("certificate_paid", s.certificate_minor, "money"),
        ("manual_revenue", s.manual_revenue_minor, "money"),
        ("returns", -s.returns_minor, "money"),
        ("refunds", -s.refunds_minor, "money"),
        ("revenue", s.revenue_minor, "money"),
        ("cogs", -s.cogs_minor, "money"),
        ("returns_cogs", s.returns_cogs_minor, "money"),
        ("gross_profit", s.gross_profit_minor, "money"),
        ("margin", s.margin, "pct"),
        ("delivery_costs", -s.delivery_costs_minor, "money"),
        ("write_offs", -s.write_offs_minor, "money"),
        ("result", s.result_minor, "money"),
    ]


BOLD_LINES = {"revenue", "gross_profit", "result"}


def pnl_file(summary, orders, write_offs, returns, *, lang: str = "ru") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = t("xl.sheet.summary", lang)[:31]
    ws.append([t("xl.col.item", lang), t("xl.col.amount", lang)])
    for key, value, kind in pnl_lines(summary):
        shown = value / 100 if kind == "money" else value
        ws.append([t(f"xl.pnl.{key}", lang), shown])
        cell = ws.cell(row=ws.max_row, column=2)
        if FORMATS[kind]:
            cell.number_format = FORMATS[kind]
        if key in BOLD_LINES:
            ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
            cell.font = Font(bold=True)
    _style(ws, [max(len(t(f"xl.pnl.{k}", lang)) for k, _, _ in pnl_lines(summary)) + 2, 26])
    channel = {c: t(f"xl.channel.{c}", lang) for c in ("storefront", "pos", "b2b")}
    status = {st: t(f"xl.status.{st}", lang) for st in ("paid", "processing", "shipped", "delivered", "completed")}
    _table_sheet(wb, "orders", ((o.id, o.created_at, channel.get(o.channel, o.channel), status.get(o.status, o.status),
                                 o.goods_minor, o.discount_minor, o.bonus_minor, o.certificate_minor, o.delivery_minor,
                                 o.revenue_minor, o.cogs_minor, o.gross_profit_minor) for o in orders), ORDER_COLS, lang)
    _table_sheet(wb, "returns", ((r.id, r.created_at, r.order_id, r.order_placed_at, channel.get(r.channel, r.channel),
                                  r.items, r.goods_minor, r.bonus_back_minor, r.refund_minor, r.cogs_minor,
                                  r.gross_profit_minor) for r in returns), RETURN_COLS, lang)
    _table_sheet(wb, "write_offs", ((w.created_at, w.product, w.variant, w.qty, w.unit_cost_minor, w.cost_minor,
                                     w.comment, w.actor_name) for w in write_offs), WRITE_OFF_COLS, lang)
    return _bytes(wb)


# --------------------------------------------------------------------------- ABC, stock

ABC_COLS = (Col("rank", "int"), Col("product"), Col("qty", "int"), Col("revenue", "money"), Col("share", "pct"),
            Col("cumulative", "pct"), Col("class"))
STOCK_COLS = (Col("product"), Col("variant"), Col("qty", "int"), Col("avg_cost", "money"), Col("value", "money"),
              Col("price", "money"), Col("retail_value", "money"))
MOVE_COLS = (Col("when", "datetime"), Col("product"), Col("variant"), Col("kind"), Col("delta", "int"),
             Col("qty_after", "int"), Col("unit_cost", "money"), Col("order", "int"), Col("who"), Col("comment"))


def abc_file(rows, *, lang: str = "ru") -> bytes:
    wb = Workbook()
    _table_sheet(wb, "abc", ((r.rank, r.name, r.qty, r.revenue_minor, r.share, r.cumulative, r.klass) for r in rows),
                 ABC_COLS, lang, first=True)
    return _bytes(wb)


def stock_valuation_file(rows, *, lang: str = "ru") -> bytes:
    wb = Workbook()
    ws = _table_sheet(wb, "stock", ((r.product, r.variant, r.qty, r.avg_cost_minor, r.value_minor, r.price_minor,
                                     r.retail_value_minor) for r in rows), STOCK_COLS, lang, first=True)
    ws.append([t("xl.col.total", lang), None, sum(r.qty for r in rows), None, sum(r.value_minor for r in rows) / 100,
               None, sum(r.retail_value_minor for r in rows) / 100])
    for col in (5, 7):
        ws.cell(row=ws.max_row, column=col).number_format = MONEY_FORMAT
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    return _bytes(wb)


def stock_moves_file(rows, *, lang: str = "ru") -> bytes:
    wb = Workbook()
    kinds = {k: t(f"xl.move.{k}", lang) for k in ("supply", "sale", "return", "write_off", "edit", "count", "restock")}
    _table_sheet(wb, "moves", ((r.created_at, r.product, r.variant, kinds.get(r.kind, r.kind), r.delta, r.qty_after,
                                r.unit_cost_minor, r.order_id, audit_words.actor_name(lang, r.actor_kind, r.actor_name),
                                audit_words.note_text(lang, r.comment)) for r in rows), MOVE_COLS, lang,
                 first=True)
    return _bytes(wb)
