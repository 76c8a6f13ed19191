"""Mini App screens: the cart (``CartState``) and the checkout steps (``CheckoutState``, with the
payment step's slot)."""
from __future__ import annotations

import reflex as rx

from smo_app.components import styles
from smo_app.components.storefront import ST, back_button, notice, tg_button
from smo_app.components.storefront_catalog import product_tile, vacation_banner
from smo_app.state.storefront_cart import CartState
from smo_app.state.storefront_checkout import CheckoutState


def breakdown(rows, total) -> rx.Component:
    return rx.vstack(
        rx.foreach(rows, lambda r: rx.hstack(rx.text(r["label"], size="2"), rx.spacer(),
                                             rx.text(r["amount"], size="2", white_space="nowrap"), width="100%")),
        rx.divider(),
        rx.hstack(rx.text(ST("ui.sf.total"), weight="bold"), rx.spacer(),
                  rx.text(total, weight="bold", id="sf-total", white_space="nowrap"), width="100%"),
        spacing="1", width="100%", id="sf-breakdown",
    )


def _line(line) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.vstack(
                rx.text(line["name"], weight="medium", size="2"),
                rx.text(line["label"], size="1", color=styles.TG_HINT),
                rx.hstack(rx.text(line["unit"], size="1", white_space="nowrap", custom_attrs={"data-unit": "1"}),
                          rx.cond(line["unit_old"] != "", rx.text(line["unit_old"], size="1", color=styles.TG_HINT,
                                                                  text_decoration="line-through", white_space="nowrap")),
                          spacing="1", align="baseline"),
                rx.cond(line["note"] != "", rx.text(line["note"], size="1",
                                                    color=rx.cond(line["problem"] == "1", "var(--red-11)", "var(--violet-11)"))),
                spacing="0", align="start", flex="1",
            ),
            rx.vstack(
                rx.hstack(
                    rx.icon_button(rx.icon("minus", size=14), size="1", variant="soft",
                                   on_click=CartState.dec(line["variant_id"]), aria_label=ST("ui.sf.less")),
                    rx.input(default_value=line["qty"], key=line["variant_id"] + "-" + line["qty"], width="3rem",
                             size="1", text_align="center", input_mode="numeric", aria_label=ST("ui.sf.qty"),
                             on_blur=lambda value: CartState.set_line_qty(line["variant_id"], value)),
                    rx.icon_button(rx.icon("plus", size=14), size="1", variant="soft",
                                   on_click=CartState.inc(line["variant_id"]), aria_label=ST("ui.sf.more_units")),
                    spacing="1", align="center",
                ),
                rx.text(line["sum"], weight="bold", size="2", white_space="nowrap"),
                spacing="1", align="end",
            ),
            width="100%", align="center",
        ),
        width="100%", custom_attrs={"data-line": line["label"]},
    )


def cart_screen() -> rx.Component:
    return rx.vstack(
        rx.heading(ST("ui.sf.cart"), size="5", as_="h2"),
        vacation_banner(),
        notice(),
        rx.cond(
            CartState.lines.length() == 0,
            rx.text(ST("ui.sf.cart_empty"), color=styles.TG_HINT, padding_y="2rem", id="sf-cart-empty"),
            rx.vstack(
                rx.foreach(CartState.lines, _line),
                rx.form(
                    rx.hstack(
                        rx.input(name="promo", placeholder=ST("ui.sf.promo"), default_value=CartState.promo_code,
                                 key=CartState.promo_code, flex="1", id="sf-promo", aria_label=ST("ui.sf.promo")),
                        rx.button(ST("ui.sf.apply"), type="submit", variant="soft", id="sf-promo-apply"),
                        width="100%",
                    ),
                    on_submit=CartState.apply_promo, width="100%",
                ),
                rx.cond(CartState.promo_error != "", rx.text(CartState.promo_error, color="var(--red-11)", size="2")),
                rx.cond(CartState.promo_code != "", rx.button(ST("ui.sf.remove_promo"), size="1", variant="ghost",
                                                              on_click=CartState.remove_promo)),
                breakdown(CartState.breakdown, CartState.total),
                rx.cond(CartState.free_left != "", rx.text(CartState.free_left, size="2", color=styles.TG_HINT,
                                                           id="sf-free-left")),
                rx.cond(CartState.cross.length() > 0, rx.vstack(
                    rx.text(ST("ui.sf.cross_sell"), weight="medium"),
                    rx.grid(rx.foreach(CartState.cross, product_tile), columns="2", spacing="3", width="100%"),
                    width="100%")),
                rx.cond(
                    CartState.confirm_clear,
                    rx.hstack(rx.text(ST("ui.sf.clear_confirm"), size="2"), rx.spacer(),
                              rx.button(ST("ui.sf.yes_clear"), color_scheme="red", size="1", on_click=CartState.clear,
                                        id="sf-clear-yes"),
                              rx.button(ST("ui.sf.keep"), size="1", variant="soft", on_click=CartState.keep_cart),
                              width="100%", align="center"),
                    rx.button(ST("ui.sf.clear"), variant="ghost", color_scheme="red", size="1",
                              on_click=CartState.ask_clear, id="sf-clear"),
                ),
                tg_button(ST("ui.sf.checkout"), on_click=CheckoutState.start_checkout,
                          disabled=~CartState.can_checkout, id="sf-checkout"),
                spacing="3", width="100%",
            ),
        ),
        spacing="3", width="100%", align="start",
    )


# --------------------------------------------------------------------------- checkout steps

def _error() -> rx.Component:
    return rx.cond(CheckoutState.step_error != "", rx.text(CheckoutState.step_error, color="var(--red-11)", size="2",
                                                       id="sf-step-error", role="alert"))


def _field(label_key: str, **props) -> rx.Component:
    return rx.vstack(rx.el.label(rx.text(ST(label_key), size="2", as_="span"), html_for=props["id"]),
                     rx.input(width="100%", **props), spacing="1", width="100%")


def contacts_step() -> rx.Component:
    return rx.form(
        rx.vstack(
            _field("ui.sf.contact_name", name="contact_name", id="sf-name", default_value=CheckoutState.contact_name,
                   key=CheckoutState.contact_name),
            _field("ui.sf.phone", name="phone", id="sf-phone", default_value=CheckoutState.phone, key=CheckoutState.phone,
                   type="tel", input_mode="tel"),
            rx.button(rx.icon("phone", size=14), ST("ui.sf.share_phone"), type="button", variant="soft", size="1",
                      on_click=CheckoutState.request_contact, class_name="sf-tg-only"),
            _error(),
            tg_button(ST("ui.sf.next"), type="submit", id="sf-next"),
            spacing="3", width="100%",
        ),
        on_submit=CheckoutState.set_contact, width="100%",
    )


def _point(p) -> rx.Component:
    chosen = CheckoutState.point_code == p["code"]
    return rx.box(
        rx.hstack(rx.vstack(rx.text(p["name"], weight="medium", size="2"), rx.text(p["address"], size="1"),
                            rx.text(p["hours"], size="1", color=styles.TG_HINT), spacing="0", align="start"),
                  rx.spacer(), rx.text(p["distance"], size="1"), width="100%"),
        on_click=CheckoutState.pick_point(p["code"]), cursor="pointer", padding="0.5rem", border_radius="8px",
        border=rx.cond(chosen, f"2px solid {styles.TG_BUTTON}", "1px solid var(--gray-a5)"), width="100%",
        role="radio", aria_checked=rx.cond(chosen, "true", "false"), custom_attrs={"data-point": p["code"]},
    )


def delivery_step() -> rx.Component:
    kinds = rx.segmented_control.root(
        rx.segmented_control.item(ST("ui.sf.delivery_pickup"), value="pickup", id="sf-kind-pickup"),
        rx.segmented_control.item(ST("ui.sf.delivery_courier"), value="courier", id="sf-kind-courier"),
        value=CheckoutState.delivery_type, on_change=CheckoutState.choose_delivery, width="100%",
    )
    return rx.form(
        rx.vstack(
            kinds,
            rx.vstack(
                rx.el.label(rx.text(ST("ui.sf.address"), size="2", as_="span"), html_for="sf-address"),
                rx.input(name="address", id="sf-address", default_value=CheckoutState.address, key=CheckoutState.address,
                         on_change=CheckoutState.set_address.debounce(400), width="100%", autocomplete="off"),
                rx.foreach(CheckoutState.suggestions, lambda s: rx.button(
                    s, size="1", variant="ghost", on_click=CheckoutState.pick_suggestion(s), type="button",
                    custom_attrs={"data-suggestion": "1"}, white_space="normal", text_align="left", height="auto")),
                rx.button(rx.icon("map-pin", size=14), ST("ui.sf.use_location"), type="button", variant="soft",
                          size="1", on_click=CheckoutState.use_location),
                spacing="1", width="100%",
            ),
            rx.cond(CheckoutState.quote_text != "", rx.text(CheckoutState.quote_text, weight="medium", id="sf-quote")),
            rx.cond(
                (CheckoutState.delivery_type == "pickup") & (CheckoutState.points.length() > 0),
                rx.vstack(rx.text(ST("ui.sf.nearest_points"), size="2", color=styles.TG_HINT),
                          rx.foreach(CheckoutState.points, _point), spacing="2", width="100%", role="radiogroup"),
            ),
            _error(),
            tg_button(ST("ui.sf.next"), type="submit", id="sf-next"),
            spacing="3", width="100%",
        ),
        on_submit=CheckoutState.set_delivery, width="100%",
    )


def extras_step() -> rx.Component:
    return rx.form(
        rx.vstack(
            _field("ui.sf.certificate_code", name="certificate", id="sf-certificate",
                   default_value=CheckoutState.certificate_code),
            _field("ui.sf.bonus_spend", name="bonus", id="sf-bonus", default_value=CheckoutState.bonus_text,
                   input_mode="decimal"),
            rx.cond(CheckoutState.bonus_max != "", rx.text(ST("ui.sf.bonus_max") + " " + CheckoutState.bonus_max, size="1",
                                                       color=styles.TG_HINT)),
            rx.vstack(rx.el.label(rx.text(ST("ui.sf.comment"), size="2", as_="span"), html_for="sf-comment"),
                      rx.text_area(name="comment", id="sf-comment", default_value=CheckoutState.comment, width="100%"),
                      spacing="1", width="100%"),
            _error(),
            tg_button(ST("ui.sf.next"), type="submit", id="sf-next"),
            spacing="3", width="100%",
        ),
        on_submit=CheckoutState.set_extras, width="100%",
    )


def payment_step() -> rx.Component:
    """THE place where the payment method picker goes. Today one choice: pay later, the manager
    confirms the order. A payments integration adds its methods to ``PAYMENT_METHODS`` and here."""
    return rx.vstack(
        rx.text(ST("ui.sf.payment"), weight="medium"),
        rx.radio_group.root(
            rx.radio_group.item(ST("ui.sf.pay_later"), value="manual", id="sf-pay-manual"),
            value=CheckoutState.payment_method, on_change=CheckoutState.choose_payment, name="payment",
        ),
        spacing="1", width="100%", id="sf-payment-step",
    )


def _summary_row(label_key: str, value, step: str) -> rx.Component:
    return rx.hstack(
        rx.vstack(rx.text(ST(label_key), size="1", color=styles.TG_HINT), rx.text(value, size="2", white_space="pre-wrap"),
                  spacing="0", align="start", flex="1", min_width="0"),
        rx.spacer(),
        rx.button(ST("ui.sf.edit"), size="1", variant="ghost", on_click=CheckoutState.edit_step(step)),
        width="100%", align="center",
    )


def summary_step() -> rx.Component:
    return rx.vstack(
        _summary_row("ui.sf.contacts", CheckoutState.contact_name + ", " + CheckoutState.phone, "contacts"),
        _summary_row("ui.sf.delivery", rx.cond(CheckoutState.delivery_type == "courier", ST("ui.sf.delivery_courier"),
                                               ST("ui.sf.delivery_pickup")) + " · " + CheckoutState.quote_text, "delivery"),
        rx.cond(CheckoutState.address != "", _summary_row("ui.sf.address", CheckoutState.address, "delivery")),
        rx.cond(CheckoutState.point_code != "", _summary_row("ui.sf.point", CheckoutState.point_code, "delivery")),
        _summary_row("ui.sf.extras", rx.cond(CheckoutState.comment != "", CheckoutState.comment, "—"), "extras"),
        rx.foreach(CheckoutState.lines, lambda line: rx.hstack(
            rx.text(line["name"] + " " + line["label"] + " × " + line["qty"], size="2"), rx.spacer(),
            rx.text(line["sum"], size="2"), width="100%")),
        breakdown(CheckoutState.breakdown, CheckoutState.total),
        rx.cond(CheckoutState.certificate_warning != "",
                rx.callout(CheckoutState.certificate_warning, icon="triangle-alert", color_scheme="orange", size="1",
                           id="sf-certificate-warning", width="100%")),
        payment_step(),
        _error(),
        tg_button(ST("ui.sf.place_order"), on_click=CheckoutState.place, busy=CheckoutState.busy, id="sf-place"),
        spacing="3", width="100%",
    )


def checkout_screen() -> rx.Component:
    return rx.vstack(
        back_button(),
        rx.heading(ST("ui.sf.checkout"), size="5", as_="h2"),
        rx.hstack(*[rx.badge(ST(f"ui.sf.step_{s}"), variant=rx.cond(CheckoutState.step == s, "solid", "soft"))
                    for s in ("contacts", "delivery", "extras", "summary")], spacing="1", wrap="wrap"),
        notice(),
        rx.match(CheckoutState.step, ("contacts", contacts_step()), ("delivery", delivery_step()),
                 ("extras", extras_step()), summary_step()),
        spacing="3", width="100%", align="start", custom_attrs={"data-tg-closing": "1"},
    )
