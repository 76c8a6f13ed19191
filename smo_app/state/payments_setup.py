"""/admin/payments → Set-up (owner): where transfers go (recipient, bank, account or card, the
comment with the order number), the SBP link, how soon a screenshot is usually checked. Thin:
``services.payments.setup`` validates and audits."""
from __future__ import annotations

import reflex as rx

from smo_app.services.payments import setup
from smo_app.state.session import SessionState, toast

FIELDS = ("recipient", "bank", "account", "comment", "sbp_link", "review_minutes")


class PaymentsSetupState(SessionState):
    allowed: bool = False  # the owner (settings) — others do not see the tab
    transfer: dict[str, str] = {}
    setup_error: str = ""

    @rx.event
    async def load_setup(self):
        out = await self.call(setup.get_transfer, readonly=True)
        self.allowed = out.ok
        if out.ok:
            self._show(out.value)

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
