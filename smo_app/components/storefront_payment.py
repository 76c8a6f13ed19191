"""The Mini App's payment step: ``payment_step()`` goes where the checkout/order screen leaves its
slot; call ``StorefrontPaymentState.open_payment(order_id)`` when the order is shown."""
from __future__ import annotations

import reflex as rx

from smo_app.state.storefront_payment import MethodOption, StorefrontPaymentState as S

PROOF_UPLOAD = "payment-proof-upload"


def _t(key: str) -> rx.Var:
    return S.shop_tr[key]


def _method(option: MethodOption) -> rx.Component:
    return rx.radio_group.item(option["label"], value=option["key"])


def _manual() -> rx.Component:
    return rx.vstack(
        rx.text(_t("ui.pay.proof"), weight="medium"),
        rx.upload.root(
            rx.button(_t("ui.pay.proof"), variant="soft", width="100%"),
            id=PROOF_UPLOAD, accept={"image/jpeg": [".jpg", ".jpeg"], "image/png": [".png"], "image/webp": [".webp"]},
            max_files=1, on_drop=S.upload_proof(rx.upload_files(upload_id=PROOF_UPLOAD)), border="none", padding="0",
        ),
        width="100%",
    )


def payment_step() -> rx.Component:
    """Method picker, pay button, status. Fits 390 px wide."""
    status_callout = rx.match(
        S.pay_status,
        ("paid", rx.callout(_t("ui.pay.paid"), icon="circle-check", color_scheme="green", id="payment-paid")),
        ("waiting", rx.callout(_t("ui.pay.waiting"), icon="loader", color_scheme="blue", id="payment-waiting")),
        ("proof_sent", rx.callout(_t("ui.pay.proof_sent"), icon="clock", color_scheme="blue")),
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
    return rx.vstack(
        rx.heading(_t("ui.pay.title"), size="4"),
        status_callout,
        rx.cond(S.pay_status != "paid", picker),
        width="100%", spacing="3", id="payment-step",
    )
