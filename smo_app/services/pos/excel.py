"""Excel (openpyxl) files of the shift report and the admins' sales analytics. Pure: DTO in, bytes out.

Money goes in as rubles (numbers with two decimals), dates in the shop's timezone.
"""
from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font

from smo_app.i18n import t


def _rub(minor: int | None) -> float | None:
    return None if minor is None else round(minor / 100, 2)


def _local(moment, tz) -> str:
    return "" if moment is None else moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _save(wb: Workbook) -> bytes:
    for ws in wb.worksheets:
        for col in ws.columns:
            width = max((len(str(c.value)) for c in col if c.value is not None), default=8)
            ws.column_dimensions[col[0].column_letter].width = min(max(width + 2, 10), 60)
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def shift_report_xlsx(report, *, tz, lang: str = "ru") -> bytes:
    """``tz``: the shop's time zone (dates are written in it)."""
    wb = Workbook()
    ws = wb.active
    ws.title = t(f"pos.report.title_{report.kind}", lang)[:31]
    ws.append([t(f"pos.report.title_{report.kind}", lang), f"#{report.shift.id}"])
    ws["A1"].font = Font(bold=True, size=14)
    rows = [
        ("pos.report.register", report.shift.register_name),
        ("pos.report.opened", f"{_local(report.shift.opened_at, tz)} — {report.shift.opened_by_name}"),
        ("pos.report.closed", f"{_local(report.shift.closed_at, tz)} — {report.shift.closed_by_name}"
         if report.shift.closed_at else ""),
        ("pos.report.sales_count", report.sales_count),
        ("pos.report.sales_total", _rub(report.sales_total_minor)),
        ("pos.report.cash", _rub(report.cash_minor)),
        ("pos.report.card", _rub(report.card_minor)),
        ("pos.report.credit", _rub(report.credit_minor)),
        ("pos.report.discounts", _rub(report.discounts_minor)),
        ("pos.report.manual_discounts", _rub(report.manual_discounts_minor)),
        ("pos.report.bonus", _rub(report.bonus_minor)),
        ("pos.report.returns_count", report.returns_count),
        ("pos.report.returns_cash", _rub(report.returns_cash_minor)),
        ("pos.report.returns_card", _rub(report.returns_card_minor)),
        ("pos.report.float", _rub(report.shift.float_minor)),
        ("pos.report.cash_in", _rub(report.cash_in_minor)),
        ("pos.report.cash_out", _rub(report.cash_out_minor)),
        ("pos.report.expected", _rub(report.expected_cash_minor)),
        ("pos.report.counted", _rub(report.counted_cash_minor)),
        ("pos.report.difference", _rub(report.difference_minor)),
    ]
    for key, value in rows:
        ws.append([t(key, lang), value])
    moves = wb.create_sheet(t("pos.report.cash_moves", lang)[:31])
    moves.append([t("pos.report.time", lang), t("pos.report.kind", lang), t("pos.report.amount", lang),
                  t("pos.report.reason", lang), t("pos.report.who", lang)])
    for m in report.cash_moves:
        moves.append([_local(m["created_at"], tz), t(f"pos.cash.{m['kind']}", lang), _rub(m["amount_minor"]), m["reason"],
                      m["actor_name"]])
    return _save(wb)


def analytics_xlsx(data, *, tz, lang: str = "ru") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = t("pos.report.by_seller", lang)[:31]
    ws.append([t("pos.report.seller", lang), t("pos.report.sales_count", lang), t("pos.report.sales_total", lang),
               t("pos.report.discounts", lang), t("pos.report.manual_discounts", lang), t("pos.report.returns", lang)])
    for s in data.sellers:
        ws.append([s.seller_name, s.sales_count, _rub(s.total_minor), _rub(s.discounts_minor),
                   _rub(s.manual_discounts_minor), _rub(s.returns_minor)])
    sh = wb.create_sheet(t("pos.report.by_shift", lang)[:31])
    sh.append(["#", t("pos.report.register", lang), t("pos.report.seller", lang), t("pos.report.opened", lang),
               t("pos.report.closed", lang), t("pos.report.sales_count", lang), t("pos.report.sales_total", lang),
               t("pos.report.discounts", lang), t("pos.report.difference", lang)])
    for row in data.shifts:
        closed = _local(row.closed_at, tz) if row.closed_at else t("pos.shift.overnight" if row.overnight else "pos.shift.open", lang)
        sh.append([row.shift_id, row.register_name, row.opened_by_name, _local(row.opened_at, tz), closed, row.sales_count,
                   _rub(row.total_minor), _rub(row.discounts_minor), _rub(row.difference_minor)])
    return _save(wb)
