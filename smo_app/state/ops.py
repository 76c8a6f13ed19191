"""How the backoffice operation states (catalog, warehouse, customers, promotions, settings) call a
service: through :meth:`SessionState.call` (the signed-in actor resolved on the server, the use case
run in a worker thread off the event loop, one session), with a refusal raised as :class:`Refused`
whose text lists the bad rows. Each of those states calls services only through its own ``_svc``
(``await self._svc(fn, **kwargs)``), which delegates here.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx

from smo_app.money import format_money

R = TypeVar("R")


class Refused(Exception):
    """A service refused (or nobody is signed in); ``text`` is already translated."""

    def __init__(self, text: str, error=None) -> None:
        super().__init__(text)
        self.text = text
        self.error = error


async def run_service(state, fn: Callable[..., R], /, *, readonly: bool = False, **kwargs: Any) -> R:
    """``fn(session, actor=<signed-in staff>, **kwargs)`` through :meth:`SessionState.call`; raises
    :class:`Refused` with the translated message (one line per bad row)."""
    out = await state.call(fn, readonly=readonly, **kwargs)
    if not out.ok:
        raise Refused(out.error, out)
    return out.value


def money_input(minor: int) -> str:
    """An amount as typed into a field: ``300050`` → ``3000.50``, ``300000`` → ``3000`` (any language
    reads it back through ``parse_money``)."""
    return f"{minor / 100:.2f}".removesuffix(".00")


def money_text(state, minor: int) -> str:
    """An amount for display in the browser's language: ``1 234,56 ₽`` / ``1,234.56 ₽``."""
    return format_money(minor, lang=state.ui_lang_value())


async def download(state, filename: str, fn: Callable[..., bytes], /, **kwargs: Any):
    """Run a service that builds a file (through the state's ``_svc``) and hand it to the browser."""
    try:
        data = await state._svc(fn, readonly=True, **kwargs)
    except Refused as exc:
        return rx.toast.error(exc.text)
    return rx.download(data=data, filename=filename)
