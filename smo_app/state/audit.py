"""/admin/audit: newest first, filters by actor name, action and dates, paging."""
from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import TypedDict

import reflex as rx

from smo_app.services.core import audit as audit_service
from smo_app.services.core import shop_locale
from smo_app.state.ops import money_text
from smo_app.state.session import SessionState

PAGE_SIZE = 25
ALL = "*"  # a Radix select item cannot have an empty value


MAX_DETAIL_LINES = 12


class AuditLine(TypedDict):
    id: int
    when: str
    actor: str
    action: str
    action_code: str
    entity: str
    details: str


class ActionOption(TypedDict):
    value: str
    label: str


def known(text, key: str, fallback: str) -> str:
    """The translation of ``key``, or ``fallback`` when there is none (a new code reads as itself)."""
    out = text(key)
    return fallback if out == key else out


def readable_value(text, money, key: str, value) -> str:
    """One stored value as a person reads it: yes/no, money, a translated status or role, a list."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return text("ui.audit.yes") if value else text("ui.audit.no")
    if isinstance(value, int) and key.endswith("_minor"):
        return money(value)
    if key == "status" and isinstance(value, str):
        return known(text, f"ui.cust.order_status.{value}", value)
    if key == "role" and isinstance(value, str):
        return known(text, f"role.{value}", value)
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, (list, tuple)) for v in value):  # rows, e.g. referral tiers: "(0, 5); (10, 7)"
            rows = ["(" + ", ".join(readable_value(text, money, key, x) for x in v) + ")" for v in value[:10]]
            return "; ".join(rows) + (" …" if len(value) > 10 else "")
        items = [readable_value(text, money, key, v) for v in value[:10]]
        return ", ".join(items) + (" …" if len(value) > 10 else "")
    if isinstance(value, dict):
        return "; ".join(f"{field_name(text, k)}: {readable_value(text, money, k, v)}" for k, v in list(value.items())[:6])
    if isinstance(value, str) and key.endswith("_at") and _ISO_MOMENT.match(value):
        return _shop_moment(value)
    out = str(value)
    return out if len(out) <= 120 else out[:119] + "…"


_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _shop_moment(value: str) -> str:
    """A stored ISO moment (``2031-06-30T20:59:59+00:00``) as the shop's local time."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.astimezone(shop_locale.cached().tz).strftime("%Y-%m-%d %H:%M")


def field_name(text, key: str) -> str:
    return known(text, f"ui.audit_field.{key}", key.replace("_", " "))


def describe_change(text, money, before: dict | None, after: dict | None) -> str:
    """``before``/``after`` as lines "Field: old → new" (changed fields only), or "Field: value"
    when only one side exists; never raw JSON."""
    before, after = before or {}, after or {}
    lines = []
    for key in list(dict.fromkeys([*after.keys(), *before.keys()])):
        if key in before and key in after:
            if before[key] == after[key]:
                continue
            lines.append(f"{field_name(text, key)}: {readable_value(text, money, key, before[key])} → "
                         f"{readable_value(text, money, key, after[key])}")
        else:
            value = after[key] if key in after else before[key]
            lines.append(f"{field_name(text, key)}: {readable_value(text, money, key, value)}")
    if len(lines) > MAX_DETAIL_LINES:
        lines = [*lines[:MAX_DETAIL_LINES], "…"]
    return "\n".join(lines)


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

    def action_name(self, action: str) -> str:
        return known(self.text, f"ui.audit_action.{action}", action)

    async def _query(self) -> None:
        try:
            date_from, date_to = _parse_date(self.f_from), _parse_date(self.f_to)
        except ValueError:
            self.message = self.text("ui.audit.bad_date")
            return
        out = await self.call(
            audit_service.audit_screen, readonly=True, page=self.page, page_size=PAGE_SIZE, actor_name=self.f_actor or None,
            action=None if self.f_action == ALL else self.f_action, date_from=date_from, date_to=date_to,
        )
        if not out.ok:
            self.lines, self.message = [], out.error
            return
        result, actions = out.value.entries, out.value.actions
        self.actions = [ActionOption(value=ALL, label=self.text("ui.audit.all_actions")),
                        *[ActionOption(value=a, label=self.action_name(a)) for a in actions]]
        self.message = ""
        self.total = result.total
        self.pages = max(1, math.ceil(result.total / PAGE_SIZE))
        self.lines = [
            AuditLine(
                id=r.id, when=self.shop_time(r.created_at, "%Y-%m-%d %H:%M:%S"), actor=r.actor_name or r.actor_kind,
                action=self.action_name(r.action), action_code=r.action,
                entity=(f"{known(self.text, f'ui.audit_entity.{r.entity}', r.entity)} {r.entity_id or ''}".strip()
                        if r.entity else ""),
                details="\n".join(x for x in (describe_change(self.text, lambda m: money_text(self, m), r.before, r.after),
                                               r.note or "") if x),
            )
            for r in result.rows
        ]
