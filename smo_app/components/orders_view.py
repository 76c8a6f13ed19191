"""View of the orders page: tabs with counts, search, the table with ticks, the card dialog with its
moves, the confirmation, the courier handoff and B2B entry dialogs; and the printable pick list."""
from __future__ import annotations

import reflex as rx

from smo_app.components.common import T, date_input
from smo_app.components.ops import card, empty_state, error_box, field, form_dialog, pager
from smo_app.state.order_card import ActionView, OrderCardState
from smo_app.state.orders import OrderRowView, OrdersState, PickListState, PickProductView, TabView

S = OrdersState
C = OrderCardState

_STATUS_COLORS = {"new": "blue", "paid": "green", "processing": "amber", "shipped": "violet", "delivered": "cyan",
                  "completed": "gray", "cancelled": "red"}


def status_badge(status: rx.Var, text: rx.Var) -> rx.Component:
    return rx.badge(text, color_scheme=rx.match(status, *[(k, v) for k, v in _STATUS_COLORS.items()], "gray"))


def _tab(tab: TabView) -> rx.Component:
    return rx.button(
        tab["label"], rx.cond(tab["count"] >= 0, rx.badge(tab["count"], variant="soft", radius="full")),
        variant=rx.cond(S.tab == tab["key"], "solid", "soft"), size="2", on_click=S.set_tab(tab["key"]),
        id="tab-" + tab["key"], class_name="orders-tab",
    )


def _filters() -> rx.Component:
    return rx.form(
        rx.flex(
            field("ui.orders.search", rx.input(name="q", placeholder=T("ui.orders.search_hint"), id="orders-search",
                                                width="20rem", default_value=S.query)),
            field("ui.audit.date_from", date_input(name="from", id="orders-from", default_value=S.date_from)),
            field("ui.audit.date_to", date_input(name="to", id="orders-to", default_value=S.date_to)),
            rx.button(rx.icon("search", size=16), T("ui.cust.search"), type="submit", id="orders-search-go"),
            spacing="3", align="end", wrap="wrap",
        ),
        on_submit=S.search, reset_on_submit=False,
    )


def _row(row: OrderRowView) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.checkbox(checked=S.selected.contains(row["id"]), on_change=lambda v: S.toggle(row["id"], v),
                                  aria_label=T("ui.orders.tick"), class_name="order-tick")),
        # a button, not a link: a link without an address navigates, and the page's load closes the card
        rx.table.cell(rx.button("№", row["id"], on_click=C.open_card(row["id"]), variant="ghost", size="2",
                                class_name="order-open")),
        rx.table.cell(row["when"]),
        rx.table.cell(rx.text(row["customer"]), rx.text(row["phone"], size="1", color_scheme="gray")),
        rx.table.cell(status_badge(row["status"], row["status_text"])),
        rx.table.cell(row["total"]),
        rx.table.cell(rx.text(row["delivery"]), rx.text(row["address"], size="1", color_scheme="gray")),
        rx.table.cell(row["tracking"]),
        class_name="order-row",
    )


def _table() -> rx.Component:
    heads = ("number", "created", "customer", "status", "total", "delivery", "tracking")
    return rx.cond(
        S.rows.length() > 0,
        rx.table.root(
            rx.table.header(rx.table.row(rx.table.column_header_cell(""),
                                         *[rx.table.column_header_cell(T(f"ui.orders.col.{h}")) for h in heads])),
            rx.table.body(rx.foreach(S.rows, _row)),
            variant="surface", width="100%", id="orders-table",
        ),
        rx.cond((S.query != "") | (S.date_from != "") | (S.date_to != ""),
                empty_state("ui.orders.none_found", "orders-empty"), empty_state("ui.orders.empty", "orders-empty")),
    )


def _toolbar() -> rx.Component:
    return rx.hstack(
        rx.text(T("ui.orders.ticked"), " ", S.selected.length(), size="2", color_scheme="gray"),
        rx.cond(S.selected.length() > 0,
                rx.link(rx.button(rx.icon("printer", size=16), T("ui.orders.pick_list"), variant="soft", size="2"),
                        href=S.pick_href, is_external=True, id="orders-pick-list")),
        rx.button(rx.icon("truck", size=16), T("ui.orders.handoff"), variant="soft", size="2", on_click=S.open_handoff,
                  disabled=S.selected.length() == 0, id="orders-handoff"),
        rx.cond(S.selected.length() > 0,
                rx.button(T("ui.orders.untick"), variant="ghost", size="2", on_click=S.clear_selection)),
        rx.spacer(),
        rx.button(rx.icon("plus", size=16), T("ui.orders.b2b_new"), size="2", on_click=S.open_b2b, id="orders-b2b"),
        width="100%", align="center", spacing="3",
    )


def _kv(key: str) -> rx.Component:
    return rx.hstack(rx.text(T(f"ui.orders.card.{key}"), color_scheme="gray", size="2", min_width="9rem"),
                     rx.text(C.card[key], size="2", id=f"order-card-{key}", white_space="pre-line"))


def _action_button(a: ActionView) -> rx.Component:
    return rx.button(a["label"], on_click=C.act(a), color_scheme=rx.cond(a["danger"], "red", "grass"),
                     variant=rx.cond(a["danger"], "soft", "solid"), size="2", class_name="order-action",
                     id="order-action-" + a["action"])


def _shipment() -> rx.Component:
    """The CDEK waybill: its carrier status, print, or why it failed and "create again"."""
    s = C.card_shipment
    return rx.cond(s.contains("status"), rx.hstack(
        rx.badge(T("ui.orders.card.carrier"), color_scheme="green"),
        rx.cond(s["status"] == "created", rx.hstack(
            rx.cond(s["carrier"] != "", rx.text(T("ui.orders.card.carrier_status"), " ", s["carrier"], size="2")),
            rx.button(rx.icon("printer", size=14), T("ui.orders.card.waybill"), on_click=C.print_waybill, size="1",
                      variant="soft", id="order-waybill-print"), align="center", spacing="2")),
        rx.cond(s["status"] == "creating", rx.text(T("ui.orders.card.waybill_creating"), size="2")),
        rx.cond(s["status"] == "failed", rx.hstack(
            rx.text(T("ui.orders.card.waybill_failed"), " ", s["error"], size="2", color_scheme="red"),
            rx.button(T("ui.orders.card.waybill_retry"), on_click=C.retry_waybill, size="1", variant="soft",
                      id="order-waybill-retry"), align="center", spacing="2")),
        align="center", spacing="2", wrap="wrap", id="order-shipment"))


def _payment_proof() -> rx.Component:
    """The customer's screenshot of a manual transfer: a thumbnail that opens full size, who decided,
    and confirm / reject (with a reason) while it waits."""
    decide = rx.cond(
        C.proof_can_decide,
        rx.hstack(
            rx.button(rx.icon("check", size=14), T("ui.orders.proof.confirm"), color_scheme="grass",
                      on_click=C.confirm_proof, id="proof-confirm", type="button", loading=C.busy),
            rx.form(rx.hstack(rx.input(name="reason", placeholder=T("ui.orders.proof.reason"), width="14rem",
                                       id="proof-reason"),
                              rx.button(T("ui.orders.proof.reject"), type="submit", color_scheme="red", variant="soft",
                                        id="proof-reject", loading=C.busy), align="center"),
                    on_submit=C.reject_proof, reset_on_submit=True),
            spacing="3", wrap="wrap", align="center",
        ),
    )
    return rx.hstack(
        rx.text(T("ui.orders.card.payment_proof"), color_scheme="gray", size="2", min_width="9rem"),
        rx.cond(
            C.card_proof.contains("url"),
            rx.vstack(
                rx.link(rx.image(src=C.card_proof["url"], alt=T("ui.orders.card.payment_proof"), max_height="12rem",
                                 max_width="16rem", border_radius="6px", border="1px solid var(--gray-a6)"),
                        href=C.card_proof["url"], is_external=True, id="proof-link"),
                rx.text(C.card_proof["sent"], size="1", color_scheme="gray"),
                rx.text(C.card_proof["decision"], size="2", id="proof-decision"),
                decide,
                spacing="2", id="order-proof",
            ),
            rx.text(T("ui.orders.no_payment_proof"), size="2", color_scheme="gray"),
        ),
        align="start",
    )


def _card_dialog() -> rx.Component:
    lines = rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(T(f"ui.orders.line.{h}"))
                                       for h in ("name", "variant", "qty", "price", "discount", "total")])),
        rx.table.body(rx.foreach(C.card_lines, lambda ln: rx.table.row(
            rx.table.cell(ln["name"]), rx.table.cell(ln["variant"]), rx.table.cell(ln["qty"]), rx.table.cell(ln["price"]),
            rx.table.cell(ln["discount"]), rx.table.cell(ln["total"])))),
        size="1", width="100%", id="order-lines",
    )
    sums = rx.vstack(rx.foreach(C.card_sums, lambda s: rx.hstack(rx.text(s["label"], size="2"), rx.spacer(),
                                                                   rx.text(s["amount"], size="2", weight="medium",
                                                                           white_space="nowrap"),
                                                                   width="18rem")),
                     spacing="1", id="order-sums", align="end", width="100%")
    history = rx.vstack(rx.foreach(C.card_events, lambda e: rx.text(e["when"], " · ", e["move"], " · ", e["who"],
                                                                     rx.cond(e["reason"] != "", " — " + e["reason"], ""),
                                                                     size="2")),
                        spacing="1", id="order-history")
    tracking = rx.form(
        rx.hstack(field("ui.orders.card.tracking", rx.input(name="tracking", default_value=C.card_tracking,
                                                            key=C.card_id, id="order-tracking", width="14rem")),
                  rx.button(T("ui.save"), type="submit", id="order-tracking-save", variant="soft"), align="end"),
        on_submit=C.save_tracking, reset_on_submit=False,
    )
    message = rx.cond(
        C.card_can_message,
        rx.form(rx.hstack(rx.text_area(name="text", placeholder=T("ui.cust.message_hint"), width="100%",
                                       id="order-message"),
                          rx.button(T("ui.cust.message_send"), type="submit", id="order-message-send"), width="100%",
                          align="end"),
                on_submit=C.send_message, reset_on_submit=True, width="100%"),
        rx.text(T("ui.orders.cannot_message"), size="2", color_scheme="gray"),
    )
    refund = rx.form(
        rx.hstack(field("ui.orders.refund_amount", rx.input(name="amount", placeholder=T("ui.orders.refund_all"),
                                                            width="9rem", id="order-refund-amount")),
                  field("ui.orders.reason", rx.input(name="reason", width="16rem", id="order-refund-reason")),
                  rx.button(T("ui.orders.refund"), type="submit", color_scheme="red", variant="soft",
                            id="order-refund"), align="end", wrap="wrap"),
        on_submit=C.refund, reset_on_submit=True,
    )
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.hstack(rx.text(C.card["title"]), status_badge(C.card["status_key"], C.card["status"]),
                                      align="center")),
            rx.vstack(
                rx.hstack(rx.foreach(C.card_actions, _action_button), spacing="2", wrap="wrap", id="order-actions"),
                error_box(C.card_error, "order-card-error"),
                rx.grid(
                    rx.hstack(rx.text(T("ui.orders.card.customer"), color_scheme="gray", size="2", min_width="9rem"),
                              rx.cond(C.card_customer_id > 0,
                                      rx.link(C.card["customer"], " ", C.card["username"], on_click=C.open_customer,
                                              cursor="pointer", id="order-card-customer-link"),
                                      rx.text(C.card["customer"], size="2"))),
                    *[_kv(k) for k in ("created", "channel", "contact", "phone", "delivery", "address", "payer",
                                       "paid_at", "comment")],
                    columns="2", spacing="1", width="100%",
                ),
                _payment_proof(),
                lines, sums,
                tracking,
                _shipment(),
                rx.cond(C.card_handoffs.length() > 0,
                        rx.vstack(rx.foreach(C.card_handoffs, lambda h: rx.text(h, size="2")), spacing="1")),
                rx.text(T("ui.orders.history"), weight="bold"), history,
                rx.text(T("ui.orders.message"), weight="bold"), message,
                refund,
                rx.dialog.close(rx.button(T("ui.close"), variant="soft", color_scheme="gray", on_click=C.close_card)),
                spacing="3", width="100%",
            ),
            max_width="60rem", id="order-card",
        ),
        open=C.card_open, on_open_change=lambda _o: C.close_card(),
    )


def _confirm_dialog() -> rx.Component:
    p = C.pending
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(p["label"]),
            rx.alert_dialog.description(rx.cond(p["action"] == "cancel", T("ui.orders.confirm_cancel"),
                                                T("ui.orders.confirm_move"))),
            rx.form(
                rx.vstack(
                    rx.cond(p["needs_reason"], field("ui.orders.reason", rx.input(name="reason", id="order-reason",
                                                                                  width="100%"), width="100%")),
                    rx.cond(p["restock_choice"], rx.radio_group.root(
                        rx.vstack(rx.radio_group.item(T("ui.orders.restock"), value="restock"),
                                  rx.radio_group.item(T("ui.orders.write_off"), value="write_off")),
                        name="restock", default_value="restock", id="order-restock")),
                    error_box(C.confirm_error, "order-confirm-error"),
                    rx.hstack(rx.alert_dialog.cancel(rx.button(T("ui.orders.keep"), variant="soft", color_scheme="gray",
                                                               on_click=C.close_confirm, type="button")),
                              rx.button(p["label"], type="submit", color_scheme=rx.cond(p["danger"], "red", "grass"),
                                        id="order-confirm", loading=C.busy),
                              justify="end", width="100%"),
                    spacing="3", width="100%",
                ),
                on_submit=C.confirm, reset_on_submit=False,
            ),
        ),
        open=C.confirm_open,
    )


def _handoff_dialog() -> rx.Component:
    return form_dialog(
        "ui.orders.handoff",
        rx.text(T("ui.orders.ticked"), " ", S.selected.length(), size="2"),
        field("ui.orders.courier_staff", rx.el.select(
            rx.el.option(T("ui.orders.courier_outside"), value=""),
            rx.foreach(S.couriers, lambda c: rx.el.option(c["name"], value=c["id"])),
            name="staff", id="handoff-staff"), width="100%"),
        field("ui.orders.courier_name", rx.input(name="name", id="handoff-name", width="100%"), width="100%"),
        field("ui.orders.note", rx.input(name="note", width="100%"), width="100%"),
        rx.text(rx.checkbox(name="cod", id="handoff-cod"), " ", T("ui.orders.cash_on_delivery"), as_="label", size="2"),
        rx.text(T("ui.orders.courier_hint"), size="1", color_scheme="gray"),
        error_box(S.handoff_error, "handoff-error"),
        open=S.handoff_open, on_close=S.close_handoff, on_submit=S.hand_over, submit_key="ui.orders.handoff_go",
        submit_id="handoff-go",
    )


def _b2b_dialog() -> rx.Component:
    return form_dialog(
        "ui.orders.b2b_new",
        rx.flex(field("ui.orders.b2b_customer", rx.input(name="customer", placeholder="123", width="8rem",
                                                         id="b2b-customer")),
                field("ui.orders.b2b_buyer", rx.input(name="buyer", width="18rem", id="b2b-buyer")),
                spacing="3", wrap="wrap"),
        field("ui.orders.b2b_lines", rx.text_area(name="lines", placeholder="12 3 450\n15 1 1200,50",
                                                  rows="5", width="100%", id="b2b-lines"), width="100%"),
        rx.text(T("ui.orders.b2b_lines_hint"), size="1", color_scheme="gray"),
        rx.flex(field("ui.orders.b2b_delivery", rx.input(name="delivery", width="8rem", id="b2b-delivery")),
                field("ui.orders.b2b_payer", rx.el.select(
                    rx.el.option(T("ui.orders.payer.buyer"), value="buyer"),
                    rx.el.option(T("ui.orders.payer.shop"), value="shop"), name="payer", id="b2b-payer")),
                spacing="3", wrap="wrap"),
        field("ui.orders.card.comment", rx.input(name="comment", width="100%"), width="100%"),
        error_box(S.b2b_error, "b2b-error"),
        open=S.b2b_open, on_close=S.close_b2b, on_submit=S.create_b2b, submit_key="ui.orders.b2b_create",
        submit_id="b2b-create", max_width="40rem",
    )


def _handoffs() -> rx.Component:
    return card(
        "ui.orders.handoffs",
        rx.cond(S.handoffs.length() > 0,
                rx.vstack(rx.foreach(S.handoffs, lambda h: rx.text(h["when"], " · ", h["name"], " · ", h["orders"],
                                                                    " · ", h["by"], size="2")),
                          spacing="1", id="handoffs"),
                rx.text(T("ui.orders.no_handoffs"), size="2", color_scheme="gray")),
    )


def orders_view() -> rx.Component:
    return rx.vstack(
        rx.hstack(rx.foreach(S.tabs, _tab), spacing="2", wrap="wrap", id="orders-tabs"),
        _filters(),
        error_box(S.message, "orders-error"),
        _toolbar(),
        _table(),
        pager(S.page, S.page > 1, S.has_next, S.go(-1), S.go(1), "orders-pager"),
        _handoffs(),
        _card_dialog(), _confirm_dialog(), _handoff_dialog(), _b2b_dialog(),
        spacing="3", width="100%",
    )


def _pick_product(p: PickProductView) -> rx.Component:
    return rx.el.tbody(
        rx.el.tr(rx.el.td(rx.el.strong(p["name"]), col_span=2), rx.el.td(rx.el.strong(p["qty"])), rx.el.td("☐")),
        rx.foreach(p["variants"], lambda v: rx.el.tr(rx.el.td(""), rx.el.td(v["label"]), rx.el.td(v["qty"]),
                                                     rx.el.td(v["orders"]))),
    )


def pick_list_view() -> rx.Component:
    P = PickListState
    return rx.box(
        rx.hstack(rx.heading(T("ui.orders.pick_list"), size="5"), rx.spacer(),
                  rx.button(rx.icon("printer", size=16), T("ui.orders.print"), on_click=rx.call_script("window.print()"),
                            class_name="no-print", id="pick-print"), width="100%"),
        error_box(P.pick_error, "pick-error"),
        rx.cond(P.cod_href != "", rx.link(T("ui.orders.pick_cod"), href=P.cod_href, id="pick-cod", class_name="no-print")),
        rx.text(T("ui.orders.pick_orders"), " ", P.order_ids, size="2"),
        rx.text(T("ui.orders.pick_units"), " ", P.units, size="2"),
        rx.el.table(
            rx.el.thead(rx.el.tr(*[rx.el.th(T(f"ui.orders.pick.{h}")) for h in ("product", "variant", "qty", "orders")])),
            rx.foreach(P.products, _pick_product),
            id="pick-table", width="100%", border="1px solid #999", border_collapse="collapse",
        ),
        rx.el.style("@media print {.no-print {display:none}} #pick-table td, #pick-table th "
                    "{border:1px solid #999; padding:4px 8px; text-align:left}"),
        padding="1.5rem", max_width="60rem",
    )
