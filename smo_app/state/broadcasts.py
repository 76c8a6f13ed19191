"""/admin/broadcasts: create, start/pause/resume/cancel, progress; outbox backlog; is the bot running.

The page reads ``broadcasts.broadcasts_page`` (which buttons each broadcast shows, with its progress)
and hands the "days" text to ``create_broadcast`` as typed (the service owns both rules). A paid
broadcast's line shows its cost in Stars and the page the bot's balance, asked from Telegram on
load and refresh (not on the live tick). Every
handler is async and reaches the database only through :meth:`SessionState.call` (a worker thread),
so the page's refresh while a broadcast runs never holds up other clients' events.
"""
from __future__ import annotations

import html
import re
from typing import TypedDict

import reflex as rx

from smo_app.services.catalog import images
from smo_app.services.messaging import broadcasts as svc
from smo_app.services.messaging.telegram_html import html_problem
from smo_app.state.session import SessionState
from smo_app.state.settings import telegram_preview

SEGMENTS = ["all", "with_orders", "new", "wholesale"]


class BroadcastLine(TypedDict):
    id: int
    created: str
    status: str
    status_key: str
    segment_key: str
    segment_days: str
    text: str
    progress: str
    can_start: bool
    can_pause: bool
    can_resume: bool
    can_cancel: bool
    paid: bool
    paid_note: str  # a paid draft's cost (recipients × 0.1 Star), or what a started one was paid
    can_make_paid: bool
    can_make_free: bool


class WaitingLine(TypedDict):
    id: int
    created: str
    kind: str
    chat_id: str
    status: str
    status_key: str
    attempts: int
    error: str
    preview: str  # safe HTML: the text as Telegram shows it


_ANY_TAG = re.compile(r"<[^<>]*>?")


def outbox_html(text: str) -> str:
    """A queued text as Telegram renders it (only its tags, checked links); markup Telegram would
    refuse — or a preview cut inside a tag — shows as escaped plain text."""
    text = text or ""
    if html_problem(text):
        plain = html.unescape(_ANY_TAG.sub("", text)) if re.search(r"<[a-zA-Z/]", text) else html.unescape(text)
        return html.escape(plain, quote=False).replace("\n", "<br>")
    return telegram_preview(text)


def _kind_name(state, kind: str) -> str:
    key = "event" if kind.startswith("ev:") else kind
    out = state.text(f"ui.outbox.kind.{key}")
    return state.text("ui.outbox.kind.other") if out == f"ui.outbox.kind.{key}" else out  # never the code


class BroadcastsState(SessionState):
    lines: list[BroadcastLine] = []
    waiting: list[WaitingLine] = []
    backlog: str = ""
    segment: str = "all"
    paid: bool = False  # the form's "paid broadcast" choice
    stars_note: str = ""  # the bot's Stars balance in words (shown while a paid draft is listed)
    stars_short: bool = False  # a paid draft costs more than the balance, or the balance is unavailable
    message: str = ""
    notice: str = ""
    bot_state: str = ""  # online | offline | not_running
    live: bool = False  # a broadcast is running: the page refreshes its progress
    # the draft as typed, previewed on the page as Telegram shows it
    draft_text: str = ""
    draft_photo: str = ""  # an uploaded photo's URL (or a URL / Telegram file id typed in)
    draft_button_text: str = ""
    draft_button_url: str = ""

    @rx.event
    def set_segment(self, value: str):
        self.segment = value

    @rx.event
    def set_paid(self, value: bool):
        self.paid = bool(value)

    preview_problem: str = ""  # what Telegram would refuse in the draft (create refuses it the same way)

    @rx.event
    def set_draft_text(self, value: str):
        self.draft_text = value
        near = html_problem(value) if value else None
        self.preview_problem = self.text("broadcast.html_invalid", near=near) if near else ""

    @rx.event
    def set_draft_photo(self, value: str):
        self.draft_photo = value

    @rx.event
    def set_draft_button_text(self, value: str):
        self.draft_button_text = value

    @rx.event
    def set_draft_button_url(self, value: str):
        self.draft_button_url = value

    @rx.var
    def preview_html(self) -> str:
        """The draft's text as Telegram renders it (its HTML subset, links checked; refused markup as plain text)."""
        return outbox_html(self.draft_text)

    @rx.var
    def preview_image(self) -> str:
        """The photo's address the browser can show (a Telegram file id cannot be shown here)."""
        photo = self.draft_photo.strip()
        return photo if photo.startswith(("/api/uploads/", "https://", "http://")) else ""

    @rx.event
    async def upload_photo(self, files: list[rx.UploadFile]):
        """A photo from the computer or phone, stored through the image port; the draft takes its URL."""
        for f in files[:1]:
            out = await self.call(images.store_broadcast_photo, data=await f.read())
            self.message = out.error
            if out.ok:
                self.draft_photo = out.value

    @rx.event
    def clear_photo(self):
        self.draft_photo = ""

    @rx.event
    async def load(self):
        self.message = self.notice = ""
        await self._query()

    @rx.event
    async def tick(self, _now: str = ""):
        """Live progress: while a broadcast runs (and only then), the page's clock calls this
        every few seconds; the read runs in a worker thread (Telegram is not asked for the balance)."""
        await self._query(with_balance=False)

    async def _query(self, *, with_balance: bool = True) -> None:
        out = await self.call(svc.broadcasts_page, readonly=True, with_balance=with_balance)
        if not out.ok:
            self.message = out.error
            return
        self._show(out.value)

    def _show(self, view: svc.BroadcastsPage) -> None:
        self.bot_state = "online" if view.bot_online else "offline" if view.bot_running else "not_running"
        self.live = any(line.broadcast.status == "running" for line in view.lines)
        self.lines = [
            BroadcastLine(
                id=b.id, created=self.shop_time(b.created_at), status=b.status,
                status_key=f"ui.bcast.status.{b.status}",
                segment_key=f"ui.bcast.segment.{b.segment}",
                segment_days=f" ({b.segment_days})" if b.segment_days else "",
                text=outbox_html((b.text or b.photo or "")[:300]),
                progress=(self.text("ui.bcast.counts", sent=p.sent, total=p.total, blocked=p.blocked,
                                    cancelled=p.cancelled, failed=p.failed, left=p.left)
                          + (f" · ~{p.eta_seconds} s" if p.eta_seconds else "")
                          + (f" · {self.text('ui.bcast.waiting_for_bot')}" if p.waiting_for_bot else "")),
                can_start="start" in line.actions, can_pause="pause" in line.actions,
                can_resume="resume" in line.actions, can_cancel="cancel" in line.actions,
                paid=b.paid, paid_note=self._paid_note(line),
                can_make_paid="start" in line.actions and not b.paid, can_make_free="start" in line.actions and b.paid,
            )
            for line in view.lines for b, p in [(line.broadcast, line.progress)]
        ]
        quotes = [line.quote for line in view.lines if line.quote is not None]
        if not quotes:
            self.stars_note, self.stars_short = "", False
        elif view.stars_asked:
            balance = view.stars_balance_nanostars
            self.stars_short = balance is None or any(
                not q.model_copy(update={"balance_nanostars": balance}).enough for q in quotes)
            self.stars_note = (self.text("ui.bcast.stars_unavailable") if balance is None else
                               self.text("ui.bcast.stars_balance_short" if self.stars_short else "ui.bcast.stars_balance",
                                         balance=svc.format_stars(balance)))
        self.waiting = [
            WaitingLine(id=w.id, created=self.shop_time(w.created_at), kind=_kind_name(self, w.kind),
                        chat_id=str(w.chat_id or ""), status=w.status, status_key=f"ui.outbox.status.{w.status}",
                        attempts=w.attempts, error=w.last_error or "", preview=outbox_html(w.preview))
            for w in view.waiting
        ]
        self.backlog = ", ".join(f"{self.text(f'ui.outbox.status.{k}')}: {v}" for k, v in sorted(view.backlog.items())) or "0"

    def _paid_note(self, line: svc.BroadcastLine) -> str:
        if line.quote is not None:
            return self.text("ui.bcast.paid_cost", stars=line.quote.stars, recipients=line.quote.recipients)
        if line.broadcast.paid and line.broadcast.stars_cost is not None:
            return self.text("ui.bcast.paid_cost_started", stars=line.broadcast.stars_cost)
        return ""

    @rx.event
    async def make_paid(self, broadcast_id: int):
        await self._choose_paid(broadcast_id, True)

    @rx.event
    async def make_free(self, broadcast_id: int):
        await self._choose_paid(broadcast_id, False)

    async def _choose_paid(self, broadcast_id: int, paid: bool) -> None:
        self.notice = ""
        out = await self.call(svc.set_broadcast_paid, broadcast_id=int(broadcast_id), paid=paid)
        self.message = out.error
        await self._query()

    @rx.event
    async def create(self, form: dict):
        out = await self.call(
            svc.create_broadcast, text=form.get("text", self.draft_text), photo=form.get("photo") or self.draft_photo,
            button_text=(form.get("button_text") or None), button_url=(form.get("button_url") or None),
            segment=self.segment, segment_days=str(form.get("days") or ""), paid=self.paid)
        self.message = out.error
        if not out.ok:
            return
        self.draft_text = self.draft_photo = self.draft_button_text = self.draft_button_url = self.preview_problem = ""
        self.paid = False
        self.notice = self.text("ui.bcast.created_ok")
        await self._query()

    @rx.event
    async def preview(self, broadcast_id: int):
        """Send the broadcast to the signed-in staff member's own Telegram chat."""
        out = await self.call(svc.send_preview, broadcast_id=int(broadcast_id))
        self.message = out.error
        if not out.ok:
            return
        self.notice = self.text("ui.bcast.preview_sent")
        await self._query()

    async def _act(self, op, broadcast_id: int):
        self.notice = ""
        out = await self.call(op, broadcast_id=int(broadcast_id))
        self.message = out.error
        await self._query()

    @rx.event
    async def start(self, broadcast_id: int):
        await self._act(svc.start_broadcast, broadcast_id)

    @rx.event
    async def pause(self, broadcast_id: int):
        await self._act(svc.pause_broadcast, broadcast_id)

    @rx.event
    async def resume(self, broadcast_id: int):
        await self._act(svc.resume_broadcast, broadcast_id)

    @rx.event
    async def cancel(self, broadcast_id: int):
        await self._act(svc.cancel_broadcast, broadcast_id)

    @rx.event
    async def refresh(self):
        await self._query()

