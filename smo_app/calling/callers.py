"""Who calls a service: a caller names itself by what the channel carries (a cookie's token, a
Telegram user id, nothing) and is resolved to an :class:`Actor` on the server, in the worker
thread, in a read-only transaction of its own — never from anything the client claims.

* :class:`Nobody` — sign-in screens and public pages: the service takes no ``actor``.
* :class:`StaffCaller` — the backoffice or the POS: the staff session behind the channel's token.
* :class:`CustomerCaller` — the Mini App: the customer session behind its cookie (``optional``:
  nobody, rather than a refusal, without one).
* :class:`TelegramCaller` — the bot: the active staff member linked to the Telegram user, else
  the customer registered under it, else nobody (a stranger's /start).
* :class:`SystemCaller` — jobs and webhooks acting on their own.
* :class:`ApiTokenCaller` — an integration on `/api/v1`: a staff API token, limited to its scopes.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from smo_app.models.staff import Channel
from smo_app.services.core import shop_locale
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import PermissionDenied
from smo_app.services.customers import identity as customer_identity
from smo_app.services.customers import sessions as customer_sessions
from smo_app.services.staff import api_tokens, auth


class NotSignedIn(PermissionDenied):
    """The caller's token names no live session (none, unknown, expired, revoked, wrong channel)."""

    def __init__(self, what: str = "session") -> None:
        super().__init__(what)


@dataclass(frozen=True)
class Resolved:
    """A caller resolved: the actor the service gets (None: it gets none) and whether the session's
    last-seen stamp is due (written after the service, outside its transaction)."""

    actor: Actor | None
    touch_due: bool = False
    language: str | None = None  # the caller's stored language, where the caller has one


class Caller:
    """Base: resolves to no actor. Subclasses override :meth:`resolve` and :meth:`touch`."""

    passes_actor = False  # whether the service is called with ``actor=``

    def resolve(self, session: Session) -> Resolved:
        return Resolved(actor=None)

    def touch(self, session: Session) -> None:
        """Record that the caller's session was seen (a short write; only when :meth:`resolve` said so)."""

    def describe(self) -> str:
        """Who this is, for an error report to the owner (no secrets)."""
        return type(self).__name__


@dataclass(frozen=True)
class Nobody(Caller):
    def describe(self) -> str:
        return "anonymous"


NOBODY = Nobody()


@dataclass(frozen=True)
class SystemCaller(Caller):
    name: str = "system"
    passes_actor = True

    def resolve(self, session: Session) -> Resolved:
        return Resolved(actor=Actor.system(self.name))

    def describe(self) -> str:
        return f"system:{self.name}"


@dataclass(frozen=True)
class StaffCaller(Caller):
    """The staff member signed in on ``channel`` (the backoffice or the POS) with ``token``."""

    channel: Channel
    token: str
    passes_actor = True

    def resolve(self, session: Session) -> Resolved:
        actor, stale = auth.peek_channel_actor(session, token=self.token, channel=self.channel)
        if actor is None:
            raise NotSignedIn(f"{Channel(self.channel).value} session")
        shop_locale.shop_locale(session)  # keeps the screens' time zone and language current (cached)
        return Resolved(actor=actor, touch_due=stale)

    def touch(self, session: Session) -> None:
        auth.touch_session(session, token=self.token)

    def describe(self) -> str:
        return f"staff ({Channel(self.channel).value})"


@dataclass(frozen=True)
class CustomerCaller(Caller):
    """The Mini App customer whose session cookie carries ``token``. ``optional=True`` (a page anyone
    may open, such as the Mini App's first screen): without a live session the service runs with
    ``actor=None`` instead of being refused."""

    token: str
    optional: bool = False
    passes_actor = True

    def resolve(self, session: Session) -> Resolved:
        actor, stale, language = customer_sessions.peek_customer_actor(session, token=self.token)
        if actor is None:
            if self.optional:
                return Resolved(actor=None)
            raise NotSignedIn("customer session")
        return Resolved(actor=actor, touch_due=stale, language=language)

    def touch(self, session: Session) -> None:
        customer_sessions.touch_customer_session(session, token=self.token)

    def describe(self) -> str:
        return "customer (Mini App)"


@dataclass(frozen=True)
class TelegramCaller(Caller):
    """A Telegram user writing to the bot: linked staff act as staff, customers as customers, a
    stranger (before /start) as nobody — services that need someone refuse ``actor=None``."""

    telegram_id: int
    passes_actor = True

    def resolve(self, session: Session) -> Resolved:
        who = customer_identity.telegram_user(session, telegram_id=self.telegram_id)
        return Resolved(actor=who.actor, language=who.language)

    def describe(self) -> str:
        return f"telegram user {self.telegram_id}"


@dataclass(frozen=True)
class ApiTokenCaller(Caller):
    """An integration calling ``/api/v1`` with ``Authorization: Bearer <secret>``: the staff member the
    token acts as, limited to the token's scopes. ``scope``: the one the route needs — a token
    without it is refused (PermissionDenied), whatever the staff member's role allows. An unknown,
    revoked or expired token, or one whose staff member was deactivated: :class:`NotSignedIn`."""

    secret: str
    scope: str = ""
    passes_actor = True

    def resolve(self, session: Session) -> Resolved:
        use = api_tokens.peek_token(session, secret=self.secret)
        if use is None:
            raise NotSignedIn("api token")
        if self.scope and not api_tokens.covers(use.scopes, self.scope):
            raise PermissionDenied(f"scope {self.scope}")
        shop_locale.shop_locale(session)
        return Resolved(actor=use.actor, touch_due=use.touch_due)

    def touch(self, session: Session) -> None:
        api_tokens.touch_token(session, secret=self.secret)

    def describe(self) -> str:
        return f"API token {self.secret[:10]}…"
