"""/admin/dead-letters: events and provider calls that could not be applied, and their resolution.
The handlers reach the database through :meth:`SessionState.call` (off the event loop)."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypedDict

import reflex as rx

from smo_app.i18n import t
from smo_app.models.integrations import DeadLetterResolution
from smo_app.services.core.audit_words import letter_detail, provider_name
from smo_app.services.integrations import dead_letters as dead_letter_service
from smo_app.state.session import SessionState, said, toast


class DeadLetterLine(TypedDict):
    id: int
    when: str
    provider: str
    reference: str
    reason: str
    detail: str
    resolved: bool
    resolution: str
    note: str


def reason_text(reason: str, lang: str) -> str:
    """A reason code in words when the catalogs know it (``dead_letter.reason.<code>`` or the error
    code's own text), else the code itself."""
    for key in (f"dead_letter.reason.{reason}", reason):
        text = t(key, lang)
        if text != key:
            return text
    return reason


async def dismiss_from_form(state: SessionState, form: dict, reload: Callable[[], Awaitable[None]], *,
                            bad_id=None):
    """Dismiss the dead letter a row's form names (``id``) with the reason typed next to it
    (``note``), then ``reload`` the screen and say so; ``bad_id`` is the answer to a form naming none."""
    try:
        dead_letter_id = int(form.get("id", 0))
    except (TypeError, ValueError):
        return bad_id
    out = await state.call(dead_letter_service.resolve_dead_letter, dead_letter_id=dead_letter_id,
                           resolution=DeadLetterResolution.dismissed, note=str(form.get("note", "")))
    if not out.ok:
        return toast(out)
    await reload()
    return said(state.text("ui.dead_letters.dismissed"))


class DeadLetterState(SessionState):
    lines: list[DeadLetterLine] = []
    show_resolved: bool = False
    can_resolve: bool = False
    message: str = ""

    @rx.event
    async def load(self):
        await self._query()

    @rx.event
    async def set_show_resolved(self, value: bool):
        self.show_resolved = bool(value)
        await self._query()

    @rx.event
    async def dismiss(self, form: dict):
        """Dismiss one dead letter with the reason typed next to it."""
        return await dismiss_from_form(self, form, self._query, bad_id=said(self.text("common.not_found"), ok=False))

    async def _query(self) -> None:
        out = await self.call(dead_letter_service.dead_letter_page, readonly=True, open_only=not self.show_resolved)
        if not out.ok:
            self.lines, self.can_resolve, self.message = [], False, out.error
            return
        lang = self.ui_lang_value()
        self.message = ""
        self.can_resolve = out.value.can_resolve
        self.lines = [
            DeadLetterLine(
                id=r.id, when=self.shop_time(r.created_at, "%Y-%m-%d %H:%M:%S"), provider=provider_name(lang, r.provider),
                reference=r.reference or "", reason=reason_text(r.reason, lang), detail=letter_detail(lang, r),
                resolved=r.resolved_at is not None,
                resolution=self.text(f"ui.dead_letters.resolution.{r.resolution}") if r.resolution else "",
                note=r.note or "",
            )
            for r in out.value.rows
        ]
