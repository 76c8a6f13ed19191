"""How the backoffice operation states (catalog, warehouse, customers, promotions, settings) call a
service: resolve the signed-in actor on the server, run one use case in one session, and turn a
refusal into translated text. Each of those states calls services only through its own ``_svc``,
which delegates here — one place to re-point if the shared session state grows such a helper.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx

from smo_app.db import session_scope
from smo_app.money import format_money
from smo_app.services.core.errors import DomainError

R = TypeVar("R")


class Refused(Exception):
    """A service refused (or nobody is signed in); ``text`` is already translated."""

    def __init__(self, text: str, error: DomainError | None = None) -> None:
        super().__init__(text)
        self.text = text
        self.error = error


def run_service(state, fn: Callable[..., R], /, **kwargs: Any) -> R:
    """``fn(session, actor=<signed-in staff>, **kwargs)``; raises :class:`Refused` with the message."""
    actor = state.backoffice_actor()
    if actor is None:
        raise Refused(state.text("common.forbidden"))
    try:
        with session_scope() as s:
            return fn(s, actor=actor, **kwargs)
    except DomainError as exc:
        raise Refused(error_lines(state, exc), exc) from exc


def error_lines(state, exc: DomainError) -> str:
    """The translated message, plus one line per bad row/line when the service listed them."""
    text = state.error(exc)
    rows = getattr(exc, "errors", None) or []
    details = []
    for err in rows[:20]:
        where = err.get("line") or err.get("row")
        code = err.get("code", "")
        if where and "." in code and code != exc.code:
            details.append(state.text("ui.ops.row_error", row=where, text=state.text(code, **err.get("params", {}))))
    return "\n".join([text, *details])


def money_input(minor: int) -> str:
    """An amount as typed into a field: ``300050`` → ``3000.50``, ``300000`` → ``3000`` (any language
    reads it back through ``parse_money``)."""
    return f"{minor / 100:.2f}".removesuffix(".00")


def money_text(state, minor: int) -> str:
    """An amount for display in the browser's language: ``1 234,56 ₽`` / ``1,234.56 ₽``."""
    return format_money(minor, lang=state.ui_lang_value())


def download(state, filename: str, fn: Callable[..., bytes], /, **kwargs: Any):
    """Run a service that builds a file (through the state's ``_svc``) and hand it to the browser."""
    try:
        data = state._svc(fn, **kwargs)
    except Refused as exc:
        return rx.toast.error(exc.text)
    return rx.download(data=data, filename=filename)
