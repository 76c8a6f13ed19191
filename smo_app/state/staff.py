"""/admin/staff: list, create, change role, deactivate/reactivate, reset PIN (services.staff; the list
as this manager sees it is ``staff.roster``)."""
from __future__ import annotations

import reflex as rx

from smo_app.services.staff import accounts as staff_service
from smo_app.services.staff.dto import StaffOut
from smo_app.services.staff.roster import RosterRow, staff_roster
from smo_app.state.session import SessionState, one_tap, toast

StaffRow = RosterRow  # a row of the table, as the service says it (whom this actor may manage)


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
    # the role dialog: what a change needs besides the role — a password (backoffice), a PIN (the till),
    # the acting owner's password (making someone owner, removing an owner)
    role_dialog_open: bool = False
    role_mode: str = "role"  # role | deactivate
    role_target_id: int = 0
    role_target_name: str = ""
    role_new: str = ""
    role_asks: list[str] = []  # what the dialog asks: "password", "pin", "confirm"
    role_error: str = ""

    async def _reload(self) -> str:
        """Reload the list; "" or the translated reason it could not be read."""
        out = await self.call(staff_roster, readonly=True)
        self.rows = out.value.rows if out.ok else []
        self.assignable = out.value.assignable if out.ok else []
        return out.error

    @rx.event
    async def load(self):
        self.form_error = ""
        await self._reload()

    async def _act(self, fn, ok_key: str, **kwargs):
        """One staff action through :meth:`SessionState.call`, then the list again, then a toast."""
        out = await self.call(fn, **kwargs)
        if not out.ok:
            return toast(out)
        await self._reload()
        staff: StaffOut = out.value
        return toast(out, self.text(ok_key, name=staff.full_name, role=self.text(f"role.{staff.role.value}")))

    @rx.event
    def set_form_role(self, role: str):
        self.form_role = role

    @rx.event
    @one_tap
    async def create(self, form: dict):
        out = await self.call(
            staff_service.create_staff, once=True, username=str(form.get("username", "")), full_name=str(form.get("full_name", "")),
            role=self.form_role, password=str(form.get("password", "")) or None, pin=str(form.get("pin", "")) or None,
            language=self.ui_lang_value(),
        )
        self.form_error = out.error
        if not out.ok:
            return
        await self._reload()
        return [toast(out, self.text("ui.staff.created", name=out.value.full_name)), rx.set_value("staff-username", ""),
                rx.set_value("staff-full-name", ""), rx.set_value("staff-password", ""), rx.set_value("staff-pin", "")]

    def _row(self, staff_id: int) -> dict | None:
        for row in self.rows:
            values = row if isinstance(row, dict) else row.model_dump()
            if values["id"] == int(staff_id):
                return values
        return None

    @rx.event
    async def change_role(self, staff_id: int, role: str):
        """A new role from the row's list: at once, or through the dialog when the change needs a
        password, a PIN or the owner's confirmation."""
        row = self._row(staff_id)
        if row is None or row["role"] == role:
            return None
        needs = {"password": role != "seller" and not row["has_password"], "pin": role == "seller" and not row["has_pin"],
                 "confirm": "owner" in (role, row["role"])}
        if not any(needs.values()):
            return await self._act(staff_service.change_role, "ui.staff.role_changed", staff_id=int(staff_id), role=role)
        self._open_role("role", row, role, **needs)
        return None

    @rx.event
    async def set_active(self, staff_id: int, active: bool):
        row = self._row(staff_id)
        if row is not None and not active and row["role"] == "owner":
            self._open_role("deactivate", row, row["role"], password=False, pin=False, confirm=True)
            return None
        key = "ui.staff.activated" if active else "ui.staff.deactivated"
        return await self._act(staff_service.set_active, key, staff_id=int(staff_id), active=bool(active))

    def _open_role(self, mode: str, row: dict, role: str, *, password: bool, pin: bool, confirm: bool) -> None:
        self.role_mode, self.role_target_id, self.role_target_name, self.role_new = mode, row["id"], row["full_name"], role
        self.role_asks = [name for name, asked in (("password", password), ("pin", pin), ("confirm", confirm)) if asked]
        self.role_error, self.role_dialog_open = "", True

    @rx.event
    def close_role_dialog(self):
        self.role_dialog_open, self.role_error = False, ""

    @rx.event
    @one_tap
    async def confirm_role(self, form: dict):
        def given(name: str) -> str | None:
            return str(form.get(name, "")) or None

        if self.role_mode == "deactivate":
            out = await self.call(staff_service.set_active, staff_id=self.role_target_id, active=False,
                                  confirm_password=given("confirm_password"))
            key = "ui.staff.deactivated"
        else:
            out = await self.call(staff_service.change_role, staff_id=self.role_target_id, role=self.role_new,
                                  password=given("password"), pin=given("pin"), confirm_password=given("confirm_password"))
            key = "ui.staff.role_changed"
        self.role_error = out.error
        if not out.ok:
            return None
        self.role_dialog_open = False
        await self._reload()
        return toast(out, self.text(key, name=out.value.full_name, role=self.text(f"role.{out.value.role.value}")))

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
    async def reset_pin(self, form: dict):
        secret = str(form.get("secret", ""))
        if self.secret_kind == "password":
            out = await self.call(staff_service.reset_password, staff_id=self.pin_target_id, password=secret)
        else:
            out = await self.call(staff_service.reset_pin, staff_id=self.pin_target_id, pin=secret)
        self.pin_error = out.error
        if not out.ok:
            return
        self.pin_dialog_open = False
        await self._reload()
        key = "ui.staff.password_reset" if self.secret_kind == "password" else "ui.staff.pin_reset"
        return toast(out, self.text(key, name=out.value.full_name))

