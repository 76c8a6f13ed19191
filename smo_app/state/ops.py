"""Small helpers the backoffice states share: an amount as shown, a file handed to the browser, a
refusal placed on the form field it names, and a searched, paged list.

Every state calls services one way, ``out = await self.call(service, …)`` (see
:meth:`smo_app.state.session.SessionState.call`); these helpers only shape what comes back.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import reflex as rx

from smo_app.calling import Result
from smo_app.money import format_money
from smo_app.state.session import toast

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROW_ID = "row_id"  # the hidden field of a per-row form (components.common.row_form) naming its row


def money_text(state, minor: int) -> str:
    """An amount for display in the browser's language: ``1 234,56 ₽`` / ``1,234.56 ₽``."""
    return format_money(minor, lang=state.ui_lang_value())


async def download(state, filename: str, fn: Callable[..., Any], /, *, mime_type: str | None = None, **kwargs: Any):
    """Call a service that builds a file (read-only) and hand the file to the browser, or toast why not.

    The service returns the file's bytes, or ``(filename, bytes)`` when it names the file itself
    (then ``filename`` is ``""``)."""
    out = await state.call(fn, readonly=True, **kwargs)
    if not out.ok:
        return toast(out)
    name, data = (filename, out.value) if filename else out.value
    return rx.download(data=data, filename=name, **({"mime_type": mime_type} if mime_type else {}))


def field_message(state, out: Result, messages: Mapping[str, str], label: str) -> str:
    """The refusal's text; for a code in ``messages`` that names a form field (``out.field()``), that
    message with the field's label (the key ``label.format(field)``) — "«Discount, %»: enter a whole number"."""
    field = out.field().split(".")[0]
    key = messages.get(out.code) or next((messages[r["code"]] for r in out.rows if r.get("code") in messages), "")
    if key and field:
        return state.text(key, field=state.text(label.format(field)))
    return out.error


class SearchedPages(rx.State, mixin=True):
    """A searched, paged list (products, stock): the search form (field ``q``) and the pager re-run
    the state's own ``_query``, which also sets ``pages``."""

    search: str = ""
    page: int = 1
    pages: int = 1

    @rx.event
    async def filter(self, form: dict):
        self.search = str(form.get("q", "")).strip()[:100]
        self.page = 1
        await self._query()

    @rx.event
    async def go(self, delta: int):
        self.page = max(1, min(self.pages, self.page + int(delta)))
        await self._query()
