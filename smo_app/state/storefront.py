"""The storefront Mini App's page state: sign-in, navigation between screens, catalog and product card.

One route (``/``) with screens, as a Mini App behaves: Telegram's BackButton walks back through
``history``. Every event calls its service through :meth:`CustomerSessionState.call` (the customer
comes from the server-side session, never from the page) and shows a refusal with :meth:`StoreState.failed`;
prices and stock come from the services. The cart lives in ``storefront_cart``, the checkout in
``storefront_checkout``, orders and bonuses in ``storefront_account`` (substates of this one).
"""
from __future__ import annotations

import json
from typing import Any

import reflex as rx

from smo_app.calling import Result
from smo_app.i18n import LANGUAGES, normalize_language
from smo_app.services.catalog import browse
from smo_app.services.catalog.first_screen import FIRST_PAGE, first_screen
from smo_app.services.customers import sessions as customer_sessions
from smo_app.services.customers.identity import whoami_customer
from smo_app.services.sales import carts
from smo_app.services.stock.subscriptions import subscribe_back_in_stock
from smo_app.settings import get_settings
from smo_app.state.customer_session import CustomerSessionState
from smo_app.state.storefront_bridge import BOOT_JS
from smo_app.state.storefront_rows import catalog_fields, first_paint_fields, money, tile_row

PAGE = FIRST_PAGE  # tiles per "show more"
SCREENS = ("catalog", "product", "cart", "checkout", "orders", "order", "bonuses", "bookings", "booking_days",
           "booking_contact", "booking_done", "my_bookings")
TABS = ("catalog", "cart", "orders", "bookings", "bonuses")
RESUMED = ("shop_name", "customer_name", "cart_count")  # what a reload takes from the first screen; the rest stays


class StoreState(CustomerSessionState):
    shop_name: str = ""  # from the owner's settings; the UI text is the fallback
    bot_url: str = ""  # the shop's bot, where customers ask and order
    phase: str = "boot"  # boot | ready | refused | outside (a plain browser outside demo mode) | demo
    in_telegram: bool = False
    screen: str = "catalog"
    history: list[str] = []
    notice: str = ""
    notice_error: bool = False
    busy: bool = False
    cart_count: int = 0
    # catalog
    categories: list[dict[str, str]] = []
    category_id: int = 0  # 0: everything
    query: str = ""
    tiles: list[dict[str, str]] = []
    shown: int = PAGE
    has_more: bool = False
    vacation: bool = False
    vacation_message: str = ""
    preorder: bool = False
    wholesale: bool = False
    # product card
    card: dict[str, str] = {}
    card_photos: list[str] = []
    card_variants: list[dict[str, str]] = []
    card_cross: list[dict[str, str]] = []
    variant_id: int = 0
    # this page (its token) has entered the shop: a reload, or the address bar's Back reaching the page
    # again, keeps the screen and does not follow the start link a second time
    _entered: bool = False

    # -- for every storefront screen ----------------------------------------------------------------
    def failed(self, out: Result) -> bool:
        """After ``out = await self.call(…)``: True when it was refused — the notice says why, or
        (the session gone) the page goes back to sign-in."""
        if out.ok:
            return False
        if out.signed_out:
            self.phase = "refused" if self.in_telegram else "outside"
            self.sign_in_error = self.text("ui.sf.session_over")
        else:
            self.say(out.error, error=True)
        return True

    def say(self, text: str, *, error: bool = False) -> None:
        self.notice, self.notice_error = text, error

    def money(self, minor: int | None) -> str:
        return money(minor, self.shop_lang)

    def count_cart(self, cart: carts.CartOut) -> None:
        self.cart_count = sum(line.qty for line in cart.lines)

    @staticmethod
    def haptic(kind: str):
        return rx.call_script(f"window.smoTg && window.smoTg.haptic('{kind}')")

    def _set(self, fields: dict[str, Any]) -> None:
        for name, value in fields.items():
            setattr(self, name, value)

    # -- opening and sign-in --------------------------------------------------------------------
    @rx.event
    async def open(self):
        """After hydration: the shop's name and, with a live session cookie, the catalog at once
        (one server trip); then Telegram's initData is read in the page and verified in :meth:`boot`."""
        self.bot_url = f"https://t.me/{get_settings().bot_username}"
        out = await self.call(first_screen, readonly=True, optional=True)
        if out.ok:  # else boot still runs and says what is wrong
            fields = first_paint_fields(out.value, self.shop_lang)
            if self._entered:  # a reload: the page's token found this state, so the customer stays where they were
                fields = {name: value for name, value in fields.items() if name in RESUMED}
            self._set(fields)
        return rx.call_script(BOOT_JS, callback=StoreState.boot)

    @rx.event
    async def boot(self, info: dict | None):
        info = info if isinstance(info, dict) else {}
        init_data = str(info.get("initData") or "")
        self.in_telegram = bool(init_data)
        code = str(info.get("lang") or "").lower()[:2]
        if not self.customer_lang and code in LANGUAGES:
            self.customer_lang = code
        product_id = None
        if init_data:
            signed = await self._sign_in(customer_sessions.sign_in_telegram, init_data=init_data)
            if signed is None:
                self.phase = "refused"
                return
            if self._entered:  # a reload inside Telegram: same screen, same checkout step; the start link was followed already
                self.phase = "ready"
                await self.refresh_count()
                return
            product_id = signed.start.product_id if signed.start else None
        elif self.phase == "ready":  # the session cookie already opened the shop
            self._entered = True
            return
        elif not (await self.call(whoami_customer, readonly=True)).ok:
            self.signed_in = False
            self.phase = "demo" if get_settings().demo else "outside"
            return
        else:
            self.signed_in = True
        self.phase = "ready"
        return await self._enter(product_id)

    @rx.event
    async def demo_sign_in(self):
        """Demo mode in a plain browser: the server signs in its demo customer (see parent)."""
        await self.sign_in_demo()
        if not self.signed_in:
            self.phase = "outside"
            return
        self.phase = "ready"
        return await self._enter(None)

    async def _enter(self, product_id: int | None):
        self._entered = True
        self.screen, self.history = "catalog", []
        await self.load_catalog()
        await self.refresh_count()
        if product_id:
            await self._open_product(product_id)

    # -- navigation ------------------------------------------------------------------------------
    def _go(self, screen: str) -> None:
        if screen not in SCREENS:
            return
        if screen in TABS:
            self.history = []
        elif self.screen != screen:
            self.history = [*self.history, self.screen][-10:]
        self.screen = screen
        self.notice = ""

    @rx.event
    def back(self):
        if self.history:
            self.screen = self.history[-1]
            self.history = self.history[:-1]
        else:
            self.screen = "catalog"
        self.notice = ""

    @rx.event
    async def switch_language(self, lang: str | list[str]):
        """RU/EN: the texts the server formatted are formatted again on the next load."""
        self.customer_lang = normalize_language(lang if isinstance(lang, str) else "")
        self.notice = ""
        if self.phase == "ready":
            await self.load_catalog()
            if self.screen == "product" and self.card.get("id"):
                await self._open_product(int(self.card["id"]), go=False)

    @rx.event
    def dismiss_notice(self):
        self.notice = ""

    # -- catalog ---------------------------------------------------------------------------------
    async def load_catalog(self):
        out = await self.call(browse.store_catalog, readonly=True, category_id=self.category_id or None,
                              search=self.query, limit=self.shown)
        if not self.failed(out):
            self._set(catalog_fields(out.value, self.shop_lang))

    async def refresh_count(self):
        out = await self.call(carts.cart_units, readonly=True)
        if not self.failed(out):
            self.cart_count = out.value

    @rx.event
    async def show_catalog(self):
        self._go("catalog")
        await self.load_catalog()

    @rx.event
    async def pick_category(self, category_id: str):
        self.category_id = int(category_id) if str(category_id).isdigit() else 0
        self.shown = PAGE
        await self.load_catalog()

    @rx.event
    async def search(self, query: str):
        self.query = str(query or "")[: browse.MAX_QUERY]
        self.shown = PAGE
        await self.load_catalog()

    @rx.event
    async def show_more(self):
        self.shown = min(self.shown + PAGE, browse.MAX_TILES)
        await self.load_catalog()

    # -- product card ----------------------------------------------------------------------------
    @rx.event
    async def open_product(self, product_id: int | str):
        try:
            pid = int(product_id)
        except (TypeError, ValueError):
            return
        await self._open_product(pid)

    async def _open_product(self, pid: int, go: bool = True) -> None:
        out = await self.call(browse.product_card, readonly=True, product_id=pid)
        if self.failed(out):
            return
        self._show_card(out.value)
        if go:
            self._go("product")

    def _show_card(self, card: browse.ProductCardOut) -> None:
        lang = self.shop_lang
        row = tile_row(card, lang)
        row.update(description=card.description, details=card.details, share_url=card.share_url)
        self.card = row
        self.card_photos = card.photos
        subscribed = set(card.subscribed_variant_ids)
        self.card_variants = [{
            "id": str(v.id), "label": v.label or card.name, "price": money(v.price_minor, lang),
            "old_price": money(v.old_price_minor, lang), "in_stock": "1" if v.in_stock else "",
            "subscribed": "1" if v.id in subscribed else "",
            "wholesale": (self.text("ui.sf.wholesale_from", price=money(v.wholesale_price_minor, lang),
                                    qty=v.wholesale_min_qty) if v.wholesale_price_minor is not None else ""),
            "weight": self.text("ui.sf.grams", g=v.weight_g) if v.weight_g else "",
        } for v in card.variants]
        self.card_cross = [tile_row(t, lang) for t in card.cross_sell]
        first = next((v for v in card.variants if v.in_stock), None)  # a sold-out variant is never preselected
        self.variant_id = first.id if first else 0

    def _buyable(self, variant_id: object) -> bool:
        return any(v["id"] == str(variant_id) and v["in_stock"] for v in self.card_variants)

    @rx.event
    def choose_variant(self, variant_id: str):
        if self._buyable(variant_id):
            self.variant_id = int(variant_id)
            self.notice = ""
            return self.haptic("select")
        if any(v["id"] == str(variant_id) for v in self.card_variants):  # sold out: marked, not chosen
            self.say(self.text("ui.sf.variant_sold_out"), error=True)
            return self.haptic("error")

    @rx.event
    async def add_to_cart(self):
        vid = self.variant_id
        if not vid or not self._buyable(vid):
            return
        self.busy = True
        yield
        out = await self.call(carts.add_item, variant_id=vid)
        self.busy = False
        if self.failed(out):
            yield self.haptic("error")
            return
        self.count_cart(out.value)
        label = next((v["label"] for v in self.card_variants if v["id"] == str(vid)), "")
        self.say(self.text("ui.sf.added", name=label))
        yield self.haptic("success")

    @rx.event
    async def notify_me(self, variant_id: str):
        vid = int(variant_id)
        if not self.failed(await self.call(subscribe_back_in_stock, variant_id=vid)):
            self.card_variants = [{**v, "subscribed": "1"} if v["id"] == str(vid) else v for v in self.card_variants]
            self.say(self.text("ui.sf.notify_set"))

    @rx.event
    def share(self):
        url = self.card.get("share_url", "")
        if not url:
            return
        self.say(self.text("ui.sf.share_link", url=url))
        return rx.call_script(f"window.smoTg && window.smoTg.share({json.dumps(url)}, {json.dumps(self.card.get('name', ''))})")

    @rx.event
    def open_support(self):
        """"Support": the chat with the shop's bot, where the assistant and the staff answer."""
        url = self.bot_url or f"https://t.me/{get_settings().bot_username}"
        return rx.call_script(f"window.smoTg ? window.smoTg.openChat({json.dumps(url)}) : window.open({json.dumps(url)})")
