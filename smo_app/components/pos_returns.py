"""/pos/returns: the sale found by number, scan or customer; its lines tapped back with +/−; a
return, or an exchange with the new items and the difference either way."""
from __future__ import annotations

import reflex as rx

from smo_app import routes
from smo_app.components.common import T, field_label
from smo_app.components.pos_scan import keyboard_wedge
from smo_app.state.pos_returns import PosReturnState as S
from smo_app.state.pos_sale import PosState

BIG = "3"


def _sale_row(s) -> rx.Component:
    return rx.button(T("ui.pos.receipt_no"), " ", s["id"], " · ", s["time"], " · ", s["total"], " ", s["customer"],
                     on_click=S.pick(s["id"]), variant="soft", size=BIG, class_name="return-sale")


def _line(ln) -> rx.Component:
    return rx.hstack(
        rx.vstack(rx.text(ln["name"], weight="medium"),
                  rx.text(ln["total"], " · ", T("ui.pos.left"), ": ", ln["left"], size="1", color_scheme="gray"),
                  spacing="0", flex="1"),
        rx.button("−", on_click=S.minus(ln["id"]), size=BIG, variant="soft", aria_label=T("ui.pos.less"),
                  disabled=ln["pick"].to(int) == 0, class_name="return-minus"),
        rx.text(ln["pick"], size="5", weight="bold", min_width="2.5rem", text_align="center", class_name="return-pick"),
        rx.button("+", on_click=S.plus(ln["id"]), size=BIG, variant="soft", aria_label=T("ui.pos.more"),
                  disabled=ln["pick"].to(int) >= ln["left"].to(int), class_name="return-plus"),
        width="100%", align="center", class_name="return-line", padding_y="0.25rem",
        border_bottom="1px solid var(--gray-a4)",
    )


def _new_item(ln) -> rx.Component:
    return rx.hstack(
        rx.text(ln["name"], flex="1"),
        rx.button("−", on_click=S.ex_qty(ln["variant_id"], ln["qty"].to(int) - 1), size="2", variant="soft",
                  aria_label=T("ui.pos.less")),
        rx.text(ln["qty"], weight="bold", min_width="2rem", text_align="center"),
        rx.button("+", on_click=S.ex_qty(ln["variant_id"], ln["qty"].to(int) + 1), size="2", variant="soft",
                  aria_label=T("ui.pos.more")),
        rx.text(ln["total"], weight="bold", min_width="6rem", text_align="right"),
        width="100%", align="center", class_name="exchange-line")


def _exchange_panel() -> rx.Component:
    return rx.vstack(
        rx.hstack(rx.heading(T("ui.pos.new_items"), size="4", as_="h3"), rx.spacer(),
                  rx.cond(PosState.device_name != "",  # the new items go into this tablet's own cart
                          rx.badge(rx.icon("tablet", size=14), PosState.device_name, color_scheme="gray",
                                   id="exchange-tablet")),
                  width="100%", align="center"),
        rx.input(rx.input.slot(rx.icon("search")), placeholder=T("ui.pos.search"), value=S.ex_query,
                 on_change=S.ex_search.debounce(200), size=BIG, width="100%", id="exchange-search",
                 aria_label=T("ui.pos.search")),
        rx.foreach(S.ex_hits, lambda h: rx.button(h["name"], " · ", h["price"], on_click=S.ex_add(h["variant_id"]),
                                                  variant="surface", color_scheme="gray", size="2",
                                                  class_name="exchange-hit", data_variant=h["variant_id"])),
        rx.foreach(S.ex_lines, _new_item),
        rx.hstack(rx.text(T("ui.pos.total")), rx.spacer(), rx.text(S.ex_total_text, weight="bold", id="exchange-total"),
                  width="100%"),
        rx.cond(
            S.difference_minor > 0,
            rx.vstack(
                rx.hstack(rx.text(T("ui.pos.customer_pays"), weight="bold"), rx.spacer(),
                          rx.text(S.difference_text, size="5", weight="bold", id="exchange-pays"), width="100%"),
                rx.hstack(*[rx.vstack(field_label(key, f"exchange-{field}"),
                                      rx.input(id=f"exchange-{field}", value=value, size=BIG, input_mode="decimal",
                                               on_change=lambda v, f=field: S.set_payment(f, v), width="9rem"),
                                      spacing="1")
                            for key, field, value in (("ui.pos.card", "card", S.card_text),
                                                      ("ui.pos.cash_given", "cash", S.tendered_text))],
                          spacing="3"),
                width="100%"),
            rx.hstack(rx.text(T("ui.pos.customer_gets"), weight="bold"), rx.spacer(),
                      rx.text(S.difference_text, size="5", weight="bold", id="exchange-gets"), width="100%"),
        ),
        rx.button(rx.icon("repeat"), T("ui.pos.do_exchange"), on_click=S.do_exchange, size=BIG, id="exchange-submit",
                  disabled=(S.back_minor == 0) | (S.ex_lines.length() == 0), width="100%"),
        width="26rem", spacing="2", padding="1rem", background="var(--color-panel-solid)",
        border_radius="var(--radius-4)",
    )


def returns_view() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.input(rx.input.slot(rx.icon("scan-barcode")), placeholder=T("ui.pos.find_sale"), value=S.query,
                     on_change=S.set_query, on_key_down=S.find_on_enter, size=BIG,
                     width="24rem", id="return-query", aria_label=T("ui.pos.find_sale")),
            rx.button(rx.icon("search"), T("ui.pos.find"), on_click=S.find, size=BIG, id="return-find"),
            rx.text(T("ui.pos.scan_receipt"), size="2", color_scheme="gray"),
            rx.spacer(),
            rx.link(rx.button(T("ui.pos.to_sale"), size=BIG, variant="soft"), href=routes.POS),
            align="center", spacing="3", width="100%",
        ),
        rx.flex(rx.foreach(S.sales, _sale_row), wrap="wrap", gap="2"),
        rx.cond(S.result != "", rx.callout(S.result, icon="check", color_scheme="green", id="return-result")),
        rx.cond(S.sale_id > 0, rx.hstack(
            rx.vstack(
                rx.hstack(rx.heading(T("ui.pos.receipt_no"), " ", S.sale_id, size="4", as_="h3"), rx.spacer(),
                          rx.segmented_control.root(
                              rx.segmented_control.item(T("ui.pos.return_only"), value="return"),
                              rx.segmented_control.item(T("ui.pos.exchange"), value="exchange"),
                              value=rx.cond(S.exchange_mode, "exchange", "return"), on_change=S.set_mode,
                              size="2", id="return-mode"),
                          width="100%", align="center"),
                rx.text(T("ui.pos.pick_lines"), size="2", color_scheme="gray"),
                rx.foreach(S.sale_lines, _line),
                rx.hstack(rx.text(T("ui.pos.to_return"), size="4"), rx.spacer(),
                          rx.text(S.back_text, size="5", weight="bold", id="return-back"), width="100%"),
                rx.cond(~S.exchange_mode,
                        rx.button(rx.icon("undo-2"), T("ui.pos.do_return"), on_click=S.do_return, size=BIG,
                                  id="return-submit", disabled=S.back_minor == 0, width="100%")),
                width="32rem", spacing="2",
            ),
            rx.cond(S.exchange_mode, _exchange_panel()),
            spacing="5", align="start",
        )),
        keyboard_wedge(S.scanned),
        spacing="3", width="100%",
    )
