"""The Mini App shell (390×844): header, tab bar, notices, and the Telegram bridge.

The bridge (``window.smoTg``) is a small script: it reads initData for sign-in, gives haptics,
sharing, ``requestContact`` and ``LocationManager``, and mirrors the page's own buttons to
Telegram's controls — a button marked ``data-tg="main"`` becomes the MainButton (its text, enabled
state and ``data-busy`` progress), ``data-tg="secondary"`` the SecondaryButton, ``data-tg="back"``
the BackButton, and an element with ``data-tg-closing="1"`` turns the closing confirmation on.
Inside Telegram the marked page buttons are hidden (Telegram's own controls press them); in a
plain browser they are ordinary buttons.
"""
from __future__ import annotations

import reflex as rx
from reflex_base.constants.state import FIELD_MARKER

from smo_app.components import styles
from smo_app.components.common import demo_banner, language_switch
from smo_app.components.storefront_markup import (FIRST_DATA_SLOT, FIRST_PAINT_URL, FIRST_SCREEN_SLOT, ICONS,
                                                   SHOP_NAME_ID, TABS)
from smo_app.state.storefront import StoreState
from smo_app.state.storefront_bridge import PAGE_JS

BRIDGE_CSS = """
html[data-tg-buttons="1"] [data-tg] { display: none !important; }
.sf-tg-only { display: none !important; }
html[data-tg-buttons="1"] .sf-tg-only { display: inline-flex !important; }
.sf-safe { padding-bottom: calc(4.5rem + env(safe-area-inset-bottom, 0px) + var(--tg-safe-bottom, 0px));
           padding-top: var(--tg-safe-top, 0px); }
"""

# The product tiles (storefront_catalog.product_tile) with the theme's tokens.
TILE_CSS = """
.sf-tile { position: relative; padding: 8px; border-radius: 10px; cursor: pointer; border: 1px solid var(--gray-a5);
           display: flex; flex-direction: column; gap: 4px; content-visibility: auto; contain-intrinsic-size: auto 190px; }
.sf-tile[data-stock="out"] { opacity: 0.6; }
.sf-tile p { margin: 0; }
.sf-tile-photo { width: 100%%; height: 110px; object-fit: cover; border-radius: 6px; background: %s; }
.sf-tile-name { font-size: var(--font-size-2); line-height: var(--line-height-2); font-weight: var(--font-weight-medium);
                display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow: hidden; }
.sf-tile-price { display: flex; flex-wrap: wrap; gap: 0 var(--space-2); align-items: baseline; white-space: nowrap; }
.sf-old-price { font-size: var(--font-size-1); color: %s; }
.sf-tile-discount { position: absolute; top: 14px; left: 14px; }
.sf-chip { align-self: flex-start; font-size: var(--font-size-1); line-height: var(--line-height-1);
           font-weight: var(--font-weight-medium); padding: 2px 6px; border-radius: max(var(--radius-1), 4px); }
.sf-chip-gray { background: var(--gray-a3); color: var(--gray-a11); }
.sf-chip-orange { background: var(--orange-a3); color: var(--orange-a11); }
.sf-chip-red { background: var(--red-a3); color: var(--red-a11); }
.sf-chip-accent { background: var(--accent-a3); color: var(--accent-a11); }
""" % (styles.TG_SECONDARY_BG, styles.TG_HINT)

# The tab bar and the category chips (always on the first screen) with the theme's tokens.
CHROME_CSS = """
.sf-tabs { position: fixed; bottom: 0; left: 50%%; transform: translateX(-50%%); width: 100%%; max-width: %(max)s;
           display: flex; background: %(bg)s; border-top: 1px solid var(--gray-a5); z-index: 20;
           padding-bottom: calc(env(safe-area-inset-bottom, 0px) + var(--tg-safe-bottom, 0px)); }
.sf-tab { flex: 1; height: 3.25rem; display: flex; flex-direction: column; align-items: center; justify-content: center;
          background: none; border: 0; cursor: pointer; font-family: inherit; font-size: var(--font-size-1);
          line-height: var(--line-height-1); color: %(hint)s; border-radius: var(--radius-2); }
.sf-tab[data-active="1"] { color: %(button)s; }
.sf-tab:hover { background: var(--gray-a3); }
.sf-tab:focus-visible { outline: 2px solid var(--focus-8); outline-offset: -2px; }
.sf-tab-icon { display: flex; align-items: center; gap: var(--space-1); }
.sf-icon { flex: none; fill: none; stroke: currentColor; stroke-width: 2; stroke-linecap: round; stroke-linejoin: round; }
.sf-click { cursor: pointer; }
.sf-cats { display: flex; gap: var(--space-2); overflow-x: auto; white-space: nowrap; padding: 0.5rem 0; width: 100%%; }
.sf-cat { flex: none; height: var(--space-5); padding: 0 var(--space-2); border: 0; border-radius: max(var(--radius-2), 4px);
          font-family: inherit; font-size: var(--font-size-1); font-weight: var(--font-weight-medium); cursor: pointer;
          background: var(--accent-a3); color: var(--accent-a11); }
.sf-cat[data-on="1"] { background: var(--accent-9); color: var(--accent-contrast); }
.sf-cat[data-depth]:not([data-depth="0"]) { margin-left: 0.25rem; }
.sf-cat:focus-visible { outline: 2px solid var(--focus-8); outline-offset: 2px; }
#sf-first-screen:not(:empty) ~ #sf-loading { display: none; }
/* long text (a 10 000-character comment, an unbroken link) wraps inside the screen, never widens it */
.sf-safe { overflow-wrap: anywhere; }
.sf-file-button { width: 100%%; cursor: pointer; }
.sf-file-input { position: absolute; width: 1px; height: 1px; opacity: 0; overflow: hidden; pointer-events: none; }
""" % {"max": styles.STOREFRONT_MAX_WIDTH, "bg": styles.TG_BG, "hint": styles.TG_HINT, "button": styles.TG_BUTTON}


# Without the server's data (a development frontend server, no session), the first screen over
# plain HTTP (smo_app/api/storefront.py), asked for while the HTML is parsed. Anything but a JSON
# answer (another origin in development, the backend down) leaves it to the websocket.
FIRST_PAINT_FETCH = """
(function () {
  if (window.__smoFirstPaint) return;
  window.__smoFirstPaint = fetch('%s', {credentials: 'same-origin'})
    .then(function (r) { return r.ok ? r.json() : null; })
    .catch(function () { return null; })
    .then(function (body) { window.__smoFirstPaintBody = body; return body; });
})();
""" % FIRST_PAINT_URL

# Once React has hydrated the page: put that first screen into the page's state store, as a
# websocket update would, unless the websocket has already opened the shop (the server's state is
# newer then). Already there, it goes in before the browser paints the hydrated page.
FIRST_PAINT_APPLY = """
const smoDispatch = useContext(DispatchContext);
const smoStore = useContext(StateStoreContext);
useLayoutEffect(() => {
  const pending = window.__smoFirstPaint;
  if (!pending) return;
  window.__smoFirstPaint = null;
  const apply = (body) => {
    const delta = body && body.delta;
    const store = smoStore.getSnapshot("%s");
    if (!delta || !store || store.phase%s !== "boot") return;
    for (const name in delta) { if (smoDispatch[name]) smoDispatch[name](delta[name]); }
  };
  if (window.__smoFirstPaintBody !== undefined) { apply(window.__smoFirstPaintBody); } else { pending.then(apply); }
}, []);
"""


def _slot(slot_id: str, **props) -> rx.Component:
    """An element whose content only the server writes (React leaves it as it finds it)."""
    return rx.el.div(id=slot_id, custom_attrs={"dangerouslySetInnerHTML": {"__html": ""}}, **props)


def first_screen_slot() -> rx.Component:
    """The server-rendered catalog, shown instead of the spinner until the page takes over."""
    return _slot(FIRST_SCREEN_SLOT)


class FirstPaint(rx.Fragment):
    """The first screen fetched over plain HTTP, applied to the page's state when it arrives first."""

    def add_imports(self):
        return {"react": ["useContext", "useLayoutEffect"], "$/utils/context": ["DispatchContext", "StateStoreContext"]}

    def add_hooks(self) -> list[str]:
        return [FIRST_PAINT_APPLY % (StoreState.get_full_name(), FIELD_MARKER)]


def first_paint() -> rx.Component:
    return rx.fragment(
        _slot(FIRST_DATA_SLOT, hidden=True),
        rx.el.script(custom_attrs={"dangerouslySetInnerHTML": {"__html": FIRST_PAINT_FETCH}}),
        FirstPaint.create(),
    )


def sf_icon(name: str, size: int = 16, *, on_click=None) -> rx.Component:
    shapes = [getattr(rx.el.svg, tag)(**attrs) for tag, attrs in ICONS[name]]
    return rx.el.svg(*shapes, view_box="0 0 24 24", width=size, height=size, on_click=on_click,
                     class_name="sf-icon sf-click" if on_click is not None else "sf-icon",
                     custom_attrs={"aria-hidden": "true"})


def ST(key: str) -> rx.Var:
    """The storefront text for ``key`` in the customer's language (reactive)."""
    return StoreState.shop_tr[key]


def tg_button(label, *, role: str = "main", on_click=None, disabled=False, busy=False, **props) -> rx.Component:
    """A page button Telegram mirrors (MainButton / SecondaryButton); in a browser a plain button."""
    props.setdefault("width", "100%")
    props.setdefault("size", "3")
    return rx.button(label, on_click=on_click, disabled=disabled, loading=busy,
                     custom_attrs={"data-tg": role, "data-busy": rx.cond(busy, "1", "0")} if role else {},
                     **props)


# The page's back button (and Telegram's BackButton, which presses it) goes back in the browser's
# history when the screens have entries there; popstate then steps the server back (storefront_bridge).
BACK_JS = ("window.smoTg && window.smoTg.back ? window.smoTg.back() : "
           "(document.getElementById('sf-history-back') || {click() {}}).click()")


def back_button() -> rx.Component:
    return rx.button(sf_icon("chevron-left"), ST("ui.sf.back"), variant="ghost", size="2",
                     on_click=rx.call_script(BACK_JS), custom_attrs={"data-tg": "back"}, id="sf-back")


def history_sync() -> rx.Component:
    """What the bridge reads to keep the browser's history in step with the screens: the depth of
    the server's screen stack, and the button that steps the server back one screen."""
    return rx.fragment(
        rx.el.div(id="sf-nav", hidden=True, custom_attrs={"data-depth": StoreState.history.length(),
                                                          "data-screen": StoreState.screen}),
        rx.el.button(id="sf-history-back", type="button", hidden=True, on_click=StoreState.back,
                     custom_attrs={"aria-hidden": "true", "tabIndex": "-1"}),
    )


def notice() -> rx.Component:
    return rx.cond(
        StoreState.notice != "",
        rx.callout.root(
            rx.hstack(
                rx.callout.text(StoreState.notice, id="sf-notice"),
                rx.spacer(),
                sf_icon("x", 14, on_click=StoreState.dismiss_notice),
                width="100%", align="center",
            ),
            color_scheme=rx.cond(StoreState.notice_error, "red", "green"),
            size="1", margin_y="0.5rem", role="status",
        ),
    )


def lang_switch() -> rx.Component:
    return language_switch(StoreState.shop_lang, StoreState.switch_language, ST("ui.language"), "sf-lang")


def store_header() -> rx.Component:
    return rx.hstack(
        # the server writes the shop's name into the served page (storefront_page): React keeps
        # that text at hydration and sets its own with the first state update
        rx.heading(rx.cond(StoreState.shop_name != "", StoreState.shop_name, ST("ui.shop_name")), size="4",
                   color=styles.TG_TEXT, id=SHOP_NAME_ID, custom_attrs={"suppressHydrationWarning": True}),
        rx.spacer(),
        rx.button(sf_icon("message-circle", 16), ST("ui.sf.support"), variant="soft", size="1", id="sf-support",
                  on_click=StoreState.open_support),
        lang_switch(),
        align="center",
        padding="0.75rem 1rem",
        position="sticky",
        top="0",
        background=styles.TG_BG,
        z_index="10",
        width="100%",
    )


def _tab(key: str, icon: str, event, screens: tuple[str, ...], badge=None) -> rx.Component:
    active = rx.cond(StoreState.screen == screens[0], True, False)
    for extra in screens[1:]:
        active = active | (StoreState.screen == extra)
    return rx.el.button(
        rx.el.span(sf_icon(icon, 18), badge or rx.fragment(), class_name="sf-tab-icon"),
        rx.el.span(ST(f"ui.sf.tab_{key}")),
        on_click=event, id=f"sf-tab-{key}", type="button", class_name="sf-tab",
        custom_attrs={"data-active": rx.cond(active, "1", "0")},
    )


def tab_bar(cart_event, orders_event, bonuses_event, bookings_event) -> rx.Component:
    """The bottom tabs: plain elements styled by class (CHROME_CSS), shown with the first screen
    (smo_app/api/storefront_page.py draws the same markup before the page has loaded)."""
    badge = rx.cond(StoreState.cart_count > 0,
                    rx.el.span(StoreState.cart_count, id="sf-cart-count", class_name="sf-chip sf-chip-accent"))
    events = {"catalog": StoreState.show_catalog, "cart": cart_event, "orders": orders_event,
              "bonuses": bonuses_event, "bookings": bookings_event}
    return rx.el.nav(
        *(_tab(key, icon, events[key], screens, badge if key == "cart" else None) for key, icon, screens in TABS),
        class_name="sf-tabs",
    )


def store_frame(*children, footer: rx.Component | None = None) -> rx.Component:
    return rx.box(
        first_paint(),
        # In the prerendered HTML, run as it is parsed: Telegram's SDK, the bridge and the theme
        # (StoreState.open runs them after a client-side navigation, where React runs no inline scripts).
        rx.el.script(custom_attrs={"dangerouslySetInnerHTML": {"__html": PAGE_JS}}),
        rx.el.style(BRIDGE_CSS + TILE_CSS + CHROME_CSS),
        rx.box(
            demo_banner(ST("ui.demo_banner")),
            store_header(),
            rx.box(*children, padding="0 1rem 2rem 1rem"),
            footer or rx.fragment(),
            class_name="sf-safe",
            max_width=styles.STOREFRONT_MAX_WIDTH,
            margin="0 auto",
            min_height="100vh",
            background=styles.TG_BG,
            color=styles.TG_TEXT,
        ),
        background=styles.TG_SECONDARY_BG,
        min_height="100vh",
    )


def stock_badge(tile) -> rx.Component:
    return rx.match(
        tile["stock"],
        ("out", rx.badge(ST("ui.sf.out_of_stock"), color_scheme="gray")),
        ("low", rx.badge(ST("ui.sf.only_left") + " " + tile["only_left"], color_scheme="orange")),
        rx.fragment(),
    )


def price_tag(row) -> rx.Component:
    return rx.hstack(
        rx.text(row["price"], weight="bold", white_space="nowrap"),
        rx.cond(row["old_price"] != "", rx.text(row["old_price"], size="1", color=styles.TG_HINT,
                                                 text_decoration="line-through", white_space="nowrap")),
        spacing="2", align="baseline",
    )
