"""Backoffice sign-in by username and password."""
from __future__ import annotations

import reflex as rx

from smo_app import routes
from smo_app.models.staff import Channel
from smo_app.services.staff import auth
from smo_app.state.session import SessionState


class LoginState(SessionState):
    message: str = ""
    busy: bool = False

    @rx.event
    async def open(self):
        self.message = ""
        if await self.staff(Channel.backoffice) is not None:
            return rx.redirect(routes.ADMIN)

    @rx.event
    async def submit(self, form: dict):
        out = await self.call(auth.sign_in_password, channel=None, username=str(form.get("username", "")),
                              password=str(form.get("password", "")))
        self.message = out.error
        if not out.ok:
            return
        self.bo_token = out.value.token
        return rx.redirect(routes.ADMIN)
