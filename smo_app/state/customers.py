"""/admin/customers (CR1–CR3): search with server-side paging, the customer card, bonus and
discount edits, a direct message, Excel exports."""
from __future__ import annotations

from datetime import date, timedelta
from typing import TypedDict

import reflex as rx

from smo_app.services.customers import admin as customers_admin
from smo_app.services.customers import customer_card
from smo_app.state.ops import download, money_text
from smo_app.state.session import SessionState, said, toast


class CustomerLine(TypedDict):
    id: int
    name: str
    username: str
    telegram_id: str
    phone: str
    registered: str
    bonuses: str
    discount: int
    tags: str


class HistoryLine(TypedDict):
    when: str
    kind: str
    amount: str
    balance: str
    note: str


class CustomersState(SessionState):
    query: str = ""
    page: int = 1
    has_next: bool = False
    lines: list[CustomerLine] = []
    message: str = ""
    # the card
    card_open: bool = False
    card: dict[str, str] = {}
    card_id: int = 0
    card_discount: int = 0
    card_note: str = ""
    card_wholesale: bool = False
    card_tester: bool = False
    history: list[HistoryLine] = []
    friends: list[dict[str, str]] = []
    orders: list[dict[str, str]] = []
    card_error: str = ""
    # exports
    export_from: str = ""
    export_to: str = ""

    @rx.event
    async def load(self):
        today = self.shop_today()
        self.export_from = self.export_from or (today - timedelta(days=30)).isoformat()
        self.export_to = self.export_to or today.isoformat()
        self.card_open = False
        await self._search()
        wanted = str(self.router.url.query_parameters.get("customer", "") if self.router.url else "")
        if wanted.isdigit():  # /admin/customers?customer=12 (the order card's customer link) opens that card
            return await self.open_card(int(wanted))
        return None

    @rx.event
    async def search(self, form: dict):
        self.query = str(form.get("q", "")).strip()
        self.page = 1
        await self._search()

    @rx.event
    async def go(self, delta: int):
        self.page = max(1, self.page + int(delta))
        await self._search()

    async def _search(self) -> None:
        out = await self.call(customers_admin.search_customers, readonly=True, query=self.query, page=self.page)
        if not out.ok:
            self.lines, self.has_next, self.message = [], False, out.error
            return
        result = out.value
        self.message = ""
        self.has_next = result.has_next
        self.lines = [CustomerLine(
            id=r.id, name=r.full_name or "—", username=f"@{r.username}" if r.username else "",
            telegram_id=str(r.telegram_id or ""), phone=r.phone or "", registered=self.shop_day(r.first_seen_at),
            bonuses=money_text(self, r.bonus_balance_minor), discount=r.personal_discount_pct,
            tags=" · ".join(t for t in (self.text("ui.cust.wholesale") if r.wholesale_approved else "",
                                        self.text("ui.cust.tester") if r.is_tester else "") if t),
        ) for r in result.rows]

    # -- card ------------------------------------------------------------------------------
    @rx.event
    async def open_card(self, customer_id: int):
        self.card_error = ""
        out = await self._show_card(int(customer_id))
        if not out.ok:
            return toast(out)
        self.card_open = True
        return None

    @rx.event
    def close_card(self):
        self.card_open = False

    async def _show_card(self, customer_id: int):
        out = await self.call(customer_card.customer_card, readonly=True, customer_id=customer_id)
        if not out.ok:
            return out
        c, bonuses = out.value.card, out.value.bonuses
        self.card_id = c.id
        self.card = {
            "name": c.full_name or "—", "username": f"@{c.username}" if c.username else "—",
            "telegram_id": str(c.telegram_id or "—"), "phone": c.phone or "—", "email": c.email or "—",
            "registered": self.shop_time(c.first_seen_at), "last_seen": self.shop_time(c.last_seen_at),
            "orders": str(c.orders_count), "orders_sum": money_text(self, c.orders_sum_minor),
            "bonuses": money_text(self, c.bonus_balance_minor), "invites": str(bonuses.invites),
            "language": c.language, "unreachable": self.text("ui.yes") if c.unreachable else self.text("ui.no"),
        }
        self.card_discount, self.card_note = c.personal_discount_pct, c.note or ""
        self.card_wholesale, self.card_tester = c.wholesale_approved, c.is_tester
        self.history = [HistoryLine(when=self.shop_time(e.created_at), kind=self.text(f"ui.cust.bonus_kind.{e.kind}"),
                                    amount=money_text(self, e.amount_minor), balance=money_text(self, e.balance_after_minor),
                                    note=e.note or "") for e in bonuses.entries]
        self.orders = [{"id": str(o.id), "when": self.shop_time(o.created_at), "status": self.text(f"ui.cust.order_status.{o.status}"),
                        "total": money_text(self, o.total_minor)} for o in c.recent_orders]
        self.friends = [{"name": f.full_name or "—", "username": f"@{f.username}" if f.username else "",
                         "registered": self.shop_day(f.first_seen_at)} for f in c.friends]
        return out

    async def _card_action(self, fn, ok_key: str, **kwargs):
        out = await self.call(fn, customer_id=self.card_id, **kwargs)
        if out.ok:
            out = await self._show_card(self.card_id)
            await self._search()
        self.card_error = out.error
        return said(self.text(ok_key)) if out.ok else None

    @rx.event
    async def save_profile(self, form: dict):
        return await self._card_action(customer_card.save_profile, "ui.saved", discount=str(form.get("discount", "")),
                                       note=str(form.get("note", "")), wholesale=str(form.get("wholesale", "")) == "on")

    @rx.event
    async def set_tester(self, value: bool):
        return await self._card_action(customers_admin.update_customer, "ui.saved", is_tester=bool(value))

    @rx.event
    async def adjust_bonuses(self, form: dict):
        return await self._card_action(customer_card.adjust_bonuses, "ui.cust.bonuses_changed",
                                       amount=str(form.get("amount", "")), note=str(form.get("note", "")))

    @rx.event
    async def send_message(self, form: dict):
        return await self._card_action(customers_admin.message_customer, "ui.cust.message_queued",
                                       text=str(form.get("text", "")))

    # -- exports -----------------------------------------------------------------------------
    @rx.event
    async def export(self, form: dict):
        try:
            date_from = date.fromisoformat(str(form.get("from", "")).strip())
            date_to = date.fromisoformat(str(form.get("to", "")).strip())
        except ValueError:
            return said(self.text("ui.audit.bad_date"), ok=False)
        self.export_from, self.export_to = date_from.isoformat(), date_to.isoformat()
        return await download(self, f"customers_{date_from}_{date_to}.xlsx", customers_admin.export_xlsx,
                              date_from=date_from, date_to=date_to, lang=self.ui_lang_value())
