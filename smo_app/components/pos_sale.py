"""The POS screens' pieces: the top bar, opening a shift, the sale screen (search and favourites on
the left, the receipt being rung up on the right), the shift page, the receipt, returns.
Touch first: big targets, a 1024×768 landscape tablet and up."""
from __future__ import annotations

import reflex as rx

from smo_app import routes
from smo_app.components import styles
from smo_app.components.common import T, field_label
from smo_app.components.pos_approvals import approval_box
from smo_app.components.pos_browse import browse_panel
from smo_app.components.pos_line_edit import line_editor
from smo_app.components.pos_scan import camera_scanner, keyboard_wedge
from smo_app.components.pos_tablets import display_link, tablet_strip
from smo_app.state.pos_receipt import PosReceiptState
from smo_app.state.pos_line_edit import PosLineEditState
from smo_app.state.pos_sale import PosState
from smo_app.state.pos_shift import PosShiftState
from smo_app.state.session import SessionState

BIG = "3"


def top_bar() -> rx.Component:
    return rx.hstack(
        rx.cond(PosState.shift_open,
                rx.badge(rx.icon("lock-open", size=14), T("ui.pos.shift_open"), color_scheme="green", size="3",
                         id="shift-state"),
                rx.badge(rx.icon("lock", size=14), T("ui.pos.shift_closed"), color_scheme="gray", size="3",
                         id="shift-state")),
        rx.cond(PosState.shift_overnight,
                rx.badge(rx.icon("moon", size=14), T("ui.pos.overnight"), color_scheme="amber", size="3",
                         id="shift-overnight")),
        rx.text(SessionState.staff_name, weight="bold", size="3", id="pos-seller"),
        rx.link(rx.button(rx.icon("wallet"), T("ui.pos.shift"), size=BIG, variant="soft"), href=routes.POS_SHIFT,
                id="pos-shift-link"),
        rx.link(rx.button(rx.icon("undo-2"), T("ui.pos.returns"), size=BIG, variant="soft"), href=routes.POS_RETURNS,
                id="pos-returns-link"),
        display_link(),
        rx.link(rx.button(rx.icon("user"), T("ui.nav.profile"), size=BIG, variant="soft", color_scheme="gray"),
                href=routes.POS_PROFILE, id="pos-profile-link"),
        rx.button(rx.icon("log-out"), T("ui.sign_out"), size=BIG, variant="soft", color_scheme="gray",
                  on_click=SessionState.sign_out_pos, id="pos-sign-out"),
        align="center", spacing="2",
    )


def open_shift_form() -> rx.Component:
    return rx.center(
        rx.card(rx.vstack(
            rx.heading(T("ui.pos.open_shift"), size="6", as_="h2"),
            rx.cond(PosState.registers.length() > 0,
                     rx.select.root(rx.select.trigger(aria_label=T("ui.pos.register")),
                                    rx.select.content(rx.foreach(PosState.registers, lambda r: rx.select.item(
                                        r["name"], value=r["id"]))),
                                    value=PosState.register_id.to_string(), on_change=PosState.choose_register,
                                    size=BIG),
                     rx.text(PosState.register_name, color_scheme="gray")),
            field_label("ui.pos.float", "pos-float"),
            rx.input(id="pos-float", value=PosState.float_text, on_change=PosState.set_float_text, size=BIG,
                     input_mode="decimal", placeholder="0"),
            rx.button(rx.icon("lock-open"), T("ui.pos.open_shift"), on_click=PosState.open_shift, size=BIG,
                      id="pos-open-shift", width="100%", loading=PosState.busy),
            spacing="3", width="22rem",
        )),
        height="70%",
    )


def _product_tile(hit) -> rx.Component:
    return rx.button(
        rx.vstack(rx.text(hit["name"], weight="medium", size="3", text_align="left"),
                  rx.hstack(rx.text(hit["label"], size="2", color_scheme="gray"), rx.spacer(),
                            rx.text(hit["price"], weight="bold", size="3"), width="100%"),
                  align="start", spacing="1", width="100%"),
        on_click=PosState.add(hit["variant_id"]), variant="surface", color_scheme="gray", height="5rem",
        width="100%", class_name="pos-product", data_variant=hit["variant_id"],
    )


def catalog_panel() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.input(rx.input.slot(rx.icon("search")), placeholder=T("ui.pos.search"), value=PosState.query,
                     on_change=PosState.search.debounce(150), on_key_down=PosState.search_enter, size=BIG,
                     id="pos-search", width="100%", aria_label=T("ui.pos.search")),
            rx.button(rx.icon("camera"), on_click=PosState.toggle_camera, size=BIG, variant="soft",
                      aria_label=T("ui.pos.camera"), id="pos-camera-toggle"),
            width="100%",
        ),
        rx.cond(PosState.camera_open, camera_scanner(PosState.scanned)),
        rx.cond(
            PosState.hits.length() > 0,
            rx.grid(rx.foreach(PosState.hits, _product_tile), columns="2", spacing="2", width="100%", id="pos-hits"),
            browse_panel(_product_tile),
        ),
        width="48%", spacing="3", overflow_y="auto", height="100%",
    )


def _line(line) -> rx.Component:
    return rx.hstack(
        rx.vstack(rx.text(line["name"], weight="medium", size="3"),
                  rx.text(line["label"], " · ", line["price"], size="1", color_scheme="gray"), spacing="0",
                  flex="1", min_width="0"),
        rx.button("−", on_click=PosState.inc(line["variant_id"], line["qty"].to(int) - 1), size="2", variant="soft",
                  aria_label=T("ui.pos.less")),
        rx.button(line["qty_text"], on_click=PosLineEditState.start(line["variant_id"], line["name"], "qty"), size="3",
                  variant="ghost", min_width="3rem", class_name="line-qty", aria_label=T("ui.pos.qty")),
        rx.button("+", on_click=PosState.inc(line["variant_id"], line["qty"].to(int) + 1), size="2", variant="soft",
                  aria_label=T("ui.pos.more")),
        rx.button(rx.cond(line["discount_minor"].to(int) > 0, "−" + line["discount_text"].to(str), "%"),
                  on_click=PosLineEditState.start(line["variant_id"], line["name"], "pct"), size="2", variant="soft",
                  color_scheme=rx.cond(line["discount_minor"].to(int) > 0, "green", "gray"), min_width="3.5rem",
                  aria_label=T("ui.pos.line_discount"), class_name="line-discount"),
        rx.text(line["total"], weight="bold", min_width="6rem", text_align="right"),
        align="center", spacing="2", width="100%", class_name="cart-line", padding_y="0.25rem",
        border_bottom="1px solid var(--gray-a4)",
    )


def customer_box() -> rx.Component:
    return rx.cond(
        PosState.customer_has,
        rx.hstack(rx.icon("user-check"), rx.text(PosState.customer_name, weight="bold", id="pos-customer"),
                  rx.badge(T("ui.pos.bonuses"), ": ", PosState.customer_bonus, id="pos-customer-bonus"),
                  rx.cond(PosState.customer_discount > 0, rx.badge(PosState.customer_discount, " %")),
                  rx.input(value=PosState.bonus_text, on_change=PosState.set_bonus_text, width="6rem", size="2",
                           placeholder=T("ui.pos.spend_bonus"), id="pos-bonus", input_mode="decimal"),
                  rx.button(T("ui.pos.apply"), on_click=PosState.apply_bonus, size="2", variant="soft"),
                  rx.button(rx.icon("x"), on_click=PosState.drop_customer, size="2", variant="ghost",
                            aria_label=T("ui.pos.drop_customer")),
                  align="center", spacing="2", wrap="wrap"),
        rx.vstack(
            rx.hstack(
                rx.input(placeholder=T("ui.pos.customer_search"), value=PosState.customer_query,
                         on_change=PosState.find_customer.debounce(250), size="2", width="100%", id="pos-customer-search",
                         aria_label=T("ui.pos.customer_search")),
                rx.input(placeholder=T("ui.pos.loyalty_code"), value=PosState.token_text,
                         on_change=PosState.set_token_text, size="2", id="pos-token", aria_label=T("ui.pos.loyalty_code")),
                rx.button(T("ui.pos.attach"), on_click=PosState.attach_token, size="2", variant="soft",
                          id="pos-attach-token"),
                width="100%",
            ),
            rx.foreach(PosState.customer_hits, lambda c: rx.button(
                c["name"], " ", c["phone"], " · ", c["bonus"], on_click=PosState.choose_customer(c["id"]), size="2",
                variant="soft", color_scheme="gray", class_name="customer-hit")),
            width="100%", spacing="1",
        ),
    )


def payment_box() -> rx.Component:
    return rx.vstack(
        rx.hstack(rx.text(T("ui.pos.total"), size="5"), rx.spacer(),
                  rx.text(PosState.totals["total"], size="7", weight="bold", id="pos-total"), width="100%"),
        rx.hstack(rx.text(T("ui.pos.discount"), ": ", PosState.totals["discount"], size="2", color_scheme="gray"),
                  rx.text(T("ui.pos.bonuses"), ": ", PosState.totals["bonus"], size="2", color_scheme="gray"), spacing="4"),
        rx.hstack(
            rx.vstack(field_label("ui.pos.card", "pos-card"),
                      rx.input(id="pos-card", value=PosState.card_text, on_change=PosState.set_card_text, size=BIG,
                               input_mode="decimal", width="9rem"), spacing="1"),
            rx.vstack(field_label("ui.pos.cash_given", "pos-tendered"),
                      rx.input(id="pos-tendered", value=PosState.tendered_text, on_change=PosState.set_tendered_text,
                               size=BIG, input_mode="decimal", width="9rem"), spacing="1"),
            rx.vstack(rx.text(T("ui.pos.change"), size="2", weight="medium"),
                      rx.text(PosState.change_preview, size="5", weight="bold", id="pos-change"), spacing="1"),
            align="end", spacing="3",
        ),
        rx.hstack(
            rx.button(T("ui.pos.all_cash"), on_click=PosState.all_cash, size="2", variant="soft", id="pos-all-cash"),
            rx.button(T("ui.pos.all_card"), on_click=PosState.all_card, size="2", variant="soft", id="pos-all-card"),
            rx.spacer(),
            rx.button(rx.icon("trash-2"), on_click=PosState.clear, size=BIG, variant="soft", color_scheme="gray",
                      aria_label=T("ui.pos.clear_cart")),
            rx.button(rx.icon("check"), T("ui.pos.pay"), on_click=PosState.pay, size=BIG, id="pos-pay",
                      disabled=(PosState.lines.length() == 0) | PosState.needs_approval, min_width="10rem",
                      loading=PosState.busy),
            width="100%",
        ),
        width="100%", spacing="2",
    )


def cart_panel() -> rx.Component:
    return rx.vstack(
        customer_box(),
        rx.box(rx.foreach(PosState.lines, _line), width="100%", flex="1", overflow_y="auto", id="pos-cart"),
        approval_box(),
        payment_box(),
        width="52%", height="100%", spacing="3", padding="1rem", background="var(--color-panel-solid)",
        border_radius="var(--radius-4)",
    )


def sale_screen() -> rx.Component:
    return rx.vstack(
        tablet_strip(),
        rx.cond(PosState.last_outcome != "", rx.callout(PosState.last_outcome, icon="info", width="100%",
                                                        id="pos-last-outcome")),
        rx.hstack(catalog_panel(), cart_panel(), spacing="4", width="100%", height="100%", align="start"),
        keyboard_wedge(PosState.scanned),
        line_editor(),
        height="100%", width="100%",
    )


# --------------------------------------------------------------------------- shift page

def _row(key: str, value) -> rx.Component:
    return rx.table.row(rx.table.cell(T(key)), rx.table.cell(value, text_align="right"))


def report_table() -> rx.Component:
    r = PosShiftState.report
    return rx.table.root(rx.table.body(
        _row("ui.pos.r_sales_count", r["sales_count"]), _row("ui.pos.r_sales_total", r["sales_total"]),
        _row("ui.pos.r_cash", r["cash"]), _row("ui.pos.r_card", r["card"]), _row("ui.pos.r_discounts", r["discounts"]),
        _row("ui.pos.r_returns", r["returns"]), _row("ui.pos.r_float", r["float"]), _row("ui.pos.r_cash_in", r["cash_in"]),
        _row("ui.pos.r_cash_out", r["cash_out"]), _row("ui.pos.r_expected", r["expected"]),
        rx.cond(PosShiftState.closed, _row("ui.pos.r_counted", r["counted"])),
        rx.cond(PosShiftState.closed, _row("ui.pos.r_difference", r["difference"])),
    ), size="2", id="pos-report", width="100%")


def shift_page_body() -> rx.Component:
    return rx.cond(
        PosShiftState.report.length() == 0,
        rx.center(rx.vstack(rx.text(T("ui.pos.no_open_shift")),
                            rx.link(rx.button(T("ui.pos.to_sale"), size=BIG), href=routes.POS)), height="60%"),
        rx.hstack(
            rx.vstack(
                rx.heading(PosShiftState.report["kind"], " — ", PosShiftState.report["register"], size="5", as_="h2",
                           id="pos-report-title"),
                rx.text(PosShiftState.report["opened"], " · ", PosShiftState.report["seller"], color_scheme="gray"),
                report_table(),
                rx.button(rx.icon("download"), T("ui.pos.excel"), on_click=PosShiftState.download, size=BIG,
                          variant="soft", id="pos-report-excel"),
                width="50%", spacing="3",
            ),
            rx.cond(
                PosShiftState.closed,
                rx.vstack(rx.callout(PosShiftState.closed_note, icon="check", color_scheme="green", id="pos-closed-note"),
                          rx.button(T("ui.pos.new_shift"), on_click=PosShiftState.new_shift, size=BIG), width="45%"),
                rx.vstack(
                    rx.heading(T("ui.pos.cash_moves"), size="4", as_="h3"),
                    rx.segmented_control.root(
                        rx.segmented_control.item(T("ui.pos.cash_in"), value="in"),
                        rx.segmented_control.item(T("ui.pos.cash_out"), value="out"),
                        value=PosShiftState.move_kind, on_change=PosShiftState.set_move_kind, size="2"),
                    field_label("ui.pos.amount", "pos-move-amount"),
                    rx.input(id="pos-move-amount", value=PosShiftState.move_amount,
                             on_change=PosShiftState.set_move_amount, size=BIG, input_mode="decimal"),
                    field_label("ui.pos.reason", "pos-move-reason"),
                    rx.input(id="pos-move-reason", value=PosShiftState.move_reason,
                             on_change=PosShiftState.set_move_reason, size=BIG),
                    rx.button(T("ui.pos.save_move"), on_click=PosShiftState.cash_move, size=BIG, id="pos-move-save"),
                    rx.divider(),
                    rx.heading(T("ui.pos.close_shift"), size="4", as_="h3"),
                    field_label("ui.pos.counted", "pos-counted"),
                    rx.input(id="pos-counted", value=PosShiftState.counted_text, on_change=PosShiftState.set_counted_text,
                             size=BIG, input_mode="decimal"),
                    rx.button(rx.icon("lock"), T("ui.pos.close_shift"), on_click=PosShiftState.close_shift, size=BIG,
                              color_scheme="red", id="pos-close-shift"),
                    rx.link(T("ui.pos.to_sale"), href=routes.POS),
                    width="45%", spacing="2",
                ),
            ),
            spacing="5", width="100%", align="start",
        ),
    )


# --------------------------------------------------------------------------- receipt (80 mm)

RECEIPT_CSS = """
@media print {
  body * { visibility: hidden; }
  #pos-receipt, #pos-receipt * { visibility: visible; }
  #pos-receipt { position: absolute; left: 0; top: 0; width: 72mm; margin: 0; padding: 0; box-shadow: none; }
  @page { size: 80mm auto; margin: 4mm; }
}
"""


def receipt_view() -> rx.Component:
    r = PosReceiptState.receipt
    line = lambda ln: rx.hstack(rx.text(ln["name"], " × ", ln["qty"], size="2", flex="1"),  # noqa: E731
                                rx.text(ln["total"], size="2"), width="100%", class_name="receipt-line")
    pair = lambda key, value: rx.hstack(rx.text(T(key), size="2"), rx.spacer(), rx.text(value, size="2"),  # noqa: E731
                                        width="100%")
    return rx.vstack(
        rx.el.style(RECEIPT_CSS),
        rx.box(
            rx.vstack(
                rx.text(r["shop"], weight="bold", size="4", text_align="center", width="100%"),
                rx.text(T("ui.pos.receipt_no"), " ", r["id"], size="2", id="receipt-number"),
                rx.text(r["time"], " · ", r["register"], " · ", r["seller"], size="1"),
                rx.cond(r["customer"] != "", rx.text(r["customer"], size="2")),
                rx.divider(),
                rx.foreach(PosReceiptState.receipt_lines, line),
                rx.divider(),
                pair("ui.pos.discount", r["discount"]), pair("ui.pos.bonuses", r["bonus"]),
                rx.hstack(rx.text(T("ui.pos.total"), weight="bold"), rx.spacer(),
                          rx.text(r["total"], weight="bold", id="receipt-total"), width="100%"),
                pair("ui.pos.card", r["card"]), pair("ui.pos.cash_given", r["tendered"]),
                pair("ui.pos.change", r["change"]), pair("ui.pos.cashback", r["cashback"]),
                rx.image(src=r["code_svg"], alt=r["code"], width="100%", height="12mm", margin_top="2mm",
                         id="receipt-code"),
                rx.text(r["code"], size="1", text_align="center", width="100%"),
                spacing="1", width="100%",
            ),
            id="pos-receipt", width="80mm", padding="4mm", background="white", color="black",
            box_shadow="0 0 0 1px var(--gray-a5)",
        ),
        rx.hstack(
            rx.button(rx.icon("printer"), T("ui.pos.print"), on_click=rx.call_script("window.print()"), size=BIG,
                      id="receipt-print"),
            rx.cond(r["can_send"], rx.button(rx.icon("send"), T("ui.pos.send_telegram"), on_click=PosReceiptState.send,
                                             size=BIG, variant="soft", id="receipt-send")),
            rx.link(rx.button(T("ui.pos.next_sale"), size=BIG, variant="soft", id="receipt-next"), href=routes.POS),
            spacing="3",
        ),
        spacing="4", align="center", width="100%",
    )


__all__ = ["open_shift_form", "receipt_view", "sale_screen", "shift_page_body", "styles", "top_bar"]
