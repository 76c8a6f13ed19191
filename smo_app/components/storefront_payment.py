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


def _copy_row(label_key: str, field: str) -> rx.Component:
    """One line of the transfer details with a copy button (shown when the shop filled it in)."""
    value = S.pay_transfer[field]
    return rx.cond(value != "", rx.hstack(
        rx.vstack(rx.text(_t(label_key), size="1", color_scheme="gray"),
                  rx.text(value, size="2", weight="medium", id=f"transfer-{field}"), spacing="0"),
        rx.spacer(),
        rx.icon_button(rx.icon("copy", size=16), variant="ghost", size="2", on_click=rx.set_clipboard(value),
                       aria_label=_t("ui.pay.copy"), id=f"copy-{field}"),
        width="100%", align="center"))


def _transfer_details() -> rx.Component:
    """Where to send the money: the sum, recipient, bank, account, the comment; the SBP QR and link."""
    return rx.cond(S.pay_transfer.length() > 0, rx.vstack(
        rx.text(_t("ui.pay.transfer_title"), weight="medium"),
        rx.hstack(rx.text(_t("ui.pay.transfer_sum"), size="2"), rx.spacer(),
                  rx.text(S.pay_total, size="3", weight="bold", id="transfer-sum"), width="100%"),
        _copy_row("ui.pay.transfer_recipient", "recipient"),
        _copy_row("ui.pay.transfer_bank", "bank"),
        _copy_row("ui.pay.transfer_account", "account"),
        _copy_row("ui.pay.transfer_comment", "comment"),
        rx.cond(S.pay_transfer["sbp_qr"] != "", rx.vstack(
            rx.text(_t("ui.pay.sbp_hint"), size="2"),
            rx.image(src=S.pay_transfer["sbp_qr"], width="180px", height="180px", alt=_t("ui.pay.sbp_qr"),
                     id="transfer-sbp-qr"),
            rx.link(_t("ui.pay.sbp_open"), href=S.pay_transfer["sbp_link"], is_external=True, id="transfer-sbp-link"),
            align="center", width="100%", spacing="2")),
        width="100%", spacing="2", padding="0.75rem", border_radius="8px", border="1px solid var(--gray-a6)",
        id="transfer-details"))


def _manual() -> rx.Component:
    """A file input behind a button-looking label (the page sends the file itself, no upload widget)."""
    return rx.vstack(
        _transfer_details(),
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
