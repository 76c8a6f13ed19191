"""The Mini App's payment step: ``payment_step()`` goes where the checkout/order screen leaves its
slot; call ``StorefrontPaymentState.open_payment(order_id)`` when the order is shown."""
from __future__ import annotations

import reflex as rx

from smo_app.state.storefront_payment import PROOF_INPUT, MethodOption, StorefrontPaymentState as S

PROOF_TYPES = "image/jpeg,image/png,image/webp"


def _t(key: str) -> rx.Var:
    return S.shop_tr[key]


def _method(option: MethodOption) -> rx.Component:
    return rx.radio_group.item(option["label"], value=option["key"])


def _manual() -> rx.Component:
    """A file input behind a button-looking label (the page sends the file itself, no upload widget)."""
    return rx.vstack(
        rx.text(_t("ui.pay.proof"), weight="medium"),
        rx.el.label(
            rx.el.input(type="file", accept=PROOF_TYPES, id=PROOF_INPUT, on_change=S.send_proof,
                        class_name="sf-file-input", disabled=S.pay_busy),
            rx.cond(S.pay_busy, rx.spinner(size="2"), rx.fragment()),
            _t("ui.pay.proof"),
            class_name="rt-reset rt-BaseButton rt-r-size-2 rt-variant-soft rt-Button sf-file-button",
            html_for=PROOF_INPUT, id="payment-proof-button",
        ),
        width="100%",
    )


def payment_step() -> rx.Component:
    """Method picker, pay button, status. Fits 390 px wide."""
    status_callout = rx.match(
        S.pay_status,
        ("paid", rx.callout(_t("ui.pay.paid"), icon="circle-check", color_scheme="green", id="payment-paid")),
        ("waiting", rx.callout(_t("ui.pay.waiting"), icon="loader", color_scheme="blue", id="payment-waiting")),
        ("proof_sent", rx.callout(S.pay_message, icon="clock", color_scheme="blue", id="payment-proof-waiting")),
        ("failed", rx.callout(S.pay_message, icon="triangle-alert", color_scheme="red", role="alert", id="payment-failed")),
        ("cancelled", rx.callout(S.pay_message, icon="circle-x", color_scheme="amber", role="alert")),
        rx.cond(S.pay_message != "", rx.callout(S.pay_message, icon="triangle-alert", color_scheme="red", role="alert")),
    )
    picker = rx.cond(
        S.pay_methods.length() > 0,
        rx.vstack(
            rx.text(_t("ui.pay.choose"), weight="medium"),
            rx.radio_group.root(rx.foreach(S.pay_methods, _method), value=S.pay_method, on_change=S.choose_method,
                                direction="column", aria_label=_t("ui.pay.choose")),
            rx.cond(S.pay_method == "manual", _manual(),
                    rx.button(_t("ui.pay.pay"), " ", S.pay_total, on_click=S.pay, loading=S.pay_busy, size="3",
                              width="100%", id="pay-button")),
            width="100%", spacing="3",
        ),
        rx.text(_t("ui.pay.no_methods"), color_scheme="gray"),
    )
    deadline = rx.cond(S.pay_deadline != "", rx.text(S.pay_deadline, size="2", weight="medium", id="payment-deadline"))
    return rx.vstack(
        rx.heading(_t("ui.pay.title"), size="4"),
        status_callout,
        deadline,
        rx.cond((S.pay_status != "paid") & (S.pay_status != "proof_sent"), picker),
        width="100%", spacing="3", id="payment-step",
    )
