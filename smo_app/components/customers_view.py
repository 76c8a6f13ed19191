"""View of the customers page: search, the result table, the card dialog, exports."""
from __future__ import annotations

import reflex as rx

from smo_app.components.common import T, date_input
from smo_app.components.ops import card, empty_state, error_box, field, pager
from smo_app.state.customers import CustomerLine, CustomersState, HistoryLine

S = CustomersState


def _search() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(name="q", placeholder=T("ui.cust.search_hint"), id="cust-search", width="24rem"),
            rx.button(rx.icon("search", size=16), T("ui.cust.search"), type="submit", id="cust-search-go"),
            align="end", spacing="3",
        ),
        on_submit=S.search, reset_on_submit=False,
    )


def _row(line: CustomerLine) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(line["name"], on_click=S.open_card(line["id"]), cursor="pointer")),
        rx.table.cell(line["username"]), rx.table.cell(line["telegram_id"]), rx.table.cell(line["phone"]),
        rx.table.cell(line["registered"]), rx.table.cell(line["bonuses"]), rx.table.cell(line["discount"], "%"),
        rx.table.cell(line["tags"]),
        class_name="cust-row", on_click=S.open_card(line["id"]), cursor="pointer",
    )


def _table() -> rx.Component:
    heads = ("name", "username", "telegram_id", "phone", "registered", "bonuses", "discount", "tags")
    return rx.cond(
        S.lines.length() > 0,
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(T(f"ui.cust.col.{h}")) for h in heads])),
            rx.table.body(rx.foreach(S.lines, _row)),
            variant="surface", width="100%", id="cust-table",
        ),
        rx.cond(S.query != "", empty_state("ui.cust.none_found", "cust-empty"), empty_state("ui.cust.empty", "cust-empty")),
    )


def _kv(key: str) -> rx.Component:
    return rx.hstack(rx.text(T(f"ui.cust.card.{key}"), color_scheme="gray", size="2", min_width="10rem"),
                     rx.text(S.card[key], size="2", id=f"card-{key}"))


def _history_row(h: HistoryLine) -> rx.Component:
    return rx.table.row(rx.table.cell(h["when"]), rx.table.cell(h["kind"]), rx.table.cell(h["amount"]),
                        rx.table.cell(h["balance"]), rx.table.cell(h["note"]))


def _card_dialog() -> rx.Component:
    profile = rx.form(
        rx.flex(
            field("ui.cust.card.discount", rx.input(name="discount", default_value=S.card_discount.to_string(),
                                                    id="card-discount-input", width="6rem", key=S.card_id)),
            field("ui.cust.card.note", rx.input(name="note", default_value=S.card_note, width="18rem", key=S.card_id)),
            rx.el.label(rx.el.input(type="checkbox", name="wholesale", default_checked=S.card_wholesale, key=S.card_id),
                        rx.text(T("ui.cust.wholesale"), as_="span", size="2", margin_left="0.3rem")),
            rx.button(T("ui.save"), type="submit", id="card-save"),
            spacing="3", wrap="wrap", align="end",
        ),
        on_submit=S.save_profile, reset_on_submit=False,
    )
    bonuses = rx.form(
        rx.flex(
            field("ui.cust.bonus_amount", rx.input(name="amount", placeholder="+500 / -200", width="8rem", id="bonus-amount")),
            field("ui.cust.bonus_note", rx.input(name="note", width="18rem", id="bonus-note")),
            rx.button(T("ui.cust.bonus_apply"), type="submit", id="bonus-apply"),
            spacing="3", wrap="wrap", align="end",
        ),
        on_submit=S.adjust_bonuses, reset_on_submit=True,
    )
    message = rx.form(
        rx.hstack(rx.text_area(name="text", placeholder=T("ui.cust.message_hint"), width="100%", id="cust-message"),
                  rx.button(T("ui.cust.message_send"), type="submit"), width="100%", align="end"),
        on_submit=S.send_message, reset_on_submit=True, width="100%",
    )
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(S.card["name"]),
            rx.vstack(
                rx.grid(*[_kv(k) for k in ("username", "telegram_id", "phone", "email", "registered", "last_seen",
                                          "orders", "orders_sum", "bonuses", "invites", "unreachable")],
                        columns="2", spacing="1", width="100%"),
                error_box(S.card_error, "card-error"),
                profile,
                rx.cond(S.allowed.contains("/admin/settings"),
                        rx.hstack(rx.switch(checked=S.card_tester, on_change=S.set_tester, id="card-tester"),
                                  rx.text(T("ui.cust.tester"), size="2"), align="center")),
                rx.text(T("ui.cust.bonuses"), weight="bold"),
                bonuses,
                rx.cond(S.history.length() > 0,
                        rx.table.root(rx.table.body(rx.foreach(S.history, _history_row)), size="1", width="100%",
                                      id="bonus-history"),
                        rx.text(T("ui.cust.no_bonus_history"), size="2", color_scheme="gray")),
                rx.text(T("ui.cust.orders"), weight="bold"),
                rx.cond(S.orders.length() > 0,
                        rx.vstack(rx.foreach(S.orders, lambda o: rx.text("№", o["id"], " · ", o["when"], " · ", o["status"],
                                                                         " · ", o["total"], size="2")), spacing="1",
                                  id="card-orders"),
                        rx.text(T("ui.cust.no_orders"), size="2", color_scheme="gray")),
                rx.text(T("ui.cust.friends"), weight="bold"),
                rx.cond(S.friends.length() > 0,
                        rx.vstack(rx.foreach(S.friends, lambda f: rx.text(f["name"], " ", f["username"], " · ",
                                                                          f["registered"], size="2")), spacing="1"),
                        rx.text(T("ui.cust.no_friends"), size="2", color_scheme="gray")),
                rx.text(T("ui.cust.message"), weight="bold"),
                message,
                rx.dialog.close(rx.button(T("ui.close"), variant="soft", color_scheme="gray", on_click=S.close_card)),
                spacing="3", width="100%",
            ),
            max_width="52rem",
        ),
        open=S.card_open,
        on_open_change=lambda _o: S.close_card(),
    )


def _exports() -> rx.Component:
    return card(
        "ui.cust.export",
        rx.form(
            rx.flex(
                field("ui.audit.date_from", date_input(name="from", default_value=S.export_from, id="export-from")),
                field("ui.audit.date_to", date_input(name="to", default_value=S.export_to, id="export-to")),
                rx.button(rx.icon("download", size=16), T("ui.cust.export_go"), type="submit", id="cust-export"),
                spacing="3", align="end", wrap="wrap",
            ),
            on_submit=S.export, reset_on_submit=False,
        ),
        rx.text(T("ui.cust.export_hint"), size="1", color_scheme="gray"),
    )


def customers_view() -> rx.Component:
    return rx.vstack(
        _search(),
        error_box(S.message, "cust-error"),
        _table(),
        pager(S.page, S.page > 1, S.has_next, S.go(-1), S.go(1), "cust-pager"),
        _exports(),
        _card_dialog(),
        spacing="3", width="100%",
    )
