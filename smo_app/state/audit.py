"""/admin/audit: newest first, filters by actor name, action and dates, paging."""
from __future__ import annotations

import json
import math
from datetime import date
from typing import TypedDict

import reflex as rx

from smo_app.services.core import audit as audit_service
from smo_app.settings import get_settings
from smo_app.state.session import SessionState

PAGE_SIZE = 25
ALL = "*"  # a Radix select item cannot have an empty value


class AuditLine(TypedDict):
    id: int
    when: str
    actor: str
    action: str
    entity: str
    details: str


def _details(before, after) -> str:
    def short(d):
        return json.dumps(d, ensure_ascii=False, sort_keys=True)[:160] if d else ""

    if before and after:
        return f"{short(before)} → {short(after)}"
    return short(after) or short(before)


def _parse_date(text: str) -> date | None:
    text = (text or "").strip()
    return date.fromisoformat(text) if text else None


def _audit_page(session, *, actor, page: int, **filters):
    """One page of entries and the actions to filter by, in one read-only transaction."""
    result = audit_service.list_entries(session, actor=actor, page=page, page_size=PAGE_SIZE, **filters)
    return result, audit_service.distinct_actions(session, actor=actor)


class AuditState(SessionState):
    lines: list[AuditLine] = []
    actions: list[str] = []
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

    async def _query(self) -> None:
        try:
            date_from, date_to = _parse_date(self.f_from), _parse_date(self.f_to)
        except ValueError:
            self.message = self.text("ui.audit.bad_date")
            return
        out = await self.call(
            _audit_page, readonly=True, actor_name=self.f_actor or None, action=None if self.f_action == ALL else self.f_action,
            date_from=date_from, date_to=date_to, tz=get_settings().tz, page=self.page,
        )
        if not out.ok:
            self.lines, self.message = [], out.error
            return
        result, actions = out.value
        self.actions = [ALL, *actions]
        self.message = ""
        self.total = result.total
        self.pages = max(1, math.ceil(result.total / PAGE_SIZE))
        self.lines = [
            AuditLine(
                id=r.id, when=self.shop_time(r.created_at, "%Y-%m-%d %H:%M:%S"), actor=r.actor_name or r.actor_kind,
                action=r.action, entity=f"{r.entity or ''} {r.entity_id or ''}".strip(), details=_details(r.before, r.after),
            )
            for r in result.rows
        ]
