"""Mini App screens: sign-in outcomes, the catalog with search, and the product card."""
from __future__ import annotations

import reflex as rx

from smo_app.components import styles
from smo_app.components.storefront import ST, back_button, notice, price_tag, sf_icon, stock_badge, tg_button
from smo_app.state.storefront import StoreState


# --------------------------------------------------------------------------- sign-in outcomes

def refused_screen() -> rx.Component:
    """Forged, tampered, expired or missing Telegram data: nothing happened, say so."""
    return rx.vstack(
        rx.icon("shield-alert", size=40, color="var(--red-9)"),
        rx.heading(ST("ui.sf.refused_title"), size="5", as_="h2", id="sf-refused"),
        rx.text(StoreState.sign_in_error, color=styles.TG_HINT),
        rx.link(ST("ui.sf.open_in_telegram"), href=StoreState.bot_url, is_external=True),
        align="center", text_align="center", spacing="4", padding="2.5rem 0.5rem",
    )


def outside_screen() -> rx.Component:
    """A plain browser: the shop opens in Telegram (demo mode also offers a demo customer)."""
    return rx.vstack(
        rx.icon("store", size=40, color=styles.TG_BUTTON),
        rx.heading(ST("ui.store.welcome_title"), size="5", as_="h2", id="store-welcome"),
        rx.text(ST("ui.sf.open_in_telegram_text"), color=styles.TG_HINT),
        rx.link(
            rx.hstack(sf_icon("send"), rx.text(ST("ui.sf.open_in_telegram"), as_="span"), align="center",
                      justify="center", spacing="2"),
            href=StoreState.bot_url, is_external=True, underline="none", width="100%", padding="0.75rem",
            border_radius="10px", background=styles.TG_BUTTON, color=styles.TG_BUTTON_TEXT, weight="medium",
            id="sf-open-bot",
        ),
        rx.cond(
            StoreState.phase == "demo",
            rx.button(ST("ui.sf.demo_sign_in"), on_click=StoreState.demo_sign_in, variant="soft", width="100%",
                      size="3", id="sf-demo"),
        ),
        rx.cond(StoreState.sign_in_error != "", rx.text(StoreState.sign_in_error, color="var(--red-11)")),
        align="center", text_align="center", spacing="4", padding="2.5rem 0.5rem",
    )


# --------------------------------------------------------------------------- catalog

def _tile_stock(tile) -> rx.Component:
    return rx.match(
        tile["stock"],
        ("out", rx.el.span(ST("ui.sf.out_of_stock"), class_name="sf-chip sf-chip-gray")),
        ("low", rx.el.span(ST("ui.sf.only_left") + " " + tile["only_left"], class_name="sf-chip sf-chip-orange")),
        rx.fragment(),
    )


def product_tile(tile) -> rx.Component:
    """One tile: plain elements styled by class (TILE_CSS), no per-tile style objects or theme
    components — a catalog page renders many of them on the first screen."""
    return rx.el.div(
        rx.cond(tile["photo"] != "",
                rx.el.img(src=tile["photo"], alt=tile["name"], loading="lazy", class_name="sf-tile-photo"),
                rx.el.div(class_name="sf-tile-photo")),
        rx.cond(tile["discount"] != "", rx.el.span(tile["discount"], class_name="sf-chip sf-chip-red sf-tile-discount")),
        rx.el.p(tile["name"], class_name="sf-tile-name"),
        rx.el.p(rx.el.b(tile["price"]),
                rx.cond(tile["old_price"] != "", rx.el.s(tile["old_price"], class_name="sf-old-price")),
                class_name="sf-tile-price"),
        _tile_stock(tile),
        on_click=StoreState.open_product(tile["id"]), custom_attrs={"data-product": tile["id"], "data-stock": tile["stock"]},
        role="link", aria_label=tile["name"], class_name="sf-tile",
    )


def vacation_banner() -> rx.Component:
    return rx.cond(
        StoreState.vacation,
        rx.callout.root(rx.callout.text(ST("ui.sf.vacation") + " " + StoreState.vacation_message),
                        color_scheme="amber", id="sf-vacation", margin_y="0.5rem"),
        rx.cond(StoreState.preorder, rx.callout.root(rx.callout.text(ST("ui.sf.preorder")), color_scheme="blue",
                                                      id="sf-preorder", margin_y="0.5rem")),
    )


def catalog_screen() -> rx.Component:
    chips = rx.el.div(
        rx.el.button(ST("ui.sf.all"), type="button", class_name="sf-cat", on_click=StoreState.pick_category("0"),
                     custom_attrs={"data-on": rx.cond(StoreState.category_id == 0, "1", "0")}),
        rx.foreach(StoreState.categories, lambda c: rx.el.button(
            c["name"], type="button", class_name="sf-cat", on_click=StoreState.pick_category(c["id"]),
            custom_attrs={"data-on": rx.cond(StoreState.category_id.to_string() == c["id"], "1", "0"),
                          "data-depth": c["depth"]})),
        class_name="sf-cats",
    )
    return rx.vstack(
        vacation_banner(),
        rx.cond(StoreState.wholesale, rx.badge(ST("ui.sf.wholesale_on"), color_scheme="violet")),
        rx.input(placeholder=ST("ui.sf.search"), default_value=StoreState.query, on_change=StoreState.search.debounce(300),
                 type="search", width="100%", id="sf-search", aria_label=ST("ui.sf.search")),
        chips,
        notice(),
        rx.cond(
            StoreState.tiles.length() > 0,
            rx.grid(rx.foreach(StoreState.tiles, product_tile), columns="2", spacing="3", width="100%"),
            rx.text(ST("ui.sf.nothing_found"), color=styles.TG_HINT, padding_y="2rem", id="sf-nothing"),
        ),
        rx.cond(StoreState.has_more, rx.button(ST("ui.sf.show_more"), variant="soft", width="100%",
                                               on_click=StoreState.show_more, id="sf-more")),
        spacing="2", width="100%",
    )


# --------------------------------------------------------------------------- product card

def _variant(v) -> rx.Component:
    chosen = StoreState.variant_id.to_string() == v["id"]
    return rx.box(
        rx.hstack(
            rx.vstack(
                rx.text(v["label"], weight="medium"),
                rx.cond(v["weight"] != "", rx.text(v["weight"], size="1", color=styles.TG_HINT)),
                rx.cond(v["wholesale"] != "", rx.text(v["wholesale"], size="1", color="var(--violet-11)")),
                spacing="0", align="start",
            ),
            rx.spacer(),
            rx.vstack(
                price_tag(v),
                rx.cond(v["in_stock"] == "", rx.badge(ST("ui.sf.sold_out"), color_scheme="gray", custom_attrs={"data-sold-out": "1"})),
                rx.cond(v["in_stock"] == "", rx.cond(
                    v["subscribed"] == "1",
                    rx.text(ST("ui.sf.notify_set_short"), size="1", color=styles.TG_HINT),
                    rx.button(ST("ui.sf.notify_me"), size="1", variant="soft",
                              on_click=StoreState.notify_me(v["id"]).stop_propagation),
                )),
                spacing="1", align="end",
            ),
            align="center", width="100%",
        ),
        on_click=StoreState.choose_variant(v["id"]), cursor="pointer", padding="0.6rem", border_radius="8px",
        border=rx.cond(chosen, f"2px solid {styles.TG_BUTTON}", "1px solid var(--gray-a5)"),
        role="radio", aria_checked=rx.cond(chosen, "true", "false"), aria_disabled=rx.cond(v["in_stock"] == "", "true", "false"),
        custom_attrs={"data-variant": v["label"]}, opacity=rx.cond(v["in_stock"] == "", "0.65", "1"),
        width="100%", style={"overflow_wrap": "anywhere"},
    )


def product_screen() -> rx.Component:
    card = StoreState.card
    return rx.vstack(
        back_button(),
        rx.cond(StoreState.card_photos.length() > 0,
                rx.hstack(rx.foreach(StoreState.card_photos, lambda src: rx.image(
                    src=src, alt=card["name"], height="220px", border_radius="8px", object_fit="cover")),
                    overflow_x="auto", width="100%")),
        rx.hstack(rx.heading(card["name"], size="5", as_="h2", id="sf-product-name"),
                  rx.cond(card["discount"] != "", rx.badge(card["discount"], color_scheme="red")),
                  align="center", spacing="2"),
        stock_badge(card),
        rx.cond(card["suspended"] == "1", rx.badge(ST("ui.sf.suspended"), color_scheme="gray")),
        rx.text(card["description"], white_space="pre-wrap"),
        rx.cond(card["details"] != "", rx.el.details(rx.el.summary(ST("ui.sf.more")),
                                                      rx.text(card["details"], white_space="pre-wrap"))),
        rx.text(ST("ui.sf.choose_variant"), size="2", color=styles.TG_HINT),
        rx.vstack(rx.foreach(StoreState.card_variants, _variant), spacing="2", width="100%", role="radiogroup"),
        vacation_banner(),
        notice(),
        rx.hstack(
            rx.button(rx.icon("share-2", size=16), ST("ui.sf.share"), variant="soft", on_click=StoreState.share,
                      id="sf-share"),
            spacing="2",
        ),
        rx.cond(StoreState.card_cross.length() > 0, rx.vstack(
            rx.text(ST("ui.sf.cross_sell"), weight="medium"),
            rx.grid(rx.foreach(StoreState.card_cross, product_tile), columns="2", spacing="3", width="100%"),
            width="100%")),
        tg_button(ST("ui.sf.add_to_cart"), on_click=StoreState.add_to_cart, busy=StoreState.busy,
                  disabled=StoreState.vacation | (StoreState.variant_id == 0) | (card["suspended"] == "1"),
                  id="sf-add"),
        spacing="3", width="100%", align="start",
    )
