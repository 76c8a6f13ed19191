"""/wheel — the Mini App's reward wheel: one spin per period, the prize drawn on the server."""
import reflex as rx

from smo_app import routes
from smo_app.components import styles
from smo_app.components.registry import page
from smo_app.state.storefront_bridge import PAGE_JS
from smo_app.state.storefront_wheel import Segment, StorefrontWheelState

W = StorefrontWheelState


def _t(key: str) -> rx.Var:
    return W.shop_tr[key]


def _segment(s: Segment) -> rx.Component:
    return rx.box(
        rx.text(s["label"], size="1", weight="bold", color="white", padding_top="0.9rem", text_align="center",
                width="5.5rem", margin="0 auto"),
        position="absolute", inset="0", transform=s["rotate"],
    )


def _wheel() -> rx.Component:
    return rx.box(
        rx.box(width="0", height="0", border_left="12px solid transparent", border_right="12px solid transparent",
               border_top=f"20px solid {styles.TG_TEXT}", position="absolute", top="-6px", left="calc(50% - 12px)",
               z_index="2"),
        rx.box(
            rx.foreach(W.segments, _segment),
            width="100%", height="100%", border_radius="50%", background=W.gradient, position="relative",
            transform="rotate(" + W.angle.to_string() + "deg)",
            transition="transform 4s cubic-bezier(0.17, 0.67, 0.12, 0.99)", id="wheel-disc",
        ),
        position="relative", width="18rem", height="18rem", margin="1rem auto",
    )


@page(routes.WHEEL, title="smo", on_load=W.open_wheel)
def wheel_page() -> rx.Component:
    return rx.box(
        # Telegram's SDK and the bridge: its BackButton mirrors the link back to the shop
        rx.el.script(custom_attrs={"dangerouslySetInnerHTML": {"__html": PAGE_JS}}),
        rx.link(rx.hstack(rx.icon("chevron-left", size=16), rx.text(_t("ui.wheel.back"), size="2"), spacing="1",
                          align="center"),
                href=routes.STOREFRONT, id="wheel-back", underline="none", color=styles.TG_BUTTON,
                custom_attrs={"data-tg": "back"}),
        rx.vstack(
            rx.heading(_t("ui.wheel.title"), size="5", id="wheel-title"),
            rx.text(_t("ui.wheel.intro"), color=styles.TG_HINT, size="2"),
            rx.cond(W.segments.length() > 0, _wheel()),
            rx.cond(W.can_spin,
                    rx.button(_t("ui.wheel.spin"), on_click=W.spin, size="3", width="100%", id="wheel-spin",
                              background=styles.TG_BUTTON, color=styles.TG_BUTTON_TEXT)),
            rx.cond(W.result != "", rx.callout(W.result, icon="gift", color_scheme="green", id="wheel-result",
                                               width="100%")),
            rx.cond(W.wheel_message != "", rx.text(W.wheel_message, size="2", id="wheel-message",
                                                   color=styles.TG_HINT)),
            rx.cond(W.demo_available & (W.customer_token == ""),
                    rx.button(_t("ui.wheel.demo_sign_in"), on_click=W.demo_sign_in, variant="soft", id="wheel-demo")),
            align="center", text_align="center", spacing="3", width="100%",
        ),
        max_width=styles.STOREFRONT_MAX_WIDTH, margin="0 auto", padding="1.5rem 1rem", min_height="100vh",
        background=styles.TG_BG, color=styles.TG_TEXT,
    )
