"""/admin/api-tokens: issue a staff API token (shown once), list them, revoke (services.staff.api_tokens)."""
from __future__ import annotations

import reflex as rx
from pydantic import BaseModel

from smo_app.services.integrations import outbound_webhooks
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


class HookView(BaseModel):
    id: int
    url: str
    events: str


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
    secret_is_hook: bool = False  # the secret shown is a webhook's signing key, not a token
    # webhooks: subscriber URLs for the shop's events
    hooks: list[HookView] = []
    hook_events: list[str] = list(outbound_webhooks.EVENTS)
    chosen_events: list[str] = []
    hook_error: str = ""

    async def _reload(self) -> None:
        out = await self.call(api_tokens.list_tokens, readonly=True)
        self.rows = [self._view(t) for t in out.value] if out.ok else []
        hooks = await self.call(outbound_webhooks.list_webhooks, readonly=True)
        self.hooks = [HookView(id=h.id, url=h.url, events=", ".join(h.events)) for h in hooks.value] if hooks.ok else []

    def _view(self, t: api_tokens.TokenRow) -> TokenView:
        state = "active" if t.active else ("revoked" if t.revoked_at else "expired")
        return TokenView(id=t.id, name=t.name, prefix=t.prefix + "…", staff_name=t.staff_name, scopes=", ".join(t.scopes),
                         expires=self.shop_time(t.expires_at),
                         used=self.shop_time(t.last_used_at) if t.last_used_at else self.text("ui.api_tokens.never"),
                         state=state)

    @rx.event
    async def load(self):
        self.form_error, self.secret, self.secret_name, self.hook_error = "", "", "", ""
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
        self.secret, self.secret_name, self.secret_is_hook = out.value.secret, out.value.token.name, False
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

    # -- webhooks ------------------------------------------------------------------------------
    @rx.event
    def toggle_event(self, event: str, on: bool):
        chosen = [e for e in self.chosen_events if e != event]
        self.chosen_events = chosen + [event] if on else chosen

    @rx.event
    async def add_hook(self, form: dict):
        out = await self.call(outbound_webhooks.add_webhook, url=str(form.get("url", "")), events=list(self.chosen_events))
        self.hook_error = out.error
        if not out.ok:
            return
        self.secret, self.secret_name, self.secret_is_hook = out.value.secret, out.value.webhook.url, True
        self.chosen_events = []
        await self._reload()
        return [toast(out, self.text("ui.webhooks.added")), rx.set_value("hook-url", "")]

    @rx.event
    async def remove_hook(self, hook_id: int):
        out = await self.call(outbound_webhooks.remove_webhook, webhook_id=int(hook_id))
        if out.ok:
            await self._reload()
        return toast(out, self.text("ui.webhooks.removed"))
