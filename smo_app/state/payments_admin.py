"""/admin/payments: payments with filters, payments not credited (dead letters) with credit /
refund / dismiss, the reconciliation log. Owner and admin act; managers read."""
from __future__ import annotations

from typing import TypedDict

import reflex as rx

from smo_app.money import format_money
from smo_app.services.core.audit_words import letter_detail, provider_name
from smo_app.services.payments import admin as payments_admin
from smo_app.services.payments import reconcile
from smo_app.state.dead_letters import reason_text
from smo_app.state.session import SessionState, said, toast


class PaymentRow(TypedDict):
    id: int
    order_id: int
    provider: str
    status: str
    amount: str
    refunded: str
    created: str
    failure: str


class LetterRow(TypedDict):
    id: int
    when: str
    provider: str
    order_id: str
    reason: str
    detail: str
    refundable: bool
    can_apply: bool
    can_restore: bool
    restore_why_not: str


class RunRow(TypedDict):
    id: int
    when: str
    checked: int
    applied: int
    expired: int
    errors: int
    refunds_checked: int
    refunds_done: int
    note: str


def _money(minor: int, currency: str, lang: str) -> str:
    return f"{minor} XTR" if currency == "XTR" else format_money(minor, currency, lang)


class PaymentsAdminState(SessionState):
    rows: list[PaymentRow] = []
    letters: list[LetterRow] = []
    runs: list[RunRow] = []
    status_filter: str = "all"
    provider_filter: str = "all"
    order_filter: str = ""
    can_manage: bool = False
    message: str = ""

    @rx.event
    async def load(self):
        await self._query()

    @rx.event
    async def set_status_filter(self, value: str):
        self.status_filter = value
        await self._query()

    @rx.event
    async def set_provider_filter(self, value: str):
        self.provider_filter = value
        await self._query()

    @rx.event
    async def apply_order_filter(self, form: dict):
        text = str(form.get("order", "")).strip().lstrip("#")
        if text and not text.isdigit():
            return said(self.text("common.not_found"), ok=False)
        self.order_filter = text
        await self._query()

    @rx.event
    async def resolve(self, form: dict):
        """One button per action in the row's form; the note is the reason (required)."""
        try:
            letter_id = int(form.get("id", 0))
        except (TypeError, ValueError):
            return said(self.text("common.not_found"), ok=False)
        action = str(form.get("action", "dismiss"))
        out = await self.call(payments_admin.resolve_payment_letter, dead_letter_id=letter_id, action=action,
                              note=str(form.get("note", "")))
        if out.ok:
            await self._query()
        return toast(out, self.text("ui.payments.done"))

    @rx.event
    async def run_reconcile(self):
        out = await self.call(reconcile.run_now)
        if out.ok:
            await self._query()
        return toast(out, self.text("ui.payments.done"))

    async def _query(self) -> None:
        lang = self.ui_lang_value()
        out = await self.call(payments_admin.payments_page, readonly=True,
                              status=None if self.status_filter == "all" else self.status_filter,
                              provider=None if self.provider_filter == "all" else self.provider_filter,
                              order_id=int(self.order_filter) if self.order_filter else None)
        if not out.ok:
            self.rows, self.letters, self.runs, self.can_manage, self.message = [], [], [], False, out.error
            return
        page = out.value
        self.message = ""
        self.can_manage = page.can_manage
        self.rows = [PaymentRow(id=p.id, order_id=p.order_id, provider=self.text(f"ui.payment.method.{p.provider}"),
                                status=self.text(f"ui.payment.proof.{p.proof}") if p.proof == "waiting"
                                and p.status == "pending" else self.text(f"ui.payment.status.{p.status}"),
                                amount=_money(p.amount_minor, p.currency, lang),
                                refunded=_money(p.refunded_minor, p.currency, lang) if p.refunded_minor else "",
                                created=self.shop_time(p.created_at), failure=reason_text(p.failure, lang) if p.failure else "")
                     for p in page.payments]
        self.letters = [LetterRow(id=i.letter.id, when=self.shop_time(i.letter.created_at),
                                  provider=provider_name(lang, i.letter.provider),
                                  order_id=str(i.order_id or ""), reason=reason_text(i.letter.reason, lang),
                                  detail=letter_detail(lang, i.letter), refundable=i.refundable, can_apply=i.can_apply,
                                  can_restore=i.can_restore,
                                  restore_why_not=self.text("ui.payments.restore_why_not",
                                                            why=reason_text(i.restore_blocked, lang))
                                  if i.restore_blocked else "")
                        for i in page.letters]
        self.runs = [RunRow(id=r.id, when=self.shop_time(r.started_at), checked=r.checked, applied=r.applied,
                            expired=r.expired, errors=r.errors, refunds_checked=r.refunds_checked,
                            refunds_done=r.refunds_done, note=r.note or "") for r in page.runs]
