"""/admin/pos-sales — POS sales per seller and per shift, discounts by whom, open and overnight shifts (admins)."""
import reflex as rx

from smo_app import routes
from smo_app.components.backoffice import admin_page
from smo_app.components.common import T, date_input, field_label
from smo_app.state.pos_admin import PosSalesState


def _head(*keys: str) -> rx.Component:
    return rx.table.header(rx.table.row(*[rx.table.column_header_cell(T(k)) for k in keys]))


def _shift_state(s) -> rx.Component:
    return rx.cond(s["overnight"], rx.badge(T("ui.pos.overnight"), color_scheme="amber"),
                   rx.cond(s["open"], rx.badge(T("ui.pos.shift_open"), color_scheme="green"), rx.text(s["closed"])))


@admin_page(routes.POS_SALES, perm="analytics.view", title_key="ui.nav.pos_sales", on_load=PosSalesState.load)
def pos_sales() -> rx.Component:
    return rx.vstack(
        rx.form(rx.hstack(
            rx.vstack(field_label("ui.audit.date_from", "pos-sales-from"),
                      date_input(name="from", id="pos-sales-from", key=PosSalesState.date_from,
                                 default_value=PosSalesState.date_from), spacing="1"),
            rx.vstack(field_label("ui.audit.date_to", "pos-sales-to"),
                      date_input(name="to", id="pos-sales-to", key=PosSalesState.date_to,
                                 default_value=PosSalesState.date_to), spacing="1"),
            rx.button(T("ui.audit.apply"), type="submit"),
            rx.button(rx.icon("download"), T("ui.pos.excel"), on_click=PosSalesState.export, variant="soft",
                      type="button", id="pos-sales-excel"),
            rx.text(PosSalesState.total, weight="bold"),
            align="end", spacing="3", wrap="wrap",
        ), on_submit=PosSalesState.apply_period, reset_on_submit=False),
        rx.cond(PosSalesState.message != "", rx.callout(PosSalesState.message, color_scheme="red", role="alert")),
        rx.heading(T("ui.pos.by_seller"), size="4", as_="h2"),
        rx.table.root(
            _head("ui.pos.seller", "ui.pos.r_sales_count", "ui.pos.r_sales_total", "ui.pos.r_discounts",
                  "ui.pos.manual_discounts", "ui.pos.r_returns"),
            rx.table.body(rx.foreach(PosSalesState.sellers, lambda s: rx.table.row(
                rx.table.cell(s["name"]), rx.table.cell(s["count"]), rx.table.cell(s["total"]),
                rx.table.cell(s["discounts"]), rx.table.cell(s["manual"]), rx.table.cell(s["returns"])))),
            variant="surface", width="100%",
        ),
        rx.heading(T("ui.pos.by_shift"), size="4", as_="h2"),
        rx.table.root(
            _head("ui.pos.receipt_no", "ui.pos.register", "ui.pos.seller", "ui.pos.opened", "ui.pos.closed",
                  "ui.pos.r_sales_count", "ui.pos.r_sales_total", "ui.pos.r_difference"),
            rx.table.body(rx.foreach(PosSalesState.shifts, lambda s: rx.table.row(
                rx.table.cell(s["id"]), rx.table.cell(s["register"]), rx.table.cell(s["seller"]),
                rx.table.cell(s["opened"]), rx.table.cell(_shift_state(s)), rx.table.cell(s["count"]),
                rx.table.cell(s["total"]), rx.table.cell(s["difference"]), class_name="pos-shift-row"))),
            variant="surface", width="100%",
        ),
        spacing="3", width="100%",
    )
