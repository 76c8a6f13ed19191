"""/admin/erp: the MoySklad connection (owner) and the sync panel (owner, admin). Thin: every
handler calls a service through :meth:`SessionState.call` and shows what it decided."""
from __future__ import annotations

import time
from typing import TypedDict

import reflex as rx

from smo_app.services.erp import connection, status
from smo_app.state.dead_letters import dismiss_from_form, reason_text
from smo_app.state.session import SessionState, said, toast


class RunLine(TypedDict):
    kind: str
    status: str
    when: str
    changed: str
    requests: str
    throttled: str
    error: str


class ConflictLine(TypedDict):
    id: int
    when: str
    reason: str
    detail: str


class Choice(TypedDict):
    id: str
    name: str


class ErpState(SessionState):
    # the connection form
    can_configure: bool = False
    enabled: bool = False
    token_masked: str = ""
    token_from_env: bool = False
    token_kind: str = "user"
    store_id: str = ""
    price_type: str = ""
    organization_id: str = ""
    agent_id: str = ""
    shop_owns_descriptions: bool = True
    new_items_hidden: bool = False
    push_orders: bool = True
    webhook_url: str = ""
    stores: list[Choice] = []
    organizations: list[Choice] = []
    price_types: list[Choice] = []
    agents: list[Choice] = []
    form_error: str = ""
    # the panel
    last_full: str = ""
    last_incremental: str = ""
    last_error: str = ""
    linked_items: int = 0
    pushed_orders: int = 0
    runs: list[RunLine] = []
    conflicts: list[ConflictLine] = []
    syncing: bool = False
    loaded: bool = False
    _synced_at: float = 0.0

    @rx.event
    async def load(self):
        await self._load_status()
        if self.can_configure:
            out = await self.call(connection.get_connection, readonly=True)
            if out.ok:
                c = out.value
                self.enabled, self.token_masked, self.token_from_env = c.enabled, c.token_masked, c.token_from_env
                self.token_kind, self.store_id, self.price_type = c.token_kind, c.store_id, c.price_type
                self.organization_id, self.agent_id = c.organization_id, c.agent_id
                self.shop_owns_descriptions, self.new_items_hidden = c.shop_owns_descriptions, c.new_items_hidden
                self.push_orders, self.webhook_url = c.push_orders, c.webhook_url
                self._keep_choices(c)
        self.loaded = True

    def _keep_choices(self, c) -> None:
        """What is saved stays selectable before MoySklad is asked for its lists."""
        for attr, cid, name in (("stores", c.store_id, c.store_name), ("organizations", c.organization_id,
                                                                        c.organization_name),
                                ("agents", c.agent_id, c.agent_name)):
            if cid and not any(x["id"] == cid for x in getattr(self, attr)):
                setattr(self, attr, [*getattr(self, attr), Choice(id=cid, name=name or cid)])
        if c.price_type and not any(x["name"] == c.price_type for x in self.price_types):
            self.price_types = [*self.price_types, Choice(id=c.price_type, name=c.price_type)]

    async def _load_status(self) -> None:
        out = await self.call(status.sync_status, readonly=True)
        if not out.ok:
            return
        s = out.value
        self.can_configure = s.can_configure
        self.last_full = self._run_text(s.last_full)
        self.last_incremental = self._run_text(s.last_incremental)
        lang = self.ui_lang_value()
        self.last_error = (reason_text(s.last_error.error_code or "", lang) + (
            f" ({s.last_error.error})" if s.last_error.error else "")) if s.last_error else ""
        self.linked_items, self.pushed_orders = s.linked_items, s.pushed_orders
        self.runs = [RunLine(kind=self.text(f"ui.erp.kind.{r.kind}"), status=self.text(f"ui.erp.status.{r.status}"),
                             when=self.shop_time(r.started_at, "%d.%m %H:%M:%S"),
                             changed=self.text("ui.erp.changed", created=r.items_created, updated=r.items_updated,
                                               stock=r.stock_changed, archived=r.items_archived),
                             requests=str(r.requests), throttled=str(r.throttled),
                             error=reason_text(r.error_code, lang) if r.error_code else "") for r in s.recent]
        self.conflicts = [ConflictLine(id=d.id, when=self.shop_time(d.created_at), reason=reason_text(d.reason, lang),
                                       detail=d.detail or "") for d in s.conflicts]

    def _run_text(self, run) -> str:
        if run is None:
            return self.text("ui.erp.never")
        return self.text("ui.erp.run_line", when=self.shop_time(run.started_at, "%d.%m.%Y %H:%M"),
                         status=self.text(f"ui.erp.status.{run.status}"), seen=run.items_seen,
                         changed=run.items_created + run.items_updated + run.stock_changed, requests=run.requests,
                         throttled=run.throttled)

    @rx.event
    async def sync_now(self):
        if self.syncing or time.monotonic() - self._synced_at < 2.0:  # a double tap runs one pull
            return
        self.syncing = True
        yield
        out = await self.call(status.sync_now)
        self.syncing, self._synced_at = False, time.monotonic()
        await self._load_status()
        if not out.ok:
            yield toast(out)
            return
        run = out.value
        yield (said(self.text("ui.erp.synced", seen=run.items_seen, created=run.items_created))
               if run.status == "ok" else said(self.last_error or self.text("ui.erp.status.failed"), ok=False))

    @rx.event
    async def check(self, form: dict):
        out = await self.call(connection.check_connection, token=str(form.get("token", "")))
        if not out.ok:
            self.form_error = out.error
            return
        d = out.value
        self.form_error = ""
        self.stores = [Choice(id=r.id, name=r.name) for r in d.stores]
        self.organizations = [Choice(id=r.id, name=r.name) for r in d.organizations]
        self.agents = [Choice(id=r.id, name=r.name) for r in d.counterparties]
        self.price_types = [Choice(id=r.name, name=r.name) for r in d.price_types]
        self.store_id = self.store_id or (d.stores[0].id if d.stores else "")
        self.organization_id = self.organization_id or (d.organizations[0].id if d.organizations else "")
        self.agent_id = self.agent_id or (d.counterparties[0].id if d.counterparties else "")
        self.price_type = self.price_type or (d.price_types[0].name if d.price_types else "")
        return said(self.text("ui.erp.connected", stores=len(d.stores)))

    @rx.event
    async def save(self, form: dict):
        def name(options: list[Choice], cid: str) -> str:
            return next((o["name"] for o in options if o["id"] == cid), "")

        store, org, agent = (str(form.get(k, "") or "") for k in ("store_id", "organization_id", "agent_id"))
        data = connection.ConnectionIn(
            enabled=bool(form.get("enabled")), token=str(form.get("token", "") or "") or None,
            token_kind=str(form.get("token_kind") or "user"), store_id=store, store_name=name(self.stores, store),
            price_type=str(form.get("price_type", "") or ""), organization_id=org,
            organization_name=name(self.organizations, org), agent_id=agent, agent_name=name(self.agents, agent),
            shop_owns_descriptions=bool(form.get("shop_owns_descriptions")),
            new_items_hidden=bool(form.get("new_items_hidden")), push_orders=bool(form.get("push_orders")))
        out = await self.call(connection.save_connection, data=data)
        if not out.ok:
            self.form_error = out.error
            return
        self.form_error = ""
        c = out.value
        self.enabled, self.token_masked = c.enabled, c.token_masked
        self.store_id, self.organization_id, self.agent_id, self.price_type = (
            c.store_id, c.organization_id, c.agent_id, c.price_type)
        await self._load_status()
        return said(self.text("ui.erp.saved"))

    @rx.event
    def set_field(self, field: str, value: str):
        if field in ("store_id", "organization_id", "agent_id", "price_type", "token_kind"):
            setattr(self, field, value)

    @rx.event
    async def dismiss(self, form: dict):
        return await dismiss_from_form(self, form, self._load_status)
