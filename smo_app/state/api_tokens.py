"""/admin/api-tokens: issue a staff API token (shown once), list them, revoke (services.staff.api_tokens)."""
from __future__ import annotations

import reflex as rx
from pydantic import BaseModel

from smo_app.services.staff import api_tokens
from smo_app.state.session import SessionState, toast


class TokenView(BaseModel):
    """A row of the table, as the screen shows it (times in the shop's zone)."""
    id: int
    name: str
    prefix: str
    staff_name: str
    scopes: str
    expires: str
    used: str
    state: str  # active | revoked | expired


class StaffChoice(BaseModel):
    id: str
    label: str


class ApiTokensState(SessionState):
    rows: list[TokenView] = []
    staff_choices: list[StaffChoice] = []
    scope_names: list[str] = []
    chosen_scopes: list[str] = []
    form_staff: str = ""
    form_error: str = ""
    secret: str = ""  # the token just issued: shown once, forgotten when the dialog closes
    secret_name: str = ""

    async def _reload(self) -> None:
        out = await self.call(api_tokens.list_tokens, readonly=True)
        self.rows = [self._view(t) for t in out.value] if out.ok else []

    def _view(self, t: api_tokens.TokenRow) -> TokenView:
        state = "active" if t.active else ("revoked" if t.revoked_at else "expired")
        return TokenView(id=t.id, name=t.name, prefix=t.prefix + "…", staff_name=t.staff_name, scopes=", ".join(t.scopes),
                         expires=self.shop_time(t.expires_at),
                         used=self.shop_time(t.last_used_at) if t.last_used_at else self.text("ui.api_tokens.never"),
                         state=state)

    @rx.event
    async def load(self):
        self.form_error, self.secret, self.secret_name = "", "", ""
        form = await self.call(api_tokens.token_form, readonly=True)
        if form.ok:
            self.staff_choices = [StaffChoice(id=str(i), label=f"{name} ({self.text('role.' + role)})")
                                  for i, name, role in form.value.staff]
            self.scope_names = form.value.scopes
            ids = [c.id for c in self.staff_choices]
            self.form_staff = self.form_staff if self.form_staff in ids else (ids[0] if ids else "")  # themself first
        await self._reload()

    @rx.event
    def set_form_staff(self, value: str):
        self.form_staff = value

    @rx.event
    def toggle_scope(self, scope: str, on: bool):
        chosen = [s for s in self.chosen_scopes if s != scope]
        self.chosen_scopes = chosen + [scope] if on else chosen

    @rx.event
    async def create(self, form: dict):
        out = await self.call(api_tokens.create_token, name=str(form.get("name", "")), staff_id=self.form_staff,
                              scopes=list(self.chosen_scopes), days=str(form.get("days", "")))
        self.form_error = out.error
        if not out.ok:
            return
        self.secret, self.secret_name = out.value.secret, out.value.token.name
        self.chosen_scopes = []
        await self._reload()
        return [toast(out, self.text("ui.api_tokens.created", name=out.value.token.name)),
                rx.set_value("token-name", "")]

    @rx.event
    def forget_secret(self):
        self.secret, self.secret_name = "", ""

    @rx.event
    async def revoke(self, token_id: int):
        out = await self.call(api_tokens.revoke_token, token_id=int(token_id))
        if not out.ok:
            return toast(out)
        await self._reload()
        return toast(out, self.text("ui.api_tokens.revoked", name=out.value.name))
