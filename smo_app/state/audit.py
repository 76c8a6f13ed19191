"""/admin/audit: newest first, filters by actor name, action and dates, paging."""
from __future__ import annotations

import math
from datetime import date
from typing import TypedDict

import reflex as rx

from smo_app.services.core import audit as audit_service
from smo_app.services.core.audit_words import AuditText as AuditLine, action_name
from smo_app.state.session import SessionState

PAGE_SIZE = 25
ALL = "*"  # a Radix select item cannot have an empty value


class ActionOption(TypedDict):
    value: str
    label: str


def _parse_date(text: str) -> date | None:
    text = (text or "").strip()
    return date.fromisoformat(text) if text else None


class AuditState(SessionState):
    lines: list[AuditLine] = []
    actions: list[ActionOption] = []
    total: int = 0
    page: int = 1
    pages: int = 1
    f_actor: str = ""
    f_action: str = ALL
    f_from: str = ""
    f_to: str = ""
    message: str = ""

    @rx.event
    async def load(self):
        self.page = 1
        await self._query()

    @rx.event
    def set_f_action(self, value: str):
        self.f_action = value

    @rx.event
    async def apply(self, form: dict):
        self.f_actor = str(form.get("actor", "")).strip()
        self.f_from = str(form.get("date_from", "")).strip()
        self.f_to = str(form.get("date_to", "")).strip()
        self.page = 1
        await self._query()

    @rx.event
    async def reset_filters(self):
        self.f_actor, self.f_action, self.f_from, self.f_to, self.page = "", ALL, "", "", 1
        await self._query()
        return [rx.set_value("audit-actor", ""), rx.set_value("audit-from", ""), rx.set_value("audit-to", "")]

    @rx.event
    async def go(self, delta: int):
        self.page = max(1, min(self.pages, self.page + int(delta)))
        await self._query()

    @rx.var
    def filtered(self) -> bool:
        """A filter is on (an empty page then means "nothing matches", not "nothing happened")."""
        return bool(self.f_actor or self.f_from or self.f_to or self.f_action != ALL)

    async def _query(self) -> None:
        try:
            date_from, date_to = _parse_date(self.f_from), _parse_date(self.f_to)
        except ValueError:
            self.message = self.text("ui.audit.bad_date")
            return
        lang = self.ui_lang_value()
        out = await self.call(
            audit_service.audit_screen, readonly=True, page=self.page, page_size=PAGE_SIZE, lang=lang,
            actor_name=self.f_actor or None, action=None if self.f_action == ALL else self.f_action,
            date_from=date_from, date_to=date_to,
        )
        if not out.ok:
            self.lines, self.message = [], out.error
            return
        result, actions = out.value.entries, out.value.actions
        self.actions = [ActionOption(value=ALL, label=self.text("ui.audit.all_actions")),
                        *[ActionOption(value=a, label=action_name(lang, a)) for a in actions]]
        self.message = ""
        self.total = result.total
        self.pages = max(1, math.ceil(result.total / PAGE_SIZE))
        self.lines = out.value.lines
