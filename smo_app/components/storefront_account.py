"""Mini App screens: My orders (live status), order detail, and My bonuses with the loyalty QR."""
from __future__ import annotations

import reflex as rx

from smo_app import routes
from smo_app.components import styles
from smo_app.components.storefront_payment import payment_step
from smo_app.components.storefront import ST, back_button, notice, sf_icon, tg_button
from smo_app.components.storefront_cart import breakdown
from smo_app.state.storefront_account import AccountState
from smo_app.state.storefront_payment import StorefrontPaymentState as PaymentState

STATUS_COLORS = {"new": "blue", "paid": "teal", "processing": "amber", "shipped": "violet", "delivered": "green",
                 "completed": "gray", "cancelled": "red"}


def status_badge(row) -> rx.Component:
    return rx.badge(row["status_text"], color_scheme=rx.match(row["status"], *STATUS_COLORS.items(), "gray"),
                    custom_attrs={"data-status": row["status"]})


def _order_row(row) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.vstack(rx.text(ST("ui.sf.order_no") + row["id"], weight="medium"),
                      rx.text(row["created"], size="1", color=styles.TG_HINT), spacing="0", align="start"),
            rx.spacer(),
            rx.vstack(status_badge(row), rx.text(row["total"], size="2"), spacing="1", align="end"),
            width="100%", align="center",
        ),
        on_click=AccountState.open_order(row["id"]), cursor="pointer", width="100%",
        custom_attrs={"data-order": row["id"]}, role="link",
    )


def orders_screen() -> rx.Component:
    return rx.vstack(
        rx.heading(ST("ui.sf.my_orders"), size="5", as_="h2"),
        notice(),
        rx.cond(AccountState.orders.length() == 0,
                rx.text(ST("ui.sf.no_orders"), color=styles.TG_HINT, padding_y="2rem"),
                rx.vstack(rx.foreach(AccountState.orders, _order_row), spacing="2", width="100%", id="sf-orders")),
        spacing="3", width="100%", align="start",
    )


def _payment_shown(o) -> rx.Var:
    """A new order offers payment; once this screen's payment is confirmed the step stays to say so
    (the order's own poll may see "paid" first and would otherwise hide the confirmation)."""
    paid_here = (PaymentState.pay_status == "paid") & (PaymentState.pay_order_id.to_string() == o["id"])
    return (o["status"] == "new") | paid_here


def order_screen() -> rx.Component:
    o = AccountState.order
    return rx.vstack(
        back_button(),
        rx.hstack(rx.heading(ST("ui.sf.order_no") + o["id"], size="5", as_="h2", id="sf-order-title"), rx.spacer(),
                  status_badge(o), width="100%", align="center", id="sf-order-status"),
        notice(),
        rx.text(o["created"], size="1", color=styles.TG_HINT),
        rx.text(o["delivery"] + " · " + o["address"], size="2"),
        rx.text(o["contact"], size="2"),
        rx.cond(o["tracking"] != "", rx.hstack(
            rx.text(ST("ui.sf.tracking") + ": ", size="2"), rx.text(o["tracking"], weight="bold", size="2", id="sf-tracking"),
            rx.link(ST("ui.sf.track"), href=o["tracking_url"], is_external=True, size="2", id="sf-track-link"),
            spacing="2", align="center", wrap="wrap")),
        rx.foreach(AccountState.order_lines, lambda line: rx.hstack(
            rx.text(line["name"] + " × " + line["qty"], size="2"), rx.spacer(), rx.text(line["sum"], size="2"),
            width="100%")),
        breakdown(AccountState.order_breakdown, o["total"]),
        rx.cond(o["cancel_reason"] != "", rx.callout(o["cancel_reason"], icon="circle-x", color_scheme="red",
                                                      width="100%", id="sf-cancel-reason")),
        rx.box(rx.cond(_payment_shown(o), payment_step()), id="sf-order-payment", width="100%"),
        rx.vstack(rx.foreach(AccountState.order_events, lambda e: rx.text(e["when"] + " — " + e["status"], size="1",
                                                                           color=styles.TG_HINT)), spacing="0"),
        tg_button(ST("ui.sf.repeat"), role="secondary", on_click=AccountState.repeat(o["id"]), variant="soft",
                  id="sf-repeat"),
        spacing="3", width="100%", align="start",
    )


def bonuses_screen() -> rx.Component:
    return rx.vstack(
        rx.heading(ST("ui.sf.my_bonuses"), size="5", as_="h2"),
        notice(),
        rx.link(rx.button(sf_icon("gift", 14), ST("ui.sf.wheel"), size="2", variant="soft"), href=routes.WHEEL,
                id="sf-wheel-link"),
        rx.card(rx.vstack(rx.text(ST("ui.sf.balance"), size="2", color=styles.TG_HINT),
                          rx.heading(AccountState.balance, size="7", id="sf-balance"), spacing="1"), width="100%"),
        rx.vstack(
            rx.text(ST("ui.sf.loyalty_card"), weight="medium"),
            rx.cond(AccountState.qr != "", rx.image(src=AccountState.qr, alt=ST("ui.sf.loyalty_card"), width="220px",
                                                   height="220px", id="sf-qr")),
            rx.cond(AccountState.card_code != "", rx.vstack(
                rx.text(ST("ui.sf.card_code"), ": ", rx.el.span(AccountState.card_code, id="sf-card-code"), size="4",
                        weight="bold", letter_spacing="0.08em"),
                rx.text(ST("ui.sf.card_code_hint"), size="1", color=styles.TG_HINT), spacing="0", align="center")),
            rx.text(AccountState.qr_note, size="1", color=styles.TG_HINT),
            rx.button(rx.icon("refresh-cw", size=14), ST("ui.sf.refresh_qr"), size="1", variant="soft",
                      on_click=AccountState.refresh_qr),
            align="center", width="100%", spacing="2",
        ),
        rx.card(rx.vstack(
            rx.text(ST("ui.sf.referral"), weight="medium"),
            rx.text(AccountState.referral_link, size="1", id="sf-referral", word_break="break-all"),
            rx.text(AccountState.invites, size="2"),
            rx.text(AccountState.tier, size="2", color=styles.TG_HINT),
            rx.button(rx.icon("share-2", size=14), ST("ui.sf.invite"), size="1", variant="soft",
                      on_click=AccountState.share_referral),
            spacing="1", align="start"), width="100%"),
        rx.text(ST("ui.sf.history"), weight="medium"),
        rx.cond(AccountState.entries.length() == 0, rx.text(ST("ui.sf.no_history"), size="2", color=styles.TG_HINT)),
        rx.foreach(AccountState.entries, lambda e: rx.hstack(
            rx.vstack(rx.text(e["kind"], size="2"), rx.text(e["when"], size="1", color=styles.TG_HINT), spacing="0",
                      align="start"),
            rx.spacer(), rx.text(e["amount"], size="2", color=rx.cond(e["plus"] == "1", "var(--green-11)", "inherit")),
            width="100%")),
        spacing="3", width="100%", align="start",
    )
