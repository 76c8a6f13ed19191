"""/admin/payments → Set-up (owner): where transfers go (recipient, bank, account or card, the
comment with the order number), the SBP link, how soon a screenshot is usually checked. Thin:
``services.payments.setup`` validates and audits."""
from __future__ import annotations

from typing import TypedDict

import reflex as rx

from smo_app.services.payments import setup
from smo_app.state.session import SessionState, toast

FIELDS = ("recipient", "bank", "account", "comment", "sbp_link", "review_minutes")


class KeyRow(TypedDict):
    name: str
    label: str
    state: str  # "••••1234", "set in the environment", "not set"
    from_env: bool


class MethodRow(TypedDict):
    key: str
    label: str
    on: bool


class PaymentsSetupState(SessionState):
    allowed: bool = False  # the owner (settings) — others do not see the tab
    transfer: dict[str, str] = {}
    setup_error: str = ""
    methods: list[MethodRow] = []
    methods_from_env: bool = False
    keys: list[KeyRow] = []
    webhooks: list[dict[str, str]] = []
    check_result: str = ""
    check_ok: bool = False
    receipts: bool = False  # 54-FZ receipts through YooKassa
    vat_code: str = "1"
    tax_system_code: str = ""
    receipts_from_env: bool = False
    _typed: dict[str, str] = {}  # keys typed but not saved yet (backend only: never sent back to the browser)

    @rx.event
    async def load_setup(self):
        out = await self.call(setup.get_transfer, readonly=True)
        self.allowed = out.ok
        if out.ok:
            self._show(out.value)
            providers = await self.call(setup.get_providers, readonly=True)
            if providers.ok:
                self._show_providers(providers.value)

    def _show_providers(self, p: setup.ProvidersOut) -> None:
        self.methods = [MethodRow(key=m, label=self.text(f"ui.payment.method.{m}"), on=m in p.methods)
                        for m in setup.METHODS]
        self.methods_from_env = p.methods_from_env
        self.receipts, self.vat_code, self.receipts_from_env = p.receipts, str(p.vat_code), p.receipts_from_env
        self.tax_system_code = str(p.tax_system_code or "")
        self.keys = [KeyRow(name=f.name, label=self.text(f"ui.payments.setup.f.{f.name}"), from_env=f.from_env,
                            state=self.text("ui.payments.setup.from_env") + (f" ({f.masked})" if f.masked else "")
                            if f.from_env else (f.masked or self.text("ui.payments.setup.not_set")))
                     for f in p.fields]
        self.webhooks = [{"provider": self.text(f"ui.payment.method.{k}"), "url": v} for k, v in p.webhook_urls.items()]

    @rx.event
    async def save_providers(self, form: dict):
        data = setup.ProvidersIn(methods=[m for m in setup.METHODS if str(form.get(f"m_{m}", "")) in ("on", "true")],
                                 receipts=str(form.get("receipts", "")) in ("on", "true"),
                                 vat_code=str(form.get("vat_code", "1")),
                                 tax_system_code=str(form.get("tax_system_code", "")),
                                 values={k["name"]: str(form.get(k["name"], "")) for k in self.keys})
        out = await self.call(setup.save_providers, data=data)
        self.setup_error = out.error
        if out.ok:
            self._typed = {}
            self._show_providers(out.value)
        return toast(out, self.text("ui.payments.setup_saved"))

    @rx.event
    def remember_key(self, name: str, value: str):
        """A key field left: kept (server side) for "check connection" before it is saved."""
        if name in dict(setup.FIELDS):
            self._typed = {**self._typed, name: str(value or "")}

    @rx.event
    async def check(self, provider: str):
        """"Check connection" with the keys typed (a field left empty: the saved or environment one);
        the answer in words."""
        out = await self.call(setup.check_provider, provider=provider, values=dict(self._typed))
        self.check_ok = out.ok
        if out.ok:
            c = out.value
            self.check_result = self.text("ui.payments.setup.check_ok", provider=self.text(f"ui.payment.method.{provider}"),
                                          account=c.account,
                                          test=self.text("ui.payments.setup.test_suffix") if c.test else "")
        else:
            self.check_result = out.error

    def _show(self, d: setup.TransferDetails) -> None:
        self.transfer = {f: str(getattr(d, f)) for f in FIELDS}

    @rx.event
    async def save_transfer(self, form: dict):
        data = setup.TransferIn(**{f: str(form.get(f, "")) for f in FIELDS})
        out = await self.call(setup.save_transfer, data=data)
        self.setup_error = out.error
        if out.ok:
            self._show(out.value)
        return toast(out, self.text("ui.payments.setup_saved"))
