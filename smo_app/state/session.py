"""Language, staff session tokens, the route guard, and the one way a screen calls a service.

The browser holds only opaque session tokens (cookies). Who is signed in, with which role, is
resolved from the token on the server for every guarded event — client vars such as
``staff_role`` are for display and are never used to decide anything.

Screens call services through :meth:`SessionState.call` (an ``async`` event handler awaits it):
it resolves the actor of the channel (backoffice or POS), opens one database session in a worker
thread (never on the event loop; read-only work gets a deferred transaction), calls the service,
and turns a DomainError into the translated message; anything else is logged, reported to the
owner once an hour, and shown as a generic message without a traceback.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
import functools
from functools import lru_cache
from typing import Any, TypeVar

import reflex as rx

from smo_app import formats, routes
from smo_app.calling import NOBODY, Result, StaffCaller, acall
from smo_app.i18n import LANGUAGES, catalogs, error_text, normalize_language, t
from smo_app.models.staff import Channel
from smo_app.services.staff import auth
from smo_app.services.core import shop_locale
from smo_app.services.core.actor import Actor, whoami
from smo_app.services.core.permissions import Perm, can
from smo_app.state.stored_fields import without_caches

log = logging.getLogger(__name__)
R = TypeVar("R")

TOKEN_COOKIE_MAX_AGE = 30 * 24 * 3600  # the server-side session expiry is what counts
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600
CLIENT_TEXT_PREFIXES = ("ui.", "role.")


def _effective_language(chosen: str, shop_default: str = "") -> str:
    """The browser's choice, else the shop's language (the owner's setting, else SMO_LANGUAGE) as
    the guards last saw it, else as this process last read it."""
    if chosen:
        return normalize_language(chosen)
    return normalize_language(shop_default or shop_locale.cached().language)


TOAST_ID = "smo-said"  # one toast at a time: a newer message replaces the one shown, never stacks beside it
DOUBLE_TAP_SECONDS = 5.0  # a ``once`` call repeated as it was within this time is the same tap again
ONCE_IGNORED = frozenset({"client_id", "client_ref"})  # a fresh idempotency key does not make a new request


def toast(out: Result, success: str | None = None):
    """The toast for a call's result: its error, else ``success`` (or nothing); it replaces the toast
    shown before (a second message answers the same question, it does not stack)."""
    if not out.ok:
        return rx.toast.error(out.error, id=TOAST_ID)
    return rx.toast.success(success, id=TOAST_ID) if success else None


def one_tap(handler: Callable[..., Any]) -> Callable[..., Any]:
    """A one-shot action's event handler (add, confirm, pay, receive): ``busy`` is on while it runs —
    the screen shows its button loading and disabled, so a second tap does not happen (one that
    slipped through meets ``call(…, once=True)``). Put it under ``@rx.event``."""
    @functools.wraps(handler)
    async def run(self, *args, **kwargs):
        self.busy = True
        yield
        try:
            out = await handler(self, *args, **kwargs)
        finally:
            self.busy = False
        yield out

    return run


def said(text: str, ok: bool = True):
    """A toast of the screen's own (a form's success, a parse refusal), replacing the one shown."""
    return rx.toast.success(text, id=TOAST_ID) if ok else rx.toast.error(text, id=TOAST_ID)


@lru_cache(maxsize=len(LANGUAGES))
def _client_texts(lang: str) -> dict[str, str]:
    return {k: v for k, v in catalogs()[lang].items() if k.startswith(CLIENT_TEXT_PREFIXES)}


class SessionState(rx.State):
    lang: str = rx.Cookie("", name="smo_lang", max_age=LANG_COOKIE_MAX_AGE)  # "" → the shop default
    shop_lang_default: str = ""  # the shop's language, refreshed by the guards (computed vars depend on it)
    bo_token: str = rx.Cookie("", name="smo_bo_session", max_age=TOKEN_COOKIE_MAX_AGE, same_site="strict")
    pos_token: str = rx.Cookie("", name="smo_pos_session", max_age=TOKEN_COOKIE_MAX_AGE, same_site="strict")

    # Display only: filled by the guards from the server-side session.
    staff_name: str = ""
    staff_role: str = ""
    allowed: list[str] = []  # routes the navigation shows
    granted: str = ""  # the route whose guard passed
    denied: str = ""  # the route whose guard refused (shows the forbidden view)
    back_route: str = routes.ADMIN  # where the forbidden view links back to
    back_is_pos: bool = False
    busy: bool = False  # a one-tap action runs (:func:`one_tap`): its buttons show loading, disabled
    _last_done: tuple = ()  # the last ``once`` call that succeeded: (what, when, its result) — server only

    @rx.var
    def ui_lang(self) -> str:
        """The browser's choice, else the shop's language (settings page, else SMO_LANGUAGE)."""
        return _effective_language(self.lang, self.shop_lang_default)

    @rx.var
    def tr(self) -> dict[str, str]:
        """The UI text (``ui.*``, ``role.*``) in the current language; components index it by key.

        Error messages are translated on the server (``self.error``), so the rest of the
        catalogs never travels to the browser.
        """
        return _client_texts(_effective_language(self.lang, self.shop_lang_default))

    def __getstate__(self):
        """For Redis: without the cached ``tr`` (see :mod:`smo_app.state.stored_fields`)."""
        return without_caches(super().__getstate__(), SessionState, "tr")

    @rx.event
    def set_language(self, lang: str | list[str]):
        self.lang = normalize_language(lang if isinstance(lang, str) else (lang[0] if lang else ""))

    # -- helpers for substates ---------------------------------------------------------------
    def text(self, key: str, **params) -> str:
        return t(key, _effective_language(self.lang, self.shop_lang_default), **params)

    def shop_zone(self):
        """The shop's time zone (settings page, else SMO_SHOP_TIMEZONE), as last read by a guard."""
        return shop_locale.cached().tz

    def shop_today(self):
        """Today's date in the shop's time zone (not the server's): date pickers default to it."""
        from datetime import datetime

        return datetime.now(self.shop_zone()).date()

    def shop_time(self, moment, fmt: str | None = None) -> str:
        """A stored UTC datetime as the shop's local time, written as the screen's language writes it
        (``05.11.2026 14:30`` / ``Nov 5, 2026, 2:30 PM``); ``fmt``: a fixed strftime pattern instead."""
        if not moment:
            return ""
        if fmt is None:
            return formats.moment(moment, self.ui_lang_value(), self.shop_zone())
        return moment.astimezone(self.shop_zone()).strftime(fmt)

    def shop_day(self, moment) -> str:
        """A stored UTC datetime's shop-local day as the screen's language writes it (``05.11.2026``)."""
        return formats.day(moment.astimezone(self.shop_zone()).date(), self.ui_lang_value()) if moment else ""

    def ui_lang_value(self) -> str:
        return _effective_language(self.lang, self.shop_lang_default)

    def error(self, exc: Exception) -> str:
        """Translated text for a DomainError; anything else is logged and reported generically."""
        if not getattr(exc, "code", None):
            log.exception("unexpected error in a UI event", exc_info=exc)
        return error_text(exc, _effective_language(self.lang, self.shop_lang_default))

    def _token(self, channel: Channel) -> str:
        return self.bo_token if channel == Channel.backoffice else self.pos_token

    async def call(self, fn: Callable[..., R], /, *, channel: Channel | None = Channel.backoffice,
                   readonly: bool = False, once: bool = False, **kwargs: Any) -> Result[R]:
        """Call a service as the staff member signed in on ``channel``, through the calling seam.

        ``fn(session, actor=<actor>, **kwargs)`` runs in a worker thread with one session of its
        own (``readonly=True``: a read-only transaction, for lists and page loads); with
        ``channel=None`` there is no actor (sign-in, public pages) and ``fn(session, **kwargs)``
        runs. The result carries the value, or the message in the screen's language (not signed
        in on the channel → ``out.signed_out``; unexpected → logged, reported, a calm message).

        ``once=True`` (add a staff member, confirm a payment, open a shift, pay, receive a supply): the
        same call again within :data:`DOUBLE_TAP_SECONDS` of its success — a double tap, queued behind
        the first — is answered with the first one's result instead of a contradicting refusal.
        """
        key = (fn.__module__, fn.__qualname__, channel,
               repr(sorted((k, v) for k, v in kwargs.items() if k not in ONCE_IGNORED))) if once else None
        last = self._last_done
        if key is not None and last and last[0] == key and time.time() - last[1] < DOUBLE_TAP_SECONDS:
            return last[2]
        caller = NOBODY if channel is None else StaffCaller(channel, self._token(channel))
        out = await acall(fn, caller=caller, user_lang=self.ui_lang_value(), readonly=readonly,
                          screen=self.router.page.path, **kwargs)
        if key is not None and out.ok:
            self._last_done = (key, time.time(), out)
        return out

    async def staff(self, channel: Channel) -> Actor | None:
        """The staff member signed in on ``channel`` (resolved on the server, off the event loop)."""
        out = await self.call(whoami, channel=channel, readonly=True)
        self.shop_lang_default = shop_locale.cached().language
        return out.value if out.ok else None

    def _show(self, staff: Actor) -> None:
        self.staff_name = staff.name
        self.staff_role = staff.role.value

    def _deny(self, route: str, *, back_to_pos: bool) -> None:
        self.granted = ""
        self.denied = route
        self.back_is_pos = back_to_pos
        self.back_route = routes.POS if back_to_pos else routes.ADMIN

    # -- guards (on_load) --------------------------------------------------------------------
    @rx.event
    async def guard_backoffice(self, route: str, perm: str):
        """Backoffice pages: not signed in → sign-in page; signed in below the page → forbidden."""
        staff = await self.staff(Channel.backoffice)
        if staff is None:
            pos_staff = await self.staff(Channel.pos)
            if pos_staff is None:
                self.granted = self.denied = ""
                return rx.redirect(routes.ADMIN_LOGIN)
            self._show(pos_staff)
            self.allowed = []
            self._deny(route, back_to_pos=True)
            return
        actor = staff
        self._show(staff)
        self.allowed = [a.route for a in routes.AREAS if can(actor, Perm(a.perm))]
        if not (can(actor, Perm.backoffice_access) and can(actor, Perm(perm))):
            self._deny(route, back_to_pos=False)
            return
        self.denied = ""
        self.granted = route

    @rx.event
    async def guard_pos(self):
        staff = await self.staff(Channel.pos)
        if staff is None:
            self.granted = self.denied = ""
            return rx.redirect(routes.POS_LOGIN)
        self._show(staff)
        if not can(staff, Perm.pos_access):
            self._deny(routes.POS, back_to_pos=False)
            return
        self.denied = ""
        self.granted = routes.POS

    # -- sign-out ----------------------------------------------------------------------------
    @rx.event
    async def sign_out_backoffice(self):
        return await self._sign_out("bo_token", routes.ADMIN_LOGIN)

    @rx.event
    async def sign_out_pos(self):
        return await self._sign_out("pos_token", routes.POS_LOGIN)

    async def _sign_out(self, token_var: str, sign_in_route: str):
        """End the session held in ``token_var`` (``bo_token`` / ``pos_token``) and go to its sign-in page."""
        await self.call(auth.sign_out, channel=None, token=getattr(self, token_var))
        setattr(self, token_var, "")
        self._forget()
        return [rx.redirect(sign_in_route), rx.toast.info(self.text("ui.signed_out"))]

    def _forget(self) -> None:
        self.staff_name = self.staff_role = self.granted = self.denied = ""
        self.allowed = []
