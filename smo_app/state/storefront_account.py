"""The Mini App's "My orders" and "My bonuses" (ST7, ST8, ST12) — a substate of the storefront state.

The orders screens follow status changes without a reload: while one of them is open, a light
background poll reads the customer's {order: status} digest every few seconds and reloads only
when something changed. The loyalty QR carries a short-lived signed token, never the bare id.
"""
from __future__ import annotations

import asyncio
import json

import reflex as rx

from smo_app.services.core.shop_locale import cached as cached_locale
from smo_app.services.customers import my_bonuses
from smo_app.services.delivery import waybills
from smo_app.services.sales import my_orders, orders
from smo_app.state.storefront import StoreState
from smo_app.state.storefront_cart import CartState
from smo_app.state.storefront_payment import StorefrontPaymentState, qr_data_uri

POLL_SECONDS = 3.0
POLL_MAX_ROUNDS = 400  # ~20 minutes of an open screen; reopening starts again


def local(moment):
    """A stored UTC moment in the shop's time zone (what the customer's receipt says)."""
    return moment.astimezone(cached_locale().tz)


class AccountState(StoreState):
    orders: list[dict[str, str]] = []
    order: dict[str, str] = {}
    order_lines: list[dict[str, str]] = []
    order_breakdown: list[dict[str, str]] = []
    order_events: list[dict[str, str]] = []
    polling: bool = False
    _digest: dict[int, str] = {}
    # bonuses
    balance: str = ""
    entries: list[dict[str, str]] = []
    invites: str = ""
    tier: str = ""
    referral_link: str = ""
    qr: str = ""
    qr_note: str = ""
    card_code: str = ""  # under the QR, for a seller to type

    def _status(self, status: str) -> str:
        return self.text(f"order.status.{status}")

    def _row(self, o: orders.OrderOut) -> dict[str, str]:
        created = local(o.created_at).strftime("%d.%m.%Y %H:%M")
        return {"id": str(o.id), "status": o.status, "status_text": self._status(o.status),
                "total": self.money(o.total_minor), "created": created,
                "items": str(sum(line.qty for line in o.lines))}

    def _cancel_reason(self, o: orders.OrderOut) -> str:
        """Why the order was cancelled, as the customer reads it (the last cancel's reason)."""
        event = next((e for e in reversed(o.events) if e.to_status == "cancelled"), None)
        if event is None:
            return ""
        if event.reason == "auto_cancel":
            return self.text("ui.sf.cancel_reason.auto_cancel")
        if event.actor_kind == "customer":
            return self.text("ui.sf.cancel_reason.customer")
        return (self.text("ui.sf.cancel_reason.shop", reason=event.reason) if event.reason
                else self.text("ui.sf.cancel_reason.shop_plain"))

    async def _load_orders(self) -> None:
        out = await self.call(orders.list_orders, readonly=True, page_size=30)
        if not self.failed(out):
            self.orders = [self._row(o) for o in out.value.rows]
            self._digest = {o.id: o.status for o in out.value.rows}

    async def _load_order(self, order_id: int) -> bool:
        out = await self.call(orders.get_order, readonly=True, order_id=order_id)
        if self.failed(out):
            return False
        o = out.value
        self.order = {**self._row(o), "delivery": self.text(f"ui.sf.delivery_{o.delivery_type}")
                      if o.delivery_type in ("pickup", "courier") else o.delivery_type,
                      "address": o.address, "contact": f"{o.contact_name} {o.phone}".strip(), "comment": o.comment,
                      "tracking": o.tracking_number,
                      "tracking_url": waybills.tracking_url(o.tracking_number) if o.tracking_number else ""}
        self.order_lines = [{"name": f"{line.name} {line.variant_label}".strip(), "qty": str(line.qty),
                             "sum": self.money(line.total_minor)} for line in o.lines]
        b = [{"label": self.text("ui.sf.goods"), "amount": self.money(o.goods_minor)}]
        for kind, amount in o.discounts.items():
            if amount:
                b.append({"label": self.text(f"ui.sf.discount_{kind}"), "amount": self.money(-amount)})
        if o.certificate_minor:
            b.append({"label": self.text("ui.sf.certificate"), "amount": self.money(-o.certificate_minor)})
        if o.bonus_minor:
            b.append({"label": self.text("ui.sf.bonuses"), "amount": self.money(-o.bonus_minor)})
        b.append({"label": self.text("ui.sf.delivery"), "amount": self.money(o.delivery_minor)})
        if o.refunded_minor:  # the money sent back, and what the order cost in the end
            b.append({"label": self.text("ui.sf.refunded"), "amount": self.money(-o.refunded_minor)})
            b.append({"label": self.text("ui.sf.net_paid"), "amount": self.money(o.total_minor - o.refunded_minor)})
        self.order_breakdown = b
        self.order["cancel_reason"] = self._cancel_reason(o) if o.status == "cancelled" else ""
        self.order_events = [{"status": self._status(e.to_status), "when": local(e.created_at).strftime("%d.%m %H:%M")}
                             for e in o.events]
        return True

    @rx.event
    async def show_orders(self):
        self._go("orders")
        await self._load_orders()
        return AccountState.start_poll

    @rx.event
    async def open_order(self, order_id: int | str):
        try:
            oid = int(order_id)
        except (TypeError, ValueError):
            return
        if not await self._load_order(oid):
            return
        if self.screen != "orders":
            self.history = ["orders"]
            self.screen = "order"
        else:
            self._go("order")
        await self._load_orders()
        if self.order.get("status") == "new":  # not paid yet: the payment step offers the shop's methods
            return [AccountState.start_poll, StorefrontPaymentState.open_payment(oid)]
        return AccountState.start_poll

    @rx.event
    async def repeat(self, order_id: str):
        result = await self.call(my_orders.repeat_order, order_id=int(order_id))
        if self.failed(result):
            return self.haptic("error")
        out = result.value
        self.count_cart(out.cart)
        parts = [self.text("ui.sf.repeat_added", n=len(out.added))]
        if out.short:
            parts.append(self.text("ui.sf.repeat_short", names=", ".join(out.short)))
        if out.skipped:
            parts.append(self.text("ui.sf.repeat_skipped", names=", ".join(out.skipped)))
        self.say(" ".join(parts), error=bool(out.skipped))
        return [self.haptic("success"), CartState.show_cart]

    @rx.event(background=True)
    async def start_poll(self):
        """While My orders or an order is open: follow status changes (no reload needed)."""
        async with self:
            if self.polling:
                return
            self.polling = True
        try:
            for _ in range(POLL_MAX_ROUNDS):
                await asyncio.sleep(POLL_SECONDS)
                async with self:
                    if self.screen not in ("orders", "order") or self.phase != "ready":
                        return
                    digest = await self.call(my_orders.order_statuses, readonly=True)
                    if self.failed(digest) or digest.value == self._digest:
                        continue
                    await self._load_orders()
                    if self.screen == "order" and self.order.get("id"):
                        await self._load_order(int(self.order["id"]))
        finally:
            async with self:
                self.polling = False

    # -- bonuses ---------------------------------------------------------------------------------
    @rx.event
    async def show_bonuses(self):
        self._go("bonuses")
        out = await self.call(my_bonuses.my_bonuses, readonly=True)
        if self.failed(out):
            return
        b = out.value.bonuses
        self.balance = self.money(b.balance_minor)
        self.entries = [{"kind": self.text(f"ui.sf.entry_{e.kind}"), "amount": self.money(e.amount_minor),
                         "when": local(e.created_at).strftime("%d.%m.%Y"), "plus": "1" if e.amount_minor > 0 else ""}
                        for e in b.entries]
        self.invites = self.text("ui.sf.invites", n=b.invites, pct=b.lifetime_pct)
        self.tier = (self.text("ui.sf.next_tier", left=b.next_tier_invites - b.invites)
                     if b.next_tier_invites is not None else self.text("ui.sf.top_tier"))
        self.referral_link = out.value.referral_link
        self.qr = qr_data_uri(out.value.qr_token)
        self.card_code = out.value.card_code
        self.qr_note = self.text("ui.sf.qr_note", minutes=out.value.qr_minutes)

    @rx.event
    async def refresh_qr(self):
        out = await self.call(my_bonuses.my_loyalty_card)
        if not self.failed(out):
            self.qr = qr_data_uri(out.value.qr_token)
            self.card_code = out.value.card_code

    @rx.event
    def share_referral(self):
        return rx.call_script(f"window.smoTg && window.smoTg.share({json.dumps(self.referral_link)}, '')")
