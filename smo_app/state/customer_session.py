"""The storefront's root state: who the customer is, and nothing of the staff's.

Deliberately a direct ``rx.State`` subclass, not a ``SessionState`` one: Reflex sends a state's
vars to the clients of every page that uses it (or a substate of it), so the Mini App must not sit
under the staff guard state. This state holds only the customer's opaque session cookie and the
chosen language; who the customer is comes from the server-side session for each event
(:meth:`customer`, :meth:`call`), never from anything the client sends. Storefront page states
subclass it and call services through :meth:`CustomerSessionState.call`.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx

from smo_app.db import session_scope
from smo_app.i18n import catalogs, error_text, normalize_language, t
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, PermissionDenied
from smo_app.services.customers import sessions as customer_sessions
from smo_app.services.customers.registration import CustomerOut
from smo_app.services.customers.telegram_init_data import DEMO_BOT_TOKEN, demo_init_data

log = logging.getLogger(__name__)
R = TypeVar("R")

TOKEN_COOKIE = "smo_customer_session"
LANG_COOKIE = "smo_customer_lang"
TOKEN_COOKIE_MAX_AGE = 30 * 24 * 3600  # the server-side expiry is what counts


class NotSignedIn(PermissionDenied):
    """No live customer session behind the cookie (none, unknown, expired or revoked)."""

    def __init__(self) -> None:
        super().__init__("customer session")


def resolve_customer(token: str) -> CustomerOut | None:
    """The customer behind ``token`` (blocking; call it in a worker thread). A read-only
    transaction, so resolving never waits for the write lock; now and then a short write records
    that the session was seen."""
    if not token:
        return None
    with session_scope(readonly=True) as s:
        customer, stale = customer_sessions.peek_customer_session(s, token=token)
    stamp_seen(token, stale)
    return customer


def stamp_seen(token: str, stale: bool) -> None:
    """After a peek (outside its read-only transaction): record that the session was seen, if due."""
    if stale:
        with session_scope() as s:
            customer_sessions.touch_customer_session(s, token=token)


def customer_actor(customer: CustomerOut) -> Actor:
    return Actor.customer(customer.id, name=customer.full_name)


def run_as_customer(token: str, fn: Callable[..., R], kwargs: dict[str, Any], *, readonly: bool) -> R:
    """In a worker thread: the customer resolved, then ``fn(session, actor=<customer>, **kwargs)``
    with one session of its own (``readonly``: a read-only transaction)."""
    customer = resolve_customer(token)
    if customer is None:
        raise NotSignedIn()
    with session_scope(readonly=readonly) as s:
        return fn(s, actor=customer_actor(customer), **kwargs)


class CustomerSessionState(rx.State):
    # Telegram's in-app browser keeps cookies per bot; SameSite=Lax keeps it first-party only.
    customer_token: str = rx.Cookie("", name=TOKEN_COOKIE, max_age=TOKEN_COOKIE_MAX_AGE, same_site="lax")
    customer_lang: str = rx.Cookie("", name=LANG_COOKIE, max_age=365 * 24 * 3600)
    signed_in: bool = False  # display only
    customer_name: str = ""  # display only
    sign_in_error: str = ""

    @rx.var
    def shop_lang(self) -> str:
        return shop_language(self.customer_lang)

    @rx.var
    def shop_tr(self) -> dict[str, str]:
        """The storefront's UI text in the customer's language (``ui.*`` keys)."""
        return {k: v for k, v in catalogs()[shop_language(self.customer_lang)].items() if k.startswith("ui.")}

    # -- for storefront substates --------------------------------------------------------------
    def customer(self) -> CustomerOut | None:
        """The signed-in customer, resolved from the server-side session (None: not signed in).
        Blocking: call it in a worker thread (``await asyncio.to_thread(self.customer)``)."""
        return resolve_customer(self.customer_token)

    async def call(self, fn: Callable[..., R], /, *, readonly: bool = False, **kwargs: Any) -> R:
        """Call a service as the signed-in customer, off the event loop.

        ``fn(session, actor=<the customer>, **kwargs)`` runs in a worker thread with one session
        of its own (``readonly=True``: a read-only transaction, for views and page loads); who the
        customer is comes from the server-side session behind the cookie, resolved read-only.
        Raises :class:`NotSignedIn` (a PermissionDenied) without a live session, and whatever the
        service raises (DomainError: the caller shows ``self.error(exc)``).
        """
        return await asyncio.to_thread(run_as_customer, self.customer_token, fn, kwargs, readonly=readonly)

    def text(self, key: str, **params) -> str:
        return t(key, self.shop_lang, **params)

    def error(self, exc: Exception) -> str:
        if not getattr(exc, "code", None):
            log.exception("unexpected error in a storefront event", exc_info=exc)
        return error_text(exc, self.shop_lang)

    # -- events ----------------------------------------------------------------------------------
    @rx.event
    def set_customer_lang(self, lang: str):
        self.customer_lang = normalize_language(lang)

    @rx.event
    async def sign_in_with_telegram(self, init_data: str):
        """Called by the page with ``Telegram.WebApp.initData``; verified on the server (in a worker
        thread: the event loop serves other clients meanwhile)."""
        await asyncio.to_thread(self._sign_in, str(init_data or ""))

    @rx.event
    async def sign_in_demo(self):
        """Demo mode only (``SMO_DEMO=1``): sign in a demo customer in a plain browser. The server
        signs the init data itself; the browser chooses nothing. Outside demo mode: refused."""
        from smo_app.settings import get_settings

        if not get_settings().demo:
            self.sign_in_error = self.text("identity.init_data_missing")
            return
        await asyncio.to_thread(self._sign_in, demo_init_data(bot_token=_bot_token()))

    def _sign_in(self, init_data: str) -> customer_sessions.CustomerSignedIn | None:
        token = _bot_token()
        try:
            with session_scope() as s:
                signed = customer_sessions.sign_in_with_init_data(s, init_data=init_data, bot_token=token)
        except DomainError as exc:
            self.signed_in, self.customer_name = False, ""
            self.sign_in_error = self.error(exc)
            return None
        self.customer_token = signed.token
        if not self.customer_lang:
            self.customer_lang = signed.customer.language
        self.signed_in, self.customer_name, self.sign_in_error = True, signed.customer.full_name, ""
        return signed

    @rx.event
    async def refresh_customer(self):
        """On load: show who is signed in (or forget a dead cookie)."""
        c = await asyncio.to_thread(self.customer)
        if c is None:
            self.customer_token = "" if self.customer_token else self.customer_token
        self.signed_in = c is not None
        self.customer_name = c.full_name if c else ""

    @rx.event
    async def sign_out_customer(self):
        await asyncio.to_thread(_end_session, self.customer_token)
        self.customer_token = ""
        self.signed_in, self.customer_name = False, ""


def _end_session(token: str) -> None:
    with session_scope() as s:
        customer_sessions.end_customer_session(s, token=token)


def _bot_token() -> str:
    """The bot's token verifies init data; in demo mode without a bot, a fixed demo token."""
    from smo_app.settings import get_settings

    settings = get_settings()
    if settings.bot_token:
        return settings.bot_token.get_secret_value()
    return DEMO_BOT_TOKEN if settings.demo else ""


def shop_language(chosen: str | None) -> str:
    """The customer's language: their choice (the language cookie), else the shop's default."""
    return normalize_language(chosen or _default_language())


def _default_language() -> str:
    """The shop's language (settings page, else SMO_LANGUAGE), without touching the database."""
    from smo_app.services.core.shop_locale import cached

    return cached().language
