"""The signed-in staff member's profile (backoffice /admin/profile and POS /pos/profile): link or
unlink their Telegram account with a one-time code (smo_app.services.staff.telegram_link).
Every handler reaches the database through :meth:`SessionState.call` (off the event loop)."""
from __future__ import annotations

import reflex as rx

from smo_app.models.staff import Channel
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

    async def _as_me(self, fn, /, **kwargs):
        """A service call as the staff member signed in on this page's channel."""
        return await self.call(fn, channel=Channel(self.channel), **kwargs)

    def _reset_code(self) -> None:
        self.code_command = self.deep_link = self.code_until = ""

    async def _query(self) -> None:
        out = await self._as_me(telegram_link.link_status)
        if not out.ok:
            self.message = out.error
            return
        was_linked = self.linked
        self.linked = out.value.telegram_id is not None
        self.telegram_id = str(out.value.telegram_id or "")
        if self.linked and not was_linked:
            self._reset_code()

    async def _open(self, channel: Channel) -> None:
        self.channel = channel.value
        self.message = self.notice = ""
        self._reset_code()
        await self._query()

    @rx.event
    async def load_backoffice(self):
        await self._open(Channel.backoffice)

    @rx.event
    async def load_pos(self):
        await self._open(Channel.pos)

    @rx.event
    async def refresh(self):
        self.message = self.notice = ""
        await self._query()

    @rx.event
    async def get_code(self):
        out = await self._as_me(telegram_link.create_link_code, bot_username=get_settings().bot_username or None)
        self.message, self.notice = out.error, ""
        if not out.ok:
            return
        code = out.value
        self.code_command = f"/start {code.start_param}"
        self.deep_link = code.deep_link or ""
        self.code_until = self.shop_time(code.expires_at, "%H:%M")

    @rx.event
    async def unlink(self):
        out = await self._as_me(telegram_link.unlink_telegram)
        self.message = out.error
        if not out.ok:
            return
        self.notice = self.text("ui.profile.unlinked")
        self._reset_code()
        await self._query()
