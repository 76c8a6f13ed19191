"""Backoffice sign-in by username and password."""
from __future__ import annotations

import reflex as rx

from smo_app import routes
from smo_app.db import session_scope
from smo_app.models.staff import Channel
from smo_app.services.staff import auth
from smo_app.services.core.errors import DomainError
from smo_app.state.session import SessionState


class LoginState(SessionState):
    message: str = ""
    busy: bool = False

    @rx.event
    def open(self):
        self.message = ""
        if self.staff_for(Channel.backoffice) is not None:
            return rx.redirect(routes.ADMIN)

    @rx.event
    def submit(self, form: dict):
        try:
            with session_scope() as s:
                signed = auth.sign_in_password(s, username=str(form.get("username", "")), password=str(form.get("password", "")))
        except DomainError as exc:
            self.message = self.error(exc)
            return
        self.message = ""
        self.bo_token = signed.token
        return rx.redirect(routes.ADMIN)
