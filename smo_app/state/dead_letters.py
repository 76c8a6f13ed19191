"""/admin/dead-letters: events and provider calls that could not be applied, and their resolution."""
from __future__ import annotations

import json
from typing import TypedDict

import reflex as rx

from smo_app.db import session_scope
from smo_app.i18n import t
from smo_app.models.integrations import DeadLetterResolution
from smo_app.services.core.errors import DomainError
from smo_app.services.core.permissions import Perm, can
from smo_app.services.integrations import dead_letters as dead_letter_service
from smo_app.state.session import SessionState


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


class DeadLetterState(SessionState):
    lines: list[DeadLetterLine] = []
    show_resolved: bool = False
    can_resolve: bool = False
    message: str = ""

    @rx.event
    def load(self):
        self._query()

    @rx.event
    def set_show_resolved(self, value: bool):
        self.show_resolved = bool(value)
        self._query()

    @rx.event
    def dismiss(self, form: dict):
        """Dismiss one dead letter with the reason typed next to it."""
        actor = self.backoffice_actor()
        if actor is None:
            return rx.toast.error(self.text("common.forbidden"))
        try:
            dead_letter_id = int(form.get("id", 0))
        except (TypeError, ValueError):
            return rx.toast.error(self.text("common.not_found"))
        try:
            with session_scope() as s:
                dead_letter_service.resolve_dead_letter(
                    s, actor=actor, dead_letter_id=dead_letter_id, resolution=DeadLetterResolution.dismissed,
                    note=str(form.get("note", "")),
                )
        except DomainError as exc:
            return rx.toast.error(self.error(exc))
        self._query()
        return rx.toast.success(self.text("ui.dead_letters.dismissed"))

    def _query(self) -> None:
        actor = self.backoffice_actor()
        if actor is None:
            self.lines = []
            return
        lang = self.ui_lang_value()
        try:
            with session_scope() as s:
                rows = dead_letter_service.list_dead_letters(s, actor=actor, open_only=not self.show_resolved)
        except DomainError as exc:
            self.lines, self.message = [], self.error(exc)
            return
        self.message = ""
        self.can_resolve = can(actor, Perm.dead_letters_manage)
        self.lines = [
            DeadLetterLine(
                id=r.id, when=self.shop_time(r.created_at, "%Y-%m-%d %H:%M:%S"), provider=r.provider,
                reference=r.reference or "", reason=reason_text(r.reason, lang),
                detail=(r.detail or json.dumps(r.payload or {}, ensure_ascii=False))[:300],
                resolved=r.resolved_at is not None,
                resolution=self.text(f"ui.dead_letters.resolution.{r.resolution}") if r.resolution else "",
                note=r.note or "",
            )
            for r in rows
        ]
