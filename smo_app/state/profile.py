"""The signed-in staff member's profile (backoffice /admin/profile and POS /pos/profile): link or
unlink their Telegram account with a one-time code (smo_app.services.staff.telegram_link)."""
from __future__ import annotations

import reflex as rx

from smo_app.db import session_scope
from smo_app.models.staff import Channel
from smo_app.services.core.errors import DomainError
from smo_app.services.staff import telegram_link
from smo_app.settings import get_settings
from smo_app.state.session import SessionState


class ProfileState(SessionState):
    channel: str = Channel.backoffice.value
    linked: bool = False
    telegram_id: str = ""
    code_command: str = ""  # "/start staff_…" to send to the bot
    deep_link: str = ""
    code_until: str = ""
    message: str = ""
    notice: str = ""

    def _actor(self):
        staff = self.staff_for(Channel(self.channel))
        return staff.actor() if staff else None

    def _reset_code(self) -> None:
        self.code_command = self.deep_link = self.code_until = ""

    def _query(self) -> None:
        actor = self._actor()
        if actor is None:
            return
        try:
            with session_scope() as s:
                status = telegram_link.link_status(s, actor=actor)
        except DomainError as exc:
            self.message = self.error(exc)
            return
        was_linked = self.linked
        self.linked = status.telegram_id is not None
        self.telegram_id = str(status.telegram_id or "")
        if self.linked and not was_linked:
            self._reset_code()

    def _open(self, channel: Channel) -> None:
        self.channel = channel.value
        self.message = self.notice = ""
        self._reset_code()
        self._query()

    @rx.event
    def load_backoffice(self):
        self._open(Channel.backoffice)

    @rx.event
    def load_pos(self):
        self._open(Channel.pos)

    @rx.event
    def refresh(self):
        self.message = self.notice = ""
        self._query()

    @rx.event
    def get_code(self):
        actor = self._actor()
        if actor is None:
            return
        username = get_settings().bot_username or None
        try:
            with session_scope() as s:
                code = telegram_link.create_link_code(s, actor=actor, bot_username=username)
        except DomainError as exc:
            self.message = self.error(exc)
            return
        self.message = self.notice = ""
        self.code_command = f"/start {code.start_param}"
        self.deep_link = code.deep_link or ""
        self.code_until = self.shop_time(code.expires_at, "%H:%M")

    @rx.event
    def unlink(self):
        actor = self._actor()
        if actor is None:
            return
        try:
            with session_scope() as s:
                telegram_link.unlink_telegram(s, actor=actor)
        except DomainError as exc:
            self.message = self.error(exc)
            return
        self.message = ""
        self.notice = self.text("ui.profile.unlinked")
        self._reset_code()
        self._query()
