"""/admin/support: the queue by state with paging, a ticket's conversation, a reply from the web,
assign and close (services.support.admin); the owner's support settings (services.support.settings)."""
from __future__ import annotations

import reflex as rx
from pydantic import BaseModel

from smo_app import routes
from smo_app.services.support import admin as support_admin
from smo_app.services.support import settings as support_settings
from smo_app.state.session import SessionState, toast


class TicketLine(BaseModel):
    id: str
    customer: str
    customer_id: str
    about: str  # the topic or "order №…"
    assigned: str
    updated: str
    last_text: str


class MessageLine(BaseModel):
    id: str
    author: str  # customer | ai | operator | system
    who: str
    when: str
    text: str
    photo: str  # the photo's address (/api/support/photos/<id>), "" = none
    document: str


class SupportState(SessionState):
    tab: str = "needs_operator"
    page: int = 1
    has_next: bool = False
    counts: dict[str, int] = {}
    tokens_month: str = ""  # the AI's tokens this month, as shown ("" when none were spent)
    lines: list[TicketLine] = []
    message: str = ""
    # the open ticket
    ticket_id: int = 0
    ticket: dict[str, str] = {}
    conversation: list[MessageLine] = []
    can_reply: bool = False
    reply_error: str = ""
    # the owner's settings (shown when they may change them)
    can_settings: bool = False
    stored: dict[str, str] = {}  # faq, ai_base_url, ai_model, ai_keys_count, chat_id, timeout_min as shown
    form_error: str = ""
    form_field: str = ""

    @rx.event
    async def load(self):
        self.ticket_id, self.reply_error, self.form_error = 0, "", ""
        await self._queue()
        out = await self.call(support_settings.read_settings, readonly=True)
        self.can_settings = out.ok
        if out.ok:
            self._show_settings(out.value)
        wanted = str(self.router.url.query_parameters.get("ticket", "") if self.router.url else "")
        if wanted.isdigit():  # /admin/support?ticket=12 (a staff alert's link) opens that ticket
            return await self.open_ticket(int(wanted))
        return None

    @rx.event
    async def show_tab(self, tab: str):
        self.tab, self.page, self.ticket_id = tab, 1, 0
        await self._queue()

    @rx.event
    async def go(self, delta: int):
        self.page = max(1, self.page + int(delta))
        await self._queue()

    async def _queue(self) -> None:
        out = await self.call(support_admin.queue, readonly=True, state=self.tab, page=self.page)
        if not out.ok:
            self.lines, self.has_next, self.message = [], False, out.error
            return
        self.message, self.has_next, self.counts = "", out.value.has_next, out.value.counts
        spent = out.value.tokens_month
        self.tokens_month = self.text("ui.support.tokens_month", tokens=f"{spent:,}".replace(",", " ")) if spent else ""
        self.lines = [self._line(r) for r in out.value.rows]

    def _line(self, r: support_admin.TicketRow) -> TicketLine:
        return TicketLine(id=str(r.id), customer=(r.customer_name or "—") + (f" @{r.username}" if r.username else ""),
                          customer_id=str(r.customer_id), about=self._about(r), assigned=r.assigned_to or "—",
                          updated=self.shop_time(r.updated_at), last_text=r.last_text)

    def _about(self, r: support_admin.TicketRow) -> str:
        if r.order_id:
            return self.text("ui.support.about_order", number=r.order_id)
        return self.text(f"ui.support.topic.{r.topic}") if r.topic else ""

    # -- the conversation ------------------------------------------------------------------------
    @rx.event
    async def open_ticket(self, ticket_id: int):
        out = await self.call(support_admin.view_ticket, readonly=True, ticket_id=int(ticket_id))
        if not out.ok:
            return toast(out)
        self._show(out.value)
        return None

    @rx.event
    def close_view(self):
        self.ticket_id = 0

    def _show(self, view: support_admin.TicketView) -> None:
        r = view.ticket
        self.ticket_id, self.can_reply, self.reply_error = r.id, view.can_reply, ""
        self.ticket = {"id": str(r.id), "state": r.state, "state_text": self.text(f"ui.support.state.{r.state}"),
                       "customer": self._line(r).customer, "customer_url": f"{routes.AREAS_BY_KEY['customers'].route}?customer={r.customer_id}",
                       "about": self._about(r), "assigned": r.assigned_to or "—"}
        self.conversation = [MessageLine(
            id=str(m.id), author=m.author, when=self.shop_time(m.created_at), text=m.text,
            who=m.staff_name if m.author == "operator" and m.staff_name else self.text(f"ui.support.author.{m.author}"),
            photo=f"/api/support/photos/{m.id}" if m.photo_file_id else "", document=m.document_name or "",
        ) for m in view.messages]

    @rx.event
    async def reply(self, form: dict):
        out = await self.call(support_admin.reply, ticket_id=self.ticket_id, text=str(form.get("text", "")))
        if not out.ok:
            self.reply_error = out.error
            return None
        self._show(out.value)
        await self._queue()
        return rx.toast.success(self.text("ui.support.sent"))

    @rx.event
    async def assign_to_me(self):
        out = await self.call(support_admin.assign, ticket_id=self.ticket_id)
        if out.ok:
            self._show(out.value)
            await self._queue()
        return toast(out, self.text("ui.support.assigned"))

    @rx.event
    async def close_ticket(self):
        out = await self.call(support_admin.close, ticket_id=self.ticket_id)
        if out.ok:
            self._show(out.value)
            await self._queue()
        return toast(out, self.text("ui.support.closed"))

    # -- settings (owner) --------------------------------------------------------------------------
    def _show_settings(self, s: support_settings.SupportSettings) -> None:
        self.stored = {"faq": s.faq, "ai_base_url": s.ai_base_url, "ai_model": s.ai_model,
                       "ai_keys_count": str(s.ai_keys_count), "chat_id": str(s.chat_id) if s.chat_id is not None else "",
                       "timeout_min": str(s.timeout_min)}

    @rx.event
    async def save_settings(self, form: dict):
        out = await self.call(support_settings.save_settings, faq=str(form.get("faq", "")),
                              ai_base_url=str(form.get("ai_base_url", "")), ai_model=str(form.get("ai_model", "")),
                              chat_id=str(form.get("chat_id", "")), timeout_min=str(form.get("timeout_min", "")),
                              new_keys=str(form.get("ai_keys", "")) or None, remove_keys=bool(form.get("remove_keys")))
        if not out.ok:
            self.form_error, self.form_field = out.error, out.field()
            return None
        self.form_error, self.form_field = "", ""
        self._show_settings(out.value)
        return rx.toast.success(self.text("ui.support.settings_saved"))
