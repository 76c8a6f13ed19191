"""What the bot shows (greeting, menu items, product card) as plain data: text + button rows.

The sidecar turns ``Content`` into Telegram markup; button rows use the outbox payload shape
(``{"text", "url"|"web_app"|"callback_data"}``). Commerce data (cart, bonuses, orders, products)
is read from the models and ``customers.loyalty``. The seam gives every call its own session and
closes it before the handler talks to Telegram, so no read here holds a transaction open.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from html import escape

from sqlmodel import Session, func, select

from smo_app.i18n import t
from smo_app.models.base import utcnow
from smo_app.models.bookings import Booking, BookingService, BookingState
from smo_app.models.carts import Cart, CartItem
from smo_app.models.catalog import Product
from smo_app.models.customer import Customer
from smo_app.models.orders import Order
from smo_app.money import format_money
from smo_app.services.core import audit
from smo_app.services.core.actor import Actor
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.shop_config import get_config
from smo_app.services.core.shop_locale import shop_tz
from smo_app.services.customers.loyalty import invites_count
from smo_app.services.customers.registration import TelegramProfile, get_by_telegram_id, register_telegram_user
from smo_app.services.messaging.outbox import enqueue_message
from smo_app.services.support import tickets as support_tickets

MENU_ITEMS = ("orders", "cart", "bonuses", "bookings", "support", "channel", "about")
MENU_CALLBACK_PREFIX = "m:"


def menu_callback(item: str) -> str:
    """The callback data of a main-menu button (``parse_menu_callback`` reads it back)."""
    if item not in MENU_ITEMS:
        raise ValueError(f"unknown menu item {item!r}")
    return MENU_CALLBACK_PREFIX + item


def parse_menu_callback(data: str | None) -> str | None:
    """The menu item a button's callback data names, or None when it is not a (known) menu button."""
    if not data or not data.startswith(MENU_CALLBACK_PREFIX):
        return None
    item = data[len(MENU_CALLBACK_PREFIX):]
    return item if item in MENU_ITEMS else None


@dataclass
class Content:
    text: str
    photo: str | None = None
    buttons: list[list[dict[str, str]]] = field(default_factory=list)


def main_menu_buttons(lang: str, public_url: str) -> list[list[dict[str, str]]]:
    def cb(item: str) -> dict[str, str]:
        return {"text": t(f"bot.menu.{item}", lang), "callback_data": menu_callback(item)}

    return [
        [{"text": t("bot.menu.shop", lang), "web_app": public_url}],
        [cb("orders"), cb("cart")],
        [cb("bonuses"), cb("bookings")],
        [cb("support"), cb("channel")],
        [cb("about")],
    ]


def cart_and_bonus(session: Session, customer_id: int) -> tuple[int, int]:
    """(units in the customer's cart, bonus balance in minor units) from the commerce core."""
    units = session.exec(
        select(func.coalesce(func.sum(CartItem.qty), 0)).join(Cart, Cart.id == CartItem.cart_id)
        .where(Cart.customer_id == customer_id)
    ).one()
    balance = session.exec(select(Customer.bonus_balance_minor).where(Customer.id == customer_id)).first()
    return int(units), int(balance or 0)  # the balance the loyalty service keeps (get_bonuses shows the same)


def greeting(session: Session, *, customer_id: int, lang: str, public_url: str) -> Content:
    cfg = get_config(session)
    customer = session.get(Customer, customer_id)
    name = escape(customer.full_name or customer.username or "") if customer else ""
    template = cfg.start_text_en if lang == "en" else cfg.start_text_ru
    try:
        text = template.format(name=name)
    except (KeyError, IndexError, ValueError):
        text = template
    cart, bonus = cart_and_bonus(session, customer_id)
    text += "\n\n" + t("bot.greeting_stats", lang, cart=cart, bonus=format_money(bonus, lang=lang))
    return Content(text=text, photo=cfg.start_photo, buttons=main_menu_buttons(lang, public_url))


def menu_item(session: Session, *, item: str, customer_id: int, lang: str, public_url: str,
              bot_username: str) -> Content:
    cfg = get_config(session)
    if item == "about":
        return Content(cfg.about_text_en if lang == "en" else cfg.about_text_ru)
    if item == "support":  # the assistant answers here; the shop's own contact as well, when set
        text = t("support.intro", lang)
        if cfg.support_contact:
            text += "\n\n" + t("bot.support.text", lang, contact=escape(cfg.support_contact))
        return Content(text, buttons=support_tickets.topic_buttons(lang))
    if item == "channel":
        if cfg.channel_url:
            return Content(t("bot.channel.text", lang, url=cfg.channel_url),
                           buttons=[[{"text": t("bot.menu.channel", lang), "url": cfg.channel_url}]])
        return Content(t("bot.channel.none", lang))
    if item == "bonuses":
        _, bonus = cart_and_bonus(session, customer_id)
        link = f"https://t.me/{bot_username}?start=ref{customer_id}"
        return Content(t("bot.bonuses.text", lang, balance=format_money(bonus, lang=lang), link=link,
                         invites=invites_count(session, customer_id)))
    if item == "cart":
        cart, _ = cart_and_bonus(session, customer_id)
        text = t("bot.cart.summary", lang, count=cart) if cart else t("bot.cart.empty", lang)
        return Content(text, buttons=[[{"text": t("bot.cart.open", lang), "web_app": f"{public_url}/cart"}]])
    if item == "orders":
        return Content(_orders_text(session, customer_id, lang),
                       buttons=[[{"text": t("bot.orders.open", lang), "web_app": f"{public_url}/orders"}]])
    if item == "bookings":
        return Content(_bookings_text(session, customer_id, lang),
                       buttons=[[{"text": t("bot.bookings.open", lang), "web_app": f"{public_url}/bookings"}]])
    return Content(t("bot.unknown", lang), buttons=main_menu_buttons(lang, public_url))


def _bookings_text(session: Session, customer_id: int, lang: str) -> str:
    """The customer's upcoming bookings (shop time), or where to book."""
    tz = shop_tz(session)
    rows = session.exec(select(Booking.starts_at, BookingService.name, Booking.state).join(
        BookingService, BookingService.id == Booking.service_id).where(
        Booking.customer_id == customer_id, Booking.starts_at > utcnow(),
        Booking.state.in_([BookingState.pending.value, BookingState.confirmed.value]))
        .order_by(Booking.starts_at).limit(10)).all()
    if not rows:
        return t("bot.bookings.text", lang)
    lines = "\n".join(f"• {escape(name)} — {starts.astimezone(tz).strftime('%d.%m %H:%M')}"
                      + (f" ({t('ui.bookings.state.pending', lang)})" if state == BookingState.pending.value else "")
                      for starts, name, state in rows)
    return t("bot.bookings.upcoming", lang, lines=lines)


def open_menu_item(session: Session, *, actor: Actor | None, sender: TelegramProfile, item: str, lang: str,
                   public_url: str, bot_username: str) -> Content:
    """A main-menu button pressed (the bot's handler): the item for the sender as a customer. A
    customer is answered as themselves; a staff member or a stranger (a button of a forwarded
    message, before any /start) by the customer of their Telegram account, registered first if
    there is none. Commits only that registration."""
    if actor is not None and actor.is_customer and actor.id is not None:
        customer_id = actor.id
    else:
        known = get_by_telegram_id(session, sender.telegram_id)
        customer_id = known.id if known is not None else register_telegram_user(
            session, telegram_id=sender.telegram_id, username=sender.username, full_name=sender.full_name,
            language=sender.language).customer.id
    return menu_item(session, item=item, customer_id=customer_id, lang=lang, public_url=public_url,
                     bot_username=bot_username)


def _orders_text(session: Session, customer_id: int, lang: str) -> str:
    rows = session.exec(select(Order).where(Order.customer_id == customer_id).order_by(Order.id.desc()).limit(5)).all()
    if not rows:
        return t("bot.orders.none", lang)
    lines = "\n".join(
        f"№{getattr(o, 'number', None) or o.id} — {t(f'order.status.{o.status}', lang)} — {format_money(o.total_minor)}"
        for o in rows
    )
    return t("bot.orders.list", lang, lines=lines)


def product_card(session: Session, *, product_id: int, lang: str, public_url: str) -> Content:
    """The product's name, price and photo with a button that opens it in the Mini App."""
    text, photo = t("bot.product.fallback", lang, id=product_id), None
    product = session.get(Product, product_id)
    if product is not None:
        text = t("bot.product.card", lang, name=escape(product.name), price=format_money(product.base_price_minor, lang=lang))
        photo = next((p for p in (product.photos or []) if p.startswith(("http://", "https://"))), None)
    url = f"{public_url}/product/{product_id}"
    return Content(text=text, photo=photo, buttons=[[{"text": t("bot.product.open", lang), "web_app": url}]])


def reset_ui(session: Session, *, actor: Actor, public_url: str, now: datetime | None = None) -> int:
    """CO5: queue a fresh main menu to every reachable customer (each in their language). Commits."""
    require(actor, Perm.broadcasts_manage)
    now = now or utcnow()
    stamp = now.strftime("%Y%m%d%H%M%S")
    count = 0
    for c in session.exec(select(Customer).where(Customer.telegram_id.is_not(None), Customer.unreachable.is_(False))):
        row = enqueue_message(session, kind="reset_ui", chat_id=c.telegram_id, customer_id=c.id,
                              text=t("bot.menu.title", c.language),
                              buttons=main_menu_buttons(c.language, public_url),
                              dedupe_key=f"reset:{stamp}:{c.id}")
        count += row is not None
    audit.record(session, actor=actor, action="bot.reset_ui", note=f"{count} customers")
    session.commit()
    return count
