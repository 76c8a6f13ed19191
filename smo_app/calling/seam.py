"""The one way a screen, an API route or a bot handler calls a service.

``seam.call(service, caller=…, user_lang=…, readonly=…, **arguments)`` (those three names are the
seam's own; a service never takes an argument called so):

1. opens one session (``readonly=True``: a read-only transaction, for lists and page loads),
   resolves ``caller`` to an actor in it (a staff or customer session behind a token, a Telegram
   user: one indexed read; a writing call on SQLite resolves in a read of its own first, see
   :meth:`Seam._resolve`) — nothing the client claims is trusted;
2. runs ``service(session, actor=<actor>, **arguments)`` (``service(session, **arguments)`` for
   :data:`~smo_app.calling.callers.NOBODY`);
3. returns a :class:`~smo_app.calling.result.Result`: the value, or the DomainError's message in
   ``user_lang`` (one line more per bad row of a refused batch); anything unexpected is logged with its
   traceback, reported to the owner (once per place per hour) and answered with a calm message.

``await seam.acall(…)`` does the same in a worker thread, so an event loop (Reflex's, aiogram's,
FastAPI's) keeps serving everyone else meanwhile. This module imports neither reflex nor aiogram.
"""
from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import traceback
from collections.abc import Callable, Iterator
from typing import Any, ContextManager, TypeVar

from sqlmodel import Session

from smo_app.calling.callers import NOBODY, Caller, NotSignedIn
from smo_app.calling.result import Result
from smo_app.db import session_scope
from smo_app.i18n import error_params, error_text, t
from smo_app.services.core import shop_locale
from smo_app.services.core.errors import DomainError
from smo_app.services.messaging import error_reports

log = logging.getLogger(__name__)
R = TypeVar("R")
MAX_ROW_LINES = 20


def describe_actor(actor: Any) -> str:
    """Who acted, for the owner: a staff member's name and role (an API token's name is in it), a
    customer's number and name; "" for nobody."""
    if actor is None:
        return ""
    if getattr(actor, "is_staff", False):
        return f"{actor.name} ({actor.role.value if actor.role else 'staff'})"
    if getattr(actor, "is_customer", False):
        return f"customer #{actor.id} {actor.name}".strip()
    return f"{actor.kind}:{actor.name}"


SessionOpener = Callable[[bool], ContextManager[Session]]


def _default_opener(readonly: bool) -> ContextManager[Session]:
    return session_scope(readonly=readonly)


def opener_from_factory(factory: Callable[[], Session]) -> SessionOpener:
    """A :data:`SessionOpener` over a plain session factory (the bot's, the tests'): every session
    it gives is a writer's; whatever is left uncommitted is rolled back."""

    @contextlib.contextmanager
    def open_session(readonly: bool) -> Iterator[Session]:
        session = factory()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    return open_session


def refusal_text(exc: DomainError, lang: str) -> str:
    """The DomainError's message in ``lang``, then one line per bad row it lists (at most 20)."""
    text = error_text(exc, lang)
    lines = []
    params = getattr(exc, "params", None) or {}
    headline = (params.get("row"), params.get("reason_code"))  # the row the message itself names
    for row in (getattr(exc, "errors", None) or [])[:MAX_ROW_LINES]:
        where = row.get("line") or row.get("row")
        code = row.get("code", "")
        if where and "." in code and code != exc.code and (where, code) != headline:
            lines.append(t("ui.ops.row_error", lang, row=where, text=t(code, lang, **error_params(row.get("params") or {}, lang))))
    return "\n".join([text, *lines])


class Seam:
    """Calls services for one process. ``open_session(readonly)`` gives a session (by default
    :func:`smo_app.db.session_scope` on ``SMO_DATABASE_URL``); ``origin`` names the process in
    error reports (``web``, ``api``, ``bot``)."""

    def __init__(self, open_session: SessionOpener | None = None, *, origin: str = "web",
                 report_text: str = "web.error_report") -> None:
        self._open = open_session or _default_opener
        self.origin = origin
        self.report_text = report_text  # the i18n key of the owner's report: {error}, {where}

    # -- the call ----------------------------------------------------------------------------
    def call(self, fn: Callable[..., R], /, *, caller: Caller = NOBODY, user_lang: str | None = None,
             readonly: bool = False, screen: str = "", **kwargs: Any) -> Result[R]:
        """Blocking: resolve, run, translate (see the module docstring). Call it off any event loop.
        ``screen``: the page or route the call came from, for the owner's report of an unexpected error."""
        language = user_lang
        resolved = None
        try:
            with self._open(readonly) as s:
                if caller.passes_actor:
                    resolved = self._resolve(caller, s, readonly)
                    language = language or resolved.language
                value = fn(s, actor=resolved.actor, **kwargs) if resolved is not None else fn(s, **kwargs)
        except NotSignedIn as exc:
            lang_ = language or shop_locale.cached().language
            return Result(error=error_text(exc, lang_), code=exc.code, params=exc.params, signed_out=True)
        except DomainError as exc:
            lang_ = language or shop_locale.cached().language
            return Result(error=refusal_text(exc, lang_), code=exc.code, params=dict(exc.params),
                          rows=tuple(getattr(exc, "errors", None) or ()))
        except Exception as exc:  # noqa: BLE001 - the user gets a message, the owner a report
            self.report(exc, caller=caller, actor=resolved.actor if resolved is not None else None,
                        context=f"{screen} → {getattr(fn, '__qualname__', fn)}" if screen
                        else str(getattr(fn, "__qualname__", fn)))
            return Result(error=t("common.unexpected_error", language or shop_locale.cached().language),
                          unexpected=True)
        finally:
            if resolved is not None and resolved.touch_due:
                self._touch(caller)
        return Result(value=value)

    def _resolve(self, caller: Caller, session: Session, readonly: bool):
        """The caller resolved in the call's own transaction (one transaction per call), except for
        a writing call on SQLite: there a writer's transaction holds the database's one write lock
        from its first statement, so the caller is resolved beforehand in a read of its own."""
        if readonly or session.get_bind().dialect.name != "sqlite":
            return caller.resolve(session)
        with self._open(True) as s:
            return caller.resolve(s)

    def _touch(self, caller: Caller) -> None:
        """Stamp the caller's session as seen (every few minutes; after the call, in a short write of
        its own). Bookkeeping: a failure is logged, never the caller's answer."""
        try:
            with self._open(False) as s:
                caller.touch(s)
        except Exception:  # noqa: BLE001
            log.warning("could not stamp the %s's session as seen", caller.describe(), exc_info=True)

    async def acall(self, fn: Callable[..., R], /, *, caller: Caller = NOBODY, user_lang: str | None = None,
                    readonly: bool = False, screen: str = "", **kwargs: Any) -> Result[R]:
        """:meth:`call` in a worker thread: the event loop serves other clients meanwhile."""
        return await asyncio.to_thread(functools.partial(self.call, fn, caller=caller, user_lang=user_lang, readonly=readonly,
                                                         screen=screen, **kwargs))

    def bind(self, caller: Caller, lang: str | None = None, screen: str = "") -> "BoundCalls":
        return BoundCalls(self, caller, lang, screen)

    # -- the unexpected --------------------------------------------------------------------------
    def report(self, exc: BaseException, *, caller: Caller = NOBODY, context: str = "", actor: Any = None) -> None:
        """Log ``exc`` with its traceback and queue one report to the owner per place per hour, with
        the traceback's last frames, who called (the resolved actor, else the caller), ``context`` (the
        screen or route and the service, or the bot's FSM state) and how often it recurred."""
        log.error("unexpected error in a %s call (%s)", self.origin, caller.describe(), exc_info=exc)
        frames = traceback.extract_tb(exc.__traceback__)
        last = [f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} in {f.name}" for f in frames[-REPORTED_FRAMES:]]
        where = last[-1] if last else ""
        error = f"{type(exc).__name__}: {exc}"
        details = [(describe_actor(actor) or caller.describe()) + (f"; {context}" if context else ""),
                   *(f"  {line}" for line in last)]
        try:
            with self._open(False) as s:
                error_reports.report_error(
                    s, key=f"{self.origin}|{type(exc).__name__}|{where}", summary=error,
                    text=lambda lang: t(self.report_text, lang, error=error[:1000], where="\n".join(details)),
                    repeats_text=lambda lang: t("web.error_repeats", lang, count="{count}", since="{since}"))
        except Exception:  # noqa: BLE001 - reporting must never raise
            log.exception("could not record the error report")


class BoundCalls:
    """A seam bound to one caller and language: ``await calls(service, **arguments)`` — what the
    bot's middleware and the API's dependencies hand to handlers and routes."""

    def __init__(self, seam: Seam, caller: Caller, lang: str | None, screen: str = "") -> None:
        self.seam, self.caller, self.lang, self.screen = seam, caller, lang, screen

    async def __call__(self, fn: Callable[..., R], /, *, readonly: bool = False, **kwargs: Any) -> Result[R]:
        return await self.seam.acall(fn, caller=self.caller, user_lang=self.lang, readonly=readonly, screen=self.screen,
                                     **kwargs)

    def sync(self, fn: Callable[..., R], /, *, readonly: bool = False, **kwargs: Any) -> Result[R]:
        """Blocking, for code already in a worker thread (FastAPI's plain ``def`` routes)."""
        return self.seam.call(fn, caller=self.caller, user_lang=self.lang, readonly=readonly, screen=self.screen,
                              **kwargs)


REPORTED_FRAMES = 4  # the traceback's last frames in the owner's report


# The web process's seam (SMO_DATABASE_URL); the bot builds its own over its session factory.
default_seam = Seam()
call = default_seam.call
acall = default_seam.acall
