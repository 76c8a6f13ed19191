"""Language, staff session tokens and the route guard shared by every page.

The browser holds only opaque session tokens (cookies). Who is signed in, with which role, is
resolved from the token on the server for every guarded event — client vars such as
``staff_role`` are for display and are never used to decide anything.
"""
from __future__ import annotations

import logging
from functools import lru_cache

import reflex as rx

from smo_app import routes
from smo_app.db import session_scope
from smo_app.i18n import DEFAULT_LANGUAGE, LANGUAGES, catalogs, error_text, normalize_language, t
from smo_app.models.staff import Channel
from smo_app.services.staff import auth
from smo_app.services.core.actor import Actor
from smo_app.services.core.permissions import Perm, can
from smo_app.services.staff.dto import StaffOut

log = logging.getLogger(__name__)

TOKEN_COOKIE_MAX_AGE = 30 * 24 * 3600  # the server-side session expiry is what counts
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600
CLIENT_TEXT_PREFIXES = ("ui.", "role.")


def _effective_language(chosen: str) -> str:
    if chosen:
        return normalize_language(chosen)
    try:
        from smo_app.settings import get_settings

        return get_settings().language
    except Exception:  # noqa: BLE001 - invalid settings are reported elsewhere; the UI stays usable
        return DEFAULT_LANGUAGE


@lru_cache(maxsize=len(LANGUAGES))
def _client_texts(lang: str) -> dict[str, str]:
    return {k: v for k, v in catalogs()[lang].items() if k.startswith(CLIENT_TEXT_PREFIXES)}


class SessionState(rx.State):
    lang: str = rx.Cookie("", name="smo_lang", max_age=LANG_COOKIE_MAX_AGE)  # "" → the shop default
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

    @rx.var
    def ui_lang(self) -> str:
        """The browser's choice, else the shop's language (SMO_LANGUAGE, Russian by default)."""
        return _effective_language(self.lang)

    @rx.var
    def tr(self) -> dict[str, str]:
        """The UI text (``ui.*``, ``role.*``) in the current language; components index it by key.

        Error messages are translated on the server (``self.error``), so the rest of the
        catalogs never travels to the browser.
        """
        return _client_texts(_effective_language(self.lang))

    @rx.event
    def set_language(self, lang: str | list[str]):
        self.lang = normalize_language(lang if isinstance(lang, str) else (lang[0] if lang else ""))

    # -- helpers for substates ---------------------------------------------------------------
    def text(self, key: str, **params) -> str:
        return t(key, _effective_language(self.lang), **params)

    def shop_time(self, moment, fmt: str = "%Y-%m-%d %H:%M") -> str:
        """A stored UTC datetime as the shop's local time (SMO_SHOP_TIMEZONE)."""
        from smo_app.settings import get_settings

        return moment.astimezone(get_settings().tz).strftime(fmt) if moment else ""

    def ui_lang_value(self) -> str:
        return _effective_language(self.lang)

    def error(self, exc: Exception) -> str:
        """Translated text for a DomainError; anything else is logged and reported generically."""
        if not getattr(exc, "code", None):
            log.exception("unexpected error in a UI event", exc_info=exc)
        return error_text(exc, _effective_language(self.lang))

    def staff_for(self, channel: Channel) -> StaffOut | None:
        token = self.bo_token if channel == Channel.backoffice else self.pos_token
        if not token:
            return None
        with session_scope() as s:
            return auth.resolve_channel_session(s, token=token, channel=channel)

    def backoffice_actor(self) -> Actor | None:
        staff = self.staff_for(Channel.backoffice)
        return staff.actor() if staff else None

    def _show(self, staff: StaffOut) -> None:
        self.staff_name = staff.full_name or staff.username
        self.staff_role = staff.role.value

    def _deny(self, route: str, *, back_to_pos: bool) -> None:
        self.granted = ""
        self.denied = route
        self.back_is_pos = back_to_pos
        self.back_route = routes.POS if back_to_pos else routes.ADMIN

    # -- guards (on_load) --------------------------------------------------------------------
    @rx.event
    def guard_backoffice(self, route: str, perm: str):
        """Backoffice pages: not signed in → sign-in page; signed in below the page → forbidden."""
        staff = self.staff_for(Channel.backoffice)
        if staff is None:
            pos_staff = self.staff_for(Channel.pos)
            if pos_staff is None:
                self.granted = self.denied = ""
                return rx.redirect(routes.ADMIN_LOGIN)
            self._show(pos_staff)
            self.allowed = []
            self._deny(route, back_to_pos=True)
            return
        actor = staff.actor()
        self._show(staff)
        self.allowed = [a.route for a in routes.AREAS if can(actor, Perm(a.perm))]
        if not (can(actor, Perm.backoffice_access) and can(actor, Perm(perm))):
            self._deny(route, back_to_pos=False)
            return
        self.denied = ""
        self.granted = route

    @rx.event
    def guard_pos(self):
        staff = self.staff_for(Channel.pos)
        if staff is None:
            self.granted = self.denied = ""
            return rx.redirect(routes.POS_LOGIN)
        self._show(staff)
        if not can(staff.actor(), Perm.pos_access):
            self._deny(routes.POS, back_to_pos=False)
            return
        self.denied = ""
        self.granted = routes.POS

    # -- sign-out ----------------------------------------------------------------------------
    @rx.event
    def sign_out_backoffice(self):
        with session_scope() as s:
            auth.sign_out(s, token=self.bo_token)
        self.bo_token = ""
        self._forget()
        return [rx.redirect(routes.ADMIN_LOGIN), rx.toast.info(self.text("ui.signed_out"))]

    @rx.event
    def sign_out_pos(self):
        with session_scope() as s:
            auth.sign_out(s, token=self.pos_token)
        self.pos_token = ""
        self._forget()
        return [rx.redirect(routes.POS_LOGIN), rx.toast.info(self.text("ui.signed_out"))]

    def _forget(self) -> None:
        self.staff_name = self.staff_role = self.granted = self.denied = ""
        self.allowed = []
