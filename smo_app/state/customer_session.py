"""The storefront's root state: who the customer is, and nothing of the staff's.

Deliberately a direct ``rx.State`` subclass, not a ``SessionState`` one: Reflex sends a state's
vars to the clients of every page that uses it (or a substate of it), so the Mini App must not sit
under the staff guard state. This state holds only the customer's opaque session cookie and the
chosen language; who the customer is comes from the server-side session for each event, resolved
by the calling seam (:mod:`smo_app.calling`), never from anything the client sends. Storefront page
states subclass it and call services through :meth:`CustomerSessionState.call`.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx

from smo_app.calling import NOBODY, CustomerCaller, Result, acall
from smo_app.cookies import CUSTOMER_LANG as LANG_COOKIE
from smo_app.cookies import CUSTOMER_SESSION as TOKEN_COOKIE
from smo_app.cookies import customer_language as shop_language
from smo_app.i18n import catalogs, normalize_language, t
from smo_app.services.customers import sessions as customer_sessions
from smo_app.services.customers.identity import whoami_customer
from smo_app.state.stored_fields import without_caches

R = TypeVar("R")

TOKEN_COOKIE_MAX_AGE = 30 * 24 * 3600  # the server-side expiry is what counts
__all__ = ["LANG_COOKIE", "TOKEN_COOKIE", "CustomerSessionState", "shop_language"]


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

    def __getstate__(self):
        """For Redis: without the cached ``shop_tr`` (see :mod:`smo_app.state.stored_fields`)."""
        return without_caches(super().__getstate__(), CustomerSessionState, "shop_tr")

    # -- the one way a storefront screen calls a service -------------------------------------------
    async def call(self, fn: Callable[..., R], /, *, readonly: bool = False, optional: bool = False,
                   **kwargs: Any) -> Result[R]:
        """``fn(session, actor=<the customer>, **kwargs)`` off the event loop, through the calling
        seam: the customer is resolved from the session cookie on the server; a refusal comes back
        as text in the customer's language; ``out.signed_out`` when the session is gone.
        ``optional=True`` (what anyone may open, e.g. the first screen): no live session runs the
        service with ``actor=None`` instead."""
        caller = CustomerCaller(self.customer_token, optional=optional)
        return await acall(fn, caller=caller, user_lang=self.shop_lang, readonly=readonly, screen=self.router.page.path,
                           **kwargs)

    async def call_public(self, fn: Callable[..., R], /, *, readonly: bool = False, **kwargs: Any) -> Result[R]:
        """``fn(session, **kwargs)`` with no customer (sign-in, what anyone may read)."""
        return await acall(fn, caller=NOBODY, user_lang=self.shop_lang, readonly=readonly, screen=self.router.page.path,
                           **kwargs)

    def text(self, key: str, **params) -> str:
        return t(key, self.shop_lang, **params)

    # -- sign-in ---------------------------------------------------------------------------------
    @rx.event
    def set_customer_lang(self, lang: str):
        self.customer_lang = normalize_language(lang)

    @rx.event
    async def sign_in_with_telegram(self, init_data: str):
        """Called by the page with ``Telegram.WebApp.initData``; verified on the server."""
        await self._sign_in(customer_sessions.sign_in_telegram, init_data=str(init_data or ""))

    @rx.event
    async def sign_in_demo(self):
        """Demo mode only (``SMO_DEMO=1``): the server signs in its demo customer; the browser
        chooses nobody. Outside demo mode: refused."""
        await self._sign_in(customer_sessions.sign_in_demo_customer)

    async def _sign_in(self, service: Callable[..., customer_sessions.CustomerSignedIn],
                       **kwargs: Any) -> customer_sessions.CustomerSignedIn | None:
        out = await self.call_public(service, **kwargs)
        if not out.ok:
            self.signed_in, self.customer_name = False, ""
            self.sign_in_error = out.error
            return None
        signed = out.value
        self.customer_token = signed.token
        if not self.customer_lang:
            self.customer_lang = signed.customer.language
        self.signed_in, self.customer_name, self.sign_in_error = True, signed.customer.full_name, ""
        return signed

    @rx.event
    async def refresh_customer(self):
        """On load: show who is signed in (or forget a dead cookie)."""
        out = await self.call(whoami_customer, readonly=True)
        if out.signed_out and self.customer_token:
            self.customer_token = ""
        self.signed_in = out.ok
        self.customer_name = out.value.full_name if out.ok else ""

    @rx.event
    async def sign_out_customer(self):
        await self.call_public(customer_sessions.end_customer_session, token=self.customer_token)
        self.customer_token = ""
        self.signed_in, self.customer_name = False, ""
