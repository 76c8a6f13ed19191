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


def copy_row(label: rx.Var, value: rx.Var, copy_label: rx.Var, field_id: str) -> rx.Component:
    """One line of transfer details with a copy button (shown when the shop filled it in); also the
    booking's deposit transfer (components/storefront_booking.py)."""
    return rx.cond(value != "", rx.hstack(
        rx.vstack(rx.text(label, size="1", color_scheme="gray"),
                  rx.text(value, size="2", weight="medium", id=f"transfer-{field_id}"), spacing="0"),
        rx.spacer(),
        rx.icon_button(rx.icon("copy", size=16), variant="ghost", size="2", on_click=rx.set_clipboard(value),
                       aria_label=copy_label, id=f"copy-{field_id}"),
        width="100%", align="center"))


def _copy_row(label_key: str, field: str) -> rx.Component:
    return copy_row(_t(label_key), S.pay_transfer[field], _t("ui.pay.copy"), field)


def file_button(input_id: str, label: rx.Var, on_change, busy: rx.Var, button_id: str) -> rx.Component:
    """A file input behind a button-looking label (the page sends the file itself, no upload widget)."""
    return rx.el.label(
        rx.el.input(type="file", accept=PROOF_TYPES, id=input_id, on_change=on_change, class_name="sf-file-input",
                    disabled=busy),
        rx.cond(busy, rx.spinner(size="2"), rx.fragment()),
        label,
        class_name="rt-reset rt-BaseButton rt-r-size-2 rt-variant-soft rt-Button sf-file-button",
        html_for=input_id, id=button_id,
    )


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
        file_button(PROOF_INPUT, _t("ui.pay.proof"), S.send_proof, S.pay_busy, "payment-proof-button"),
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
