"""The storefront Mini App's page state: sign-in, navigation between screens, catalog and product card.

One route (``/``) with screens, as a Mini App behaves: Telegram's BackButton walks back through
``history``. Who the customer is comes from the server-side session of :class:`CustomerSessionState`
for every event; prices and stock come from the services. The cart and checkout live in
``storefront_cart``, orders and bonuses in ``storefront_account`` (substates of this one).
"""
from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx
from reflex_base.constants.state import FIELD_MARKER

from smo_app.db import session_scope
from smo_app.i18n import LANGUAGES, normalize_language
from smo_app.money import format_money
from smo_app.services.catalog import browse
from smo_app.services.catalog.products import CategoryOut
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError
from smo_app.services.core.shop_config import get_config
from smo_app.services.customers import sessions as customer_sessions
from smo_app.services.sales import carts
from smo_app.services.stock.subscriptions import subscribe_back_in_stock
from smo_app.settings import get_settings
from smo_app.state.customer_session import CustomerSessionState, NotSignedIn, customer_actor, stamp_seen

log = logging.getLogger(__name__)
R = TypeVar("R")

TELEGRAM_JS = "https://telegram.org/js/telegram-web-app.js"

# Telegram's SDK: inside Telegram (it opens the Mini App with ``#tgWebAppData=…`` in the address,
# which the SDK keeps in sessionStorage for reloads) it loads at once; in a plain browser, where it
# has nothing to read, only after the page has loaded, so telegram.org never holds the page up.
TELEGRAM_SDK = """
(function () {
  if (document.querySelector('script[data-tg-sdk]')) return;
  function add() {
    if (document.querySelector('script[data-tg-sdk]')) return;
    var s = document.createElement('script');
    s.src = '%s'; s.async = true; s.setAttribute('data-tg-sdk', '1');
    document.head.appendChild(s);
  }
  var inside = /[#&]tgWebAppData=/.test(location.hash);
  try { inside = inside || !!sessionStorage.getItem('__telegram__initParams'); } catch (e) {}
  if (inside || document.readyState === 'complete') add(); else window.addEventListener('load', add);
})();
""" % TELEGRAM_JS

# Inside Telegram: tell it we are ready, take the full height, and copy its theme and safe areas
# into the --tg-theme-* / --tg-safe-* variables the styles read (telegram-web-app.js does it too;
# tests inject only window.Telegram.WebApp). In a plain browser nothing happens, fallbacks apply.
TELEGRAM_INIT = """
(function () {
  function apply() {
    var wa = window.Telegram && window.Telegram.WebApp;
    if (!wa) return false;
    try { wa.ready && wa.ready(); wa.expand && wa.expand(); } catch (e) {}
    var p = wa.themeParams || {}, css = '';
    Object.keys(p).forEach(function (k) {
      if (/^#[0-9a-fA-F]{3,8}$/.test(p[k])) css += '--tg-theme-' + k.replace(/_/g, '-') + ':' + p[k] + ';';
    });
    var inset = wa.safeAreaInset || {}, content = wa.contentSafeAreaInset || {};
    ['top', 'bottom', 'left', 'right'].forEach(function (side) {
      css += '--tg-safe-' + side + ':' + ((inset[side] || 0) + (content[side] || 0)) + 'px;';
    });
    var tag = document.getElementById('tg-theme') || document.head.appendChild(document.createElement('style'));
    tag.id = 'tg-theme';
    tag.textContent = ':root{' + css + '}';
    document.documentElement.dataset.telegram = '1';
    return true;
  }
  if (!apply()) { var n = 0, t = setInterval(function () { if (apply() || ++n > 60) clearInterval(t); }, 150); }
})();
"""

# The Telegram bridge (``window.smoTg``): see smo_app/components/storefront.py.
BRIDGE_JS = r"""
(function () {
  if (window.smoTg) return;
  function wa() { return window.Telegram && window.Telegram.WebApp; }
  function tg() { var w = wa(); return w && w.initData ? w : null; }
  var S = {
    boot: function () {
      var w = wa() || {}, u = ((w.initDataUnsafe || {}).user) || {};
      return {initData: w.initData || '', lang: u.language_code || ''};
    },
    haptic: function (kind) {
      try {
        var h = tg() && tg().HapticFeedback; if (!h) return;
        if (kind === 'error' || kind === 'success' || kind === 'warning') h.notificationOccurred(kind);
        else if (kind === 'select') h.selectionChanged(); else h.impactOccurred('light');
      } catch (e) {}
    },
    share: function (url, text) {
      var w = tg();
      if (w && w.openTelegramLink) {
        w.openTelegramLink('https://t.me/share/url?url=' + encodeURIComponent(url) + '&text=' + encodeURIComponent(text || ''));
        return 'telegram';
      }
      try { navigator.clipboard.writeText(url); return 'copied'; } catch (e) { return 'shown'; }
    },
    uploadProof: function (orderId, inputId) {
      var input = document.getElementById(inputId), file = input && input.files && input.files[0];
      if (!file) return Promise.resolve({ok: false, message: ''});
      var form = new FormData();
      form.append('file', file, file.name);
      input.value = '';
      return fetch('/api/storefront/orders/' + encodeURIComponent(orderId) + '/payment-proof',
                   {method: 'POST', body: form, credentials: 'same-origin', headers: {'X-Smo-Request': '1'}})
        .then(function (r) { return r.json(); })
        .catch(function () { return {ok: false, message: ''}; });
    },
    requestContact: function () {
      return new Promise(function (resolve) {
        var w = tg();
        if (!w || !w.requestContact) { resolve(''); return; }
        try {
          w.requestContact(function (ok, r) {
            var c = ok && r && r.responseUnsafe && r.responseUnsafe.contact;
            resolve(c ? String(c.phone_number || '') : '');
          });
        } catch (e) { resolve(''); }
      });
    },
    location: function () {
      return new Promise(function (resolve) {
        function browser() {
          if (!navigator.geolocation) { resolve(null); return; }
          navigator.geolocation.getCurrentPosition(function (p) { resolve({lat: p.coords.latitude, lon: p.coords.longitude}); },
            function () { resolve(null); }, {timeout: 8000});
        }
        var w = tg(), lm = w && w.LocationManager;
        if (!lm) { browser(); return; }
        var go = function () {
          if (!lm.isLocationAvailable) { browser(); return; }
          lm.getLocation(function (d) { resolve(d ? {lat: d.latitude, lon: d.longitude} : null); });
        };
        try { lm.isInited ? go() : lm.init(go); } catch (e) { browser(); }
      });
    }
  };
  var last = {}, bound = {};
  function mirror(name, selector, back) {
    var w = tg(), b = w && w[name]; if (!b) return;
    if (!bound[name]) {
      bound[name] = true;
      b.onClick(function () { var el = document.querySelector(selector); if (el && !el.disabled) el.click(); });
    }
    var el = document.querySelector(selector), state;
    if (!el) state = 'hidden';
    else if (back) state = 'shown';
    else state = [(el.getAttribute('data-tg-text') || el.textContent || '').trim(), !el.disabled, el.getAttribute('data-busy') === '1'].join('|');
    if (state === last[name]) return;
    last[name] = state;
    try {
      if (!el) { b.hide(); return; }
      if (back) { b.show(); return; }
      b.setParams({text: state.split('|')[0], is_visible: true, is_active: !el.disabled});
      if (el.getAttribute('data-busy') === '1') { b.showProgress && b.showProgress(false); } else { b.hideProgress && b.hideProgress(); }
    } catch (e) {}
  }
  var closing = false;
  setInterval(function () {
    var w = tg(); if (!w) return;
    document.documentElement.setAttribute('data-tg-buttons', '1');
    mirror('MainButton', '[data-tg="main"]');
    mirror('SecondaryButton', '[data-tg="secondary"]');
    mirror('BackButton', '[data-tg="back"]', true);
    var want = !!document.querySelector('[data-tg-closing="1"]');
    if (want !== closing) {
      closing = want;
      try { want ? w.enableClosingConfirmation() : w.disableClosingConfirmation(); } catch (e) {}
    }
  }, 200);
  window.smoTg = S;
})();
"""

# What ``open`` runs in the page: the SDK, the bridge and the theme only if the prerendered page's
# inline script did not (a client-side navigation: React runs no inline scripts) — kept in a
# string, so the usual case compiles none of it — then what Telegram gave for sign-in (boot).
PAGE_JS = TELEGRAM_SDK + BRIDGE_JS + TELEGRAM_INIT
BOOT_JS = "(window.smoTg || new Function(%s)(), window.smoTg.boot())" % json.dumps(PAGE_JS)

PAGE = 20  # tiles per "show more"
SCREENS = ("catalog", "product", "cart", "checkout", "orders", "order", "bonuses")
TABS = ("catalog", "cart", "orders", "bonuses")


class Me:
    """The signed-in customer of one event (resolved on the server, never sent by the page)."""

    def __init__(self, actor: Actor):
        self.id = actor.id
        self.actor = actor


def money(minor: int | None, lang: str) -> str:
    return "" if minor is None else format_money(minor, lang=lang)


def tile_row(t: browse.StoreProductOut, lang: str) -> dict[str, str]:
    return {
        "id": str(t.id), "name": t.name, "photo": t.photo or "", "price": money(t.price_minor, lang),
        "old_price": money(t.old_price_minor, lang), "discount": f"−{t.discount_pct}%" if t.discount_pct else "",
        "stock": t.stock, "only_left": str(t.only_left or ""), "suspended": "1" if t.suspended else "",
    }


def _flatten(categories: list[CategoryOut], depth: int = 0) -> list[dict[str, str]]:
    out = []
    for c in categories:
        out.append({"id": str(c.id), "name": c.name, "depth": str(depth)})
        out.extend(_flatten(c.children, depth + 1))
    return out


def catalog_fields(out: browse.StoreCatalogOut, lang: str) -> dict[str, Any]:
    """A catalog page as :class:`StoreState` field values."""
    return {"categories": _flatten(out.categories), "tiles": [tile_row(t, lang) for t in out.products],
            "has_more": out.has_more, "vacation": out.vacation, "vacation_message": out.vacation_message,
            "preorder": out.preorder, "wholesale": out.wholesale}


def first_paint(token: str, lang: str) -> dict[str, Any]:
    """The first screen as field values of :class:`StoreState` (and its parent): the shop's name
    and, with a live session, the customer, the catalog's first page and the cart count.

    One read-only transaction (the session's last-seen stamp is written now and then, apart);
    blocking, call it in a worker thread. :meth:`StoreState.open` applies it over the websocket,
    ``GET /api/storefront/first-paint`` sends it ahead over plain HTTP (:func:`first_paint_delta`).
    """
    with session_scope(readonly=True) as s:
        fields: dict[str, Any] = {"shop_name": get_config(s).shop_name}
        customer, stale = customer_sessions.peek_customer_session(s, token=token)
        if customer is None:
            return fields
        actor = customer_actor(customer)
        catalog = browse.store_catalog(s, actor=actor, limit=PAGE)
        cart = carts.get_cart(s, actor=actor, customer_id=customer.id)
    stamp_seen(token, stale)
    fields.update(signed_in=True, customer_name=customer.full_name, phase="ready", screen="catalog", history=[],
                  category_id=0, query="", shown=PAGE, cart_count=sum(line.qty for line in cart.lines),
                  **catalog_fields(catalog, lang))
    return fields


def first_paint_delta(token: str, lang: str) -> dict[str, dict[str, Any]]:
    """:func:`first_paint` as the delta the page's state store applies, keyed like the updates the
    websocket carries (full state name → ``<field>_rx_state_`` → value). Blocking."""
    return as_delta(first_paint(token, lang))


def as_delta(fields: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """:func:`first_paint`'s fields keyed as the page's state store takes them."""
    delta: dict[str, dict[str, Any]] = {}
    for name, value in fields.items():
        owner = next(c for c in StoreState.__mro__ if name in getattr(c, "base_vars", {}))
        delta.setdefault(owner.get_full_name(), {})[name + FIELD_MARKER] = value
    return delta


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

    # -- plumbing ---------------------------------------------------------------------------------
    async def run(self, fn: Callable[[Any, Me], R], *, readonly: bool = False) -> tuple[bool, R | None]:
        """Run ``fn(session, me)`` off the event loop as the signed-in customer. A DomainError
        becomes the notice (and an error haptic); not signed in sends the page back to sign-in."""
        try:
            return True, await self.call(lambda s, actor: fn(s, Me(actor)), readonly=readonly)
        except NotSignedIn:
            self.phase = "outside" if not self.in_telegram else "refused"
            self.sign_in_error = self.text("ui.sf.session_over")
        except DomainError as exc:
            self.say(self.error(exc), error=True)
        except Exception as exc:  # noqa: BLE001 - the customer gets a message, the log the trace
            log.exception("storefront event failed", exc_info=exc)
            self.say(self.text("common.unexpected_error"), error=True)
        return False, None

    def say(self, text: str, *, error: bool = False) -> None:
        self.notice, self.notice_error = text, error

    def money(self, minor: int | None) -> str:
        return money(minor, self.shop_lang)

    @staticmethod
    def haptic(kind: str):
        return rx.call_script(f"window.smoTg && window.smoTg.haptic('{kind}')")

    # -- opening and sign-in --------------------------------------------------------------------
    @rx.event
    async def open(self):
        """After hydration: the shop's name and, with a live session cookie, the catalog at once
        (one server trip); then Telegram's initData is read in the page and verified in :meth:`boot`."""
        settings = get_settings()
        self.bot_url = f"https://t.me/{settings.bot_username}"
        try:
            fields = await asyncio.to_thread(first_paint, self.customer_token, self.shop_lang)
        except Exception as exc:  # noqa: BLE001 - boot still runs and says what is wrong
            log.exception("storefront first paint failed", exc_info=exc)
            fields = {}
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
            signed = await asyncio.to_thread(self._sign_in, init_data)
            if signed is None:
                self.phase = "refused"
                return
            product_id = signed.start.product_id if signed.start else None
        elif self.phase == "ready":  # the session cookie already opened the shop
            return
        elif await asyncio.to_thread(self.customer) is None:
            self.signed_in = False
            self.phase = "demo" if get_settings().demo else "outside"
            return
        else:
            self.signed_in = True
        self.phase = "ready"
        return await self._enter(product_id)

    @rx.event
    async def demo_sign_in(self):
        """Demo mode in a plain browser: the server signs demo init data itself (see parent)."""
        await self.sign_in_demo()  # verifies in a worker thread itself
        if not self.signed_in:
            self.phase = "outside"
            return
        self.phase = "ready"
        return await self._enter(None)

    async def _enter(self, product_id: int | None):
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
        cat, query, limit = self.category_id or None, self.query, self.shown
        ok, out = await self.run(lambda s, me: browse.store_catalog(s, actor=me.actor, category_id=cat, search=query,
                                                                    limit=limit), readonly=True)
        if ok:
            self._apply_catalog(out)

    def _apply_catalog(self, out: browse.StoreCatalogOut) -> None:
        self._set(catalog_fields(out, self.shop_lang))

    def _set(self, fields: dict[str, Any]) -> None:
        for name, value in fields.items():
            setattr(self, name, value)

    async def refresh_count(self):
        ok, out = await self.run(lambda s, me: carts.get_cart(s, actor=me.actor, customer_id=me.id), readonly=True)
        if ok:
            self.cart_count = sum(line.qty for line in out.lines)

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
        self.shown = min(self.shown + PAGE, 500)
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
        bot = get_settings().bot_username
        ok, card = await self.run(lambda s, me: browse.product_card(s, actor=me.actor, product_id=pid, bot_username=bot),
                                  readonly=True)
        if not ok:
            return
        self._show_card(card)
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
        first = next((v for v in card.variants if v.in_stock), card.variants[0] if card.variants else None)
        self.variant_id = first.id if first else 0

    @rx.event
    def choose_variant(self, variant_id: str):
        if any(v["id"] == str(variant_id) for v in self.card_variants):
            self.variant_id = int(variant_id)
            return self.haptic("select")

    @rx.event
    async def add_to_cart(self):
        vid = self.variant_id
        if not vid:
            return
        self.busy = True
        yield
        ok, out = await self.run(lambda s, me: carts.add_item(s, actor=me.actor, customer_id=me.id, variant_id=vid))
        self.busy = False
        if not ok:
            yield self.haptic("error")
            return
        self.cart_count = sum(line.qty for line in out.lines)
        label = next((v["label"] for v in self.card_variants if v["id"] == str(vid)), "")
        self.say(self.text("ui.sf.added", name=label))
        yield self.haptic("success")

    @rx.event
    async def notify_me(self, variant_id: str):
        vid = int(variant_id)
        ok, _ = await self.run(lambda s, me: subscribe_back_in_stock(s, actor=me.actor, customer_id=me.id,
                                                                     variant_id=vid))
        if ok:
            self.card_variants = [{**v, "subscribed": "1"} if v["id"] == str(vid) else v for v in self.card_variants]
            self.say(self.text("ui.sf.notify_set"))

    @rx.event
    def share(self):
        url = self.card.get("share_url", "")
        if not url:
            return
        self.say(self.text("ui.sf.share_link", url=url))
        return rx.call_script(f"window.smoTg && window.smoTg.share({json.dumps(url)}, {json.dumps(self.card.get('name', ''))})")
