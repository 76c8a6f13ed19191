"""/admin/staff: list, create, change role, deactivate/reactivate, reset PIN (services.staff)."""
from __future__ import annotations

from typing import TypedDict

import reflex as rx

from smo_app.db import session_scope
from smo_app.models.base import utcnow
from smo_app.models.staff import Role
from smo_app.services.staff import accounts as staff_service
from smo_app.services.core.errors import DomainError, PermissionDenied
from smo_app.services.core.permissions import MANAGEABLE_ROLES
from smo_app.services.staff.dto import StaffOut
from smo_app.state.session import SessionState


class StaffRow(TypedDict):
    id: int
    username: str
    full_name: str
    role: str
    is_active: bool
    has_pin: bool
    has_password: bool
    locked: bool
    manageable: bool


class StaffState(SessionState):
    rows: list[StaffRow] = []
    assignable: list[str] = []  # roles this actor may give
    form_error: str = ""
    form_role: str = "seller"
    # the "new PIN" / "new password" dialog
    pin_dialog_open: bool = False
    secret_kind: str = "pin"  # pin | password
    pin_target_id: int = 0
    pin_target_name: str = ""
    pin_error: str = ""

    def _refresh(self, session, actor) -> None:
        manageable = MANAGEABLE_ROLES.get(actor.role, frozenset())
        now = utcnow()
        self.assignable = [r.value for r in Role if r in manageable]
        self.rows = [
            StaffRow(id=s.id, username=s.username, full_name=s.full_name, role=s.role.value, is_active=s.is_active,
                     has_pin=s.has_pin, has_password=s.has_password, locked=bool(s.locked_until and s.locked_until > now),
                     manageable=s.role in manageable and s.id != actor.id)
            for s in staff_service.list_staff(session, actor=actor)
        ]

    @rx.event
    def load(self):
        self.form_error = ""
        actor = self.backoffice_actor()
        if actor is None:
            return
        try:
            with session_scope() as s:
                self._refresh(s, actor)
        except PermissionDenied:
            self.rows, self.assignable = [], []

    def _run(self, action, ok_key: str, **ok_params):
        """Resolve the actor, run one service call, reload the list, toast the result."""
        actor = self.backoffice_actor()
        if actor is None:
            return rx.toast.error(self.text("common.forbidden"))
        try:
            with session_scope() as s:
                out: StaffOut = action(s, actor)
                self._refresh(s, actor)
        except DomainError as exc:
            return rx.toast.error(self.error(exc))
        params = {"name": out.full_name, "role": self.text(f"role.{out.role.value}"), **ok_params}
        return rx.toast.success(self.text(ok_key, **params))

    @rx.event
    def set_form_role(self, role: str):
        self.form_role = role

    @rx.event
    def create(self, form: dict):
        actor = self.backoffice_actor()
        if actor is None:
            self.form_error = self.text("common.forbidden")
            return
        try:
            with session_scope() as s:
                out = staff_service.create_staff(
                    s, actor=actor, username=str(form.get("username", "")), full_name=str(form.get("full_name", "")),
                    role=self.form_role, password=str(form.get("password", "")) or None, pin=str(form.get("pin", "")) or None,
                    language=self.ui_lang_value(),
                )
                self._refresh(s, actor)
        except DomainError as exc:
            self.form_error = self.error(exc)
            return
        self.form_error = ""
        return [rx.toast.success(self.text("ui.staff.created", name=out.full_name)), rx.set_value("staff-username", ""),
                rx.set_value("staff-full-name", ""), rx.set_value("staff-password", ""), rx.set_value("staff-pin", "")]

    @rx.event
    def change_role(self, staff_id: int, role: str):
        return self._run(lambda s, a: staff_service.change_role(s, actor=a, staff_id=int(staff_id), role=role), "ui.staff.role_changed")

    @rx.event
    def set_active(self, staff_id: int, active: bool):
        key = "ui.staff.activated" if active else "ui.staff.deactivated"
        return self._run(lambda s, a: staff_service.set_active(s, actor=a, staff_id=int(staff_id), active=bool(active)), key)

    @rx.event
    def open_pin_dialog(self, staff_id: int, name: str):
        self._open_secret("pin", staff_id, name)

    @rx.event
    def open_password_dialog(self, staff_id: int, name: str):
        self._open_secret("password", staff_id, name)

    def _open_secret(self, kind: str, staff_id: int, name: str) -> None:
        self.secret_kind, self.pin_target_id, self.pin_target_name, self.pin_error = kind, int(staff_id), name, ""
        self.pin_dialog_open = True

    @rx.event
    def close_pin_dialog(self):
        self.pin_dialog_open = False

    @rx.event
    def reset_pin(self, form: dict):
        actor = self.backoffice_actor()
        if actor is None:
            self.pin_error = self.text("common.forbidden")
            return
        try:
            with session_scope() as s:
                secret = str(form.get("secret", ""))
                if self.secret_kind == "password":
                    out = staff_service.reset_password(s, actor=actor, staff_id=self.pin_target_id, password=secret)
                else:
                    out = staff_service.reset_pin(s, actor=actor, staff_id=self.pin_target_id, pin=secret)
                self._refresh(s, actor)
        except DomainError as exc:
            self.pin_error = self.error(exc)
            return
        self.pin_dialog_open = False
        key = "ui.staff.password_reset" if self.secret_kind == "password" else "ui.staff.pin_reset"
        return rx.toast.success(self.text(key, name=out.full_name))
