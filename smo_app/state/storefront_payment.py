"""The Mini App's payment step (ST6): pick a method the shop enabled, pay, and watch the order turn
"paid" by itself when the provider's notification lands (a background poll, no reload). Telegram
invoices open with ``Telegram.WebApp.openInvoice``; its ``invoiceClosed`` status drives the screen.
A failure or cancel says what happened and lets the customer try again or pick another method."""
from __future__ import annotations

import asyncio
import base64
import functools
import io
from typing import TypedDict

import reflex as rx
import segno

from smo_app.money import format_money
from smo_app.services.payments import core as payments
from smo_app.state.customer_session import CustomerSessionState

PROOF_INPUT = "payment-proof-file"  # the file input of the payment step (components/storefront_payment.py)
POLL_SECONDS = 2.0
WATCH_MINUTES = 15
PROOF_REVIEW_MINUTES = 30  # "a manager usually checks within N minutes"
TELEGRAM_METHODS = ("telegram", "stars")


@functools.lru_cache(maxsize=256)
def qr_data_uri(text: str) -> str:
    """An SVG QR code as a data: URI (segno, pinned in requirements.txt). Milliseconds of CPU:
    handlers make it off the event loop (``asyncio.to_thread``), once per link."""
    buf = io.BytesIO()
    segno.make(text, error="m").save(buf, kind="svg", scale=6, border=2, dark="#000000", light="#ffffff")
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode()


class MethodOption(TypedDict):
    key: str
    label: str


def _open_invoice_js(url: str) -> str:
    """Open a Telegram invoice; the callback gets ``paid`` / ``cancelled`` / ``failed`` / ``pending``."""
    return ("new Promise(function (resolve) { var wa = window.Telegram && window.Telegram.WebApp;"
            " if (!wa || !wa.openInvoice) { window.open(%r, '_blank'); resolve('pending'); return; }"
            " wa.openInvoice(%r, function (status) { resolve(status); }); })" % (url, url))


def _open_link_js(url: str) -> str:
    return ("(function () { var wa = window.Telegram && window.Telegram.WebApp;"
            " if (wa && wa.openLink) { wa.openLink(%r); } else { window.open(%r, '_blank'); } })()" % (url, url))


def upload_refusal(state, result: dict | None) -> str | None:
    """What the page's upload answered (``window.smoTg.uploadFile``): None when it was taken, else
    why not, translated (also the booking's deposit screenshot)."""
    result = result if isinstance(result, dict) else {}
    if result.get("ok"):
        return None
    return str(result.get("message") or "") or state.text("common.unexpected_error")


class StorefrontPaymentState(CustomerSessionState):
    pay_order_id: int = 0
    pay_methods: list[MethodOption] = []
    pay_method: str = ""
    pay_total: str = ""
    pay_status: str = ""  # "", waiting, paid, failed, cancelled, proof_sent
    pay_message: str = ""
    pay_busy: bool = False
    pay_deadline: str = ""  # "pay by 14:35 — 12 min left" (shop time), while the order waits for payment
    # where a transfer goes (recipient, bank, account, comment, sbp_link, sbp_qr); {} when the shop entered none
    pay_transfer: dict[str, str] = {}
    _review_minutes: int = PROOF_REVIEW_MINUTES
    _watching: bool = False

    async def _show(self, view: payments.PaymentViewOut) -> None:
        self.pay_order_id = view.order_id
        self.pay_total = format_money(view.total_minor, "RUB", self.shop_lang)
        self.pay_methods = [MethodOption(key=m, label=self.text(f"ui.payment.method.{m}")) for m in view.methods]
        if self.pay_method not in view.methods:
            self.pay_method = view.methods[0] if view.methods else ""
        t = view.transfer
        if t is None:
            self.pay_transfer = {}
        elif self.pay_transfer.get("comment") != t.comment or self.pay_transfer.get("sbp_link") != t.sbp_link:
            self.pay_transfer = {"recipient": t.recipient, "bank": t.bank, "account": t.account, "comment": t.comment,
                                 "sbp_link": t.sbp_link,
                                 "sbp_qr": await asyncio.to_thread(qr_data_uri, t.sbp_link) if t.sbp_link else ""}
        self._review_minutes = t.review_minutes if t is not None else PROOF_REVIEW_MINUTES
        self.pay_deadline = (self.text("ui.pay.deadline", time=view.pay_by_local, minutes=view.minutes_left)
                             if view.pay_by is not None and view.order_status == "new" else "")
        if view.order_status != "new":
            self.pay_status = "paid" if view.order_status != "cancelled" else ""
        elif view.proof_waiting is not None:  # the screenshot is with staff: kept when the order is reopened
            self.pay_status, self.pay_method = "proof_sent", "manual"
            self.pay_message = self.text("ui.pay.proof_review", minutes=self._review_minutes)
        elif view.latest is not None and view.latest.status == "canceled" and self.pay_status == "waiting":
            self.pay_status, self.pay_message = "cancelled", self.text("ui.pay.cancelled")

    @rx.event
    async def open_payment(self, order_id: int):
        """Show the step for ``order_id`` (the checkout passes the new order's id)."""
        out = await self.call(payments.payment_view, readonly=True, order_id=int(order_id))
        self.pay_message = out.error
        if out.ok:
            self.pay_status = ""
            await self._show(out.value)
            if self.pay_status == "proof_sent":
                return StorefrontPaymentState.watch

    @rx.event
    def choose_method(self, method: str):
        if method in {m["key"] for m in self.pay_methods}:
            self.pay_method, self.pay_status, self.pay_message = method, "", ""

    @rx.event
    async def pay(self):
        if not self.pay_order_id or not self.pay_method or self.pay_method == "manual":
            return
        self.pay_busy, self.pay_message = True, ""
        started = await self.call(payments.start_payment, order_id=self.pay_order_id, provider=self.pay_method)
        self.pay_busy = False
        if not started.ok:
            self.pay_status, self.pay_message = "failed", started.error
            return
        out = started.value
        self.pay_status = "waiting"
        if self.pay_method in TELEGRAM_METHODS and out.confirmation_url:
            return [rx.call_script(_open_invoice_js(out.confirmation_url), callback=StorefrontPaymentState.invoice_closed),
                    StorefrontPaymentState.watch]
        if out.confirmation_url:
            return [rx.call_script(_open_link_js(out.confirmation_url)), StorefrontPaymentState.watch]
        return StorefrontPaymentState.watch

    @rx.event
    def invoice_closed(self, status: str):
        """Telegram's ``invoiceClosed`` status: paid → wait for the confirmation; else say what happened."""
        if status == "cancelled":
            self.pay_status, self.pay_message = "cancelled", self.text("ui.pay.cancelled")
        elif status == "failed":
            self.pay_status, self.pay_message = "failed", self.text("ui.pay.failed")
        else:
            self.pay_status = "waiting"

    @rx.event
    def send_proof(self, _value: str = ""):
        """The customer picked a screenshot: the page sends it over HTTP (api/storefront_proof.py)."""
        if not self.pay_order_id:
            return
        self.pay_busy, self.pay_message = True, ""
        return rx.call_script(f"window.smoTg.uploadProof({int(self.pay_order_id)}, {PROOF_INPUT!r})",
                              callback=StorefrontPaymentState.proof_uploaded)

    @rx.event
    def proof_uploaded(self, result: dict | None):
        """What the upload answered: sent (staff are told, the order is watched) or why not."""
        self.pay_busy = False
        refusal = upload_refusal(self, result)
        if refusal is not None:
            self.pay_message = refusal
            return
        self.pay_status, self.pay_message = "proof_sent", self.text("ui.pay.proof_review", minutes=self._review_minutes)
        self.pay_deadline = ""  # the order waits for staff now, not for the clock
        return StorefrontPaymentState.watch

    @rx.event(background=True)
    async def watch(self):
        """Poll the order until it is paid (the webhook landed) or the customer cancelled."""
        async with self:
            if self._watching:
                return
            self._watching = True
            order_id = self.pay_order_id
        try:
            for _ in range(int(WATCH_MINUTES * 60 / POLL_SECONDS)):
                await asyncio.sleep(POLL_SECONDS)
                out = await self.call(payments.payment_view, readonly=True, order_id=order_id)
                view = out.value if out.ok else None
                async with self:
                    if view is None or self.pay_order_id != order_id or self.pay_status in ("cancelled", "failed", ""):
                        return
                    await self._show(view)
                    if self.pay_status == "paid":
                        self.pay_message = self.text("ui.pay.paid")
                        return
        finally:
            async with self:
                self._watching = False
