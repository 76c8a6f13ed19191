"""The order card of /admin/orders (OR6, OR9, PA4): the order with the moves the state machine
allows (asked first when a move needs a reason or a confirmation; the service holds the reason
rule), the payment screenshot of a manual transfer with confirm / reject, the tracking number, a
message to the customer and a refund. After a change the card and the list
(:class:`~smo_app.state.orders.OrdersState`) read the order again."""
from __future__ import annotations

from typing import TypedDict

import reflex as rx

from smo_app import routes
from smo_app.services.core.audit_words import actor_name
from smo_app.services.delivery import waybills
from smo_app.services.payments import manual as manual_payments
from smo_app.services.payments import refunds
from smo_app.services.sales import order_admin
from smo_app.state.ops import money_text
from smo_app.state.orders import OrdersState
from smo_app.state.session import SessionState, one_tap, said, toast


class ActionView(TypedDict):
    action: str
    to_status: str
    label: str
    needs_reason: bool
    needs_confirmation: bool
    restock_choice: bool
    danger: bool


NO_ACTION = ActionView(action="", to_status="", label="", needs_reason=False, needs_confirmation=False,
                       restock_choice=False, danger=False)


class OrderCardState(SessionState):
    card_open: bool = False
    card_id: int = 0
    card: dict[str, str] = {}
    card_lines: list[dict[str, str]] = []
    card_sums: list[dict[str, str]] = []
    card_events: list[dict[str, str]] = []
    card_actions: list[ActionView] = []
    card_handoffs: list[str] = []
    card_customer_id: int = 0
    card_tracking: str = ""
    card_shipment: dict[str, str] = {}  # the CDEK waybill: status, carrier status, error — empty: none
    card_can_message: bool = False
    card_error: str = ""
    card_proof: dict[str, str] = {}  # url, sent, decision — empty: no screenshot
    proof_can_decide: bool = False
    _proof_payment_id: int = 0
    # asking before a move
    pending: ActionView = NO_ACTION
    confirm_open: bool = False
    confirm_error: str = ""

    @rx.event
    def load_page(self):
        """The orders page opens with the card closed, then loads the list."""
        self.card_open = self.confirm_open = False
        return OrdersState.load

    @rx.event
    async def open_card(self, order_id: int):
        self.card_error = ""
        error = await self._show_card(int(order_id))
        if error:
            return said(error, ok=False)
        self.card_open = True
        return None

    @rx.event
    def close_card(self):
        self.card_open = False

    async def _changed(self) -> None:
        """The card and the orders list read again after this card changed the order."""
        await self._show_card(self.card_id)
        orders_state = await self.get_state(OrdersState)
        await orders_state.reload()

    def _carrier_words(self, s) -> str:
        """CDEK's last status as a person reads it, with when (shop time)."""
        stage = waybills.carrier_stage(s.carrier_status)
        if not stage:
            return ""
        when = self.shop_time(s.carrier_status_at) if s.carrier_status_at else ""
        return self.text(f"carrier.stage.{stage}") + (f" · {when}" if when else "")

    async def _show_card(self, order_id: int) -> str:
        out = await self.call(order_admin.get_order_card, readonly=True, order_id=order_id)
        if not out.ok:
            return out.error
        c = out.value
        o = c.order
        self.card_id = o.id
        self.card_customer_id = c.customer.id if c.customer else 0
        self.card_tracking = c.tracking_number
        shipment = await self.call(waybills.shipment_of, readonly=True, order_id=order_id)
        s = shipment.value if shipment.ok else None
        self.card_shipment = {"status": s.status, "carrier": self._carrier_words(s), "error": s.error or "",
                              "url": s.tracking_url or ""} if s else {}
        self.card_can_message = c.can_message
        who = c.customer.name if c.customer and c.customer.name else (o.contact_name or o.buyer_name or "—")
        self.card = {
            "title": self.text("ui.orders.card_title", id=o.id), "status": self.text(f"ui.cust.order_status.{o.status}"),
            "status_key": o.status, "created": self.shop_time(o.created_at),
            "channel": self.text(f"ui.orders.channel.{o.channel}"), "customer": who,
            "username": f"@{c.customer.username}" if c.customer and c.customer.username else "",
            "contact": o.contact_name or "—", "phone": o.phone or (c.customer.phone if c.customer else "") or "—",
            "delivery": self.text(f"ui.orders.delivery.{o.delivery_type}"), "address": o.address or "—",
            "payer": self.text(f"ui.orders.payer.{o.delivery_payer}")
            + (f" · {money_text(self, o.shop_delivery_minor)}" if o.shop_delivery_minor else ""),
            "comment": o.comment or "—",
            "paid_at": self.shop_time(o.paid_at) or "—",
        }
        self.card_lines = [{"name": ln.name, "variant": ln.variant_label, "qty": str(ln.qty),
                            "price": money_text(self, ln.unit_price_minor), "discount": money_text(self, ln.discount_minor)
                            if ln.discount_minor else "", "total": money_text(self, ln.total_minor)} for ln in o.lines]
        sums = [("goods", o.goods_minor, False), ("discount_product", o.discounts.get("product", 0), True),
                ("discount_personal", o.discounts.get("personal", 0), True), ("promo", o.discounts.get("promo", 0), True),
                ("certificate", o.certificate_minor, True), ("bonuses", o.bonus_minor, True),
                ("delivery", o.delivery_minor, False)]
        self.card_sums = [{"label": self.text(f"ui.orders.sum.{k}"), "amount": ("−" if minus else "") + money_text(self, v)}
                          for k, v, minus in sums if v or k == "goods"]
        self.card_sums.append({"label": self.text("ui.orders.sum.total"), "amount": money_text(self, o.total_minor)})
        self.card_sums += [{"label": self.text(f"ui.orders.sum.{k}"), "amount": a} for k, a in (("refunded", "−" + money_text(self, o.refunded_minor)), ("net_paid", money_text(self, o.total_minor - o.refunded_minor))) if o.refunded_minor]  # noqa: E501
        lang = self.ui_lang_value()
        self.card_events = [{"when": self.shop_time(e.created_at),
                             "move": (self.text(f"ui.cust.order_status.{e.from_status}") + " → " if e.from_status else "")
                             + self.text(f"ui.cust.order_status.{e.to_status}"),
                             "who": actor_name(lang, e.actor_kind, e.actor_name) if e.actor_name
                             else self.text(f"ui.orders.actor.{e.actor_kind}"),
                             "reason": e.reason or ""} for e in o.events]
        self.card_actions = [ActionView(
            action=a.action, to_status=a.to_status,
            label=self.text(f"ui.orders.action.{a.action}", to=self.text(f"ui.cust.order_status.{a.to_status}")),
            needs_reason=a.needs_reason, needs_confirmation=a.needs_confirmation, restock_choice=a.restock_choice,
            danger=a.action == "cancel") for a in c.actions]
        self.card_handoffs = [self.text("ui.orders.handed", name=h.courier_name, when=self.shop_time(h.created_at))
                              for h in c.handoffs]
        await self._load_proof(o.id)
        return ""

    # -- the payment proof (a manual transfer's screenshot) ----------------------------------
    async def _load_proof(self, order_id: int) -> None:
        out = await self.call(manual_payments.order_proof, readonly=True, order_id=order_id)
        p = out.value if out.ok else None
        self._proof_payment_id = p.payment_id if p else 0
        self.proof_can_decide = bool(p and p.can_decide)
        if p is None:
            self.card_proof = {}
            return
        if p.decided_at is None:
            decision = self.text("ui.orders.proof.waiting")
        else:
            key = "ui.orders.proof.confirmed" if p.payment_status != "rejected" else "ui.orders.proof.rejected"
            decision = self.text(key, who=p.decided_by_name or "—", when=self.shop_time(p.decided_at),
                                 note=p.decision_note or "")
        self.card_proof = {
            "url": f"/api/payment-proofs/{p.payment_id}?v={int(p.uploaded_at.timestamp())}",
            "sent": self.text("ui.orders.proof.sent", when=self.shop_time(p.uploaded_at),
                              amount=money_text(self, p.amount_minor)),
            "decision": decision,
        }

    async def _decide_proof(self, accept: bool, note: str):
        if not self._proof_payment_id:
            return None
        out = await self.call(manual_payments.decide_manual_payment, once=True, payment_id=self._proof_payment_id,
                              accept=accept, note=note)
        if not out.ok:
            self.card_error = out.error
            return said(out.error, ok=False)
        self.card_error = ""
        await self._changed()
        return said(self.text(f"ui.orders.proof.{'confirmed' if accept else 'rejected'}_toast"))

    @rx.event
    @one_tap
    async def confirm_proof(self):
        return await self._decide_proof(True, "")

    @rx.event
    @one_tap
    async def reject_proof(self, form: dict):
        return await self._decide_proof(False, str(form.get("reason", "")))

    # -- moves ------------------------------------------------------------------------------
    @rx.event
    async def act(self, action: dict):
        """A move button: asked first when it needs a reason or a confirmation."""
        if action.get("needs_reason") or action.get("needs_confirmation") or action.get("restock_choice"):
            self.pending = ActionView(**{k: action[k] for k in ActionView.__annotations__})
            self.confirm_error = ""
            self.confirm_open = True
            return None
        return await self._move(str(action["to_status"]), "", True)

    @rx.event
    def close_confirm(self):
        self.confirm_open = False

    @rx.event
    @one_tap
    async def confirm(self, form: dict):
        restock = str(form.get("restock", "restock")) != "write_off"
        return await self._move(self.pending["to_status"], str(form.get("reason", "")), restock)

    async def _move(self, to_status: str, reason: str, restock: bool):
        out = await self.call(order_admin.move_order, once=True, order_id=self.card_id, to_status=to_status,
                              reason=reason, restock=restock)
        if not out.ok:
            self.confirm_error = self.card_error = out.error
            return toast(out)
        self.confirm_open, self.confirm_error, self.card_error = False, "", ""  # success answers the refusal
        await self._changed()
        return said(self.text("ui.orders.moved", status=self.text(f"ui.cust.order_status.{to_status}")))

    # -- tracking, message, refund ---------------------------------------------------------
    async def _card_call(self, fn, ok_key: str, **kwargs):
        out = await self.call(fn, order_id=self.card_id, **kwargs)
        self.card_error = out.error
        if not out.ok:
            return None
        await self._changed()
        return said(self.text(ok_key))

    @rx.event
    async def save_tracking(self, form: dict):
        return await self._card_call(order_admin.set_tracking_number, "ui.saved",
                                     tracking_number=str(form.get("tracking", "")))

    @rx.event
    async def send_message(self, form: dict):
        return await self._card_call(order_admin.message_order_customer, "ui.cust.message_queued",
                                     text=str(form.get("text", "")))

    @rx.event
    async def refund(self, form: dict):
        return await self._card_call(refunds.refund_as_typed, "ui.orders.refunded", amount=str(form.get("amount", "")),
                                     reason=str(form.get("reason", "")).strip())

    @rx.event
    async def print_waybill(self):
        out = await self.call(waybills.waybill_pdf, order_id=self.card_id)
        if not out.ok:
            return toast(out)
        return rx.download(data=out.value, filename=f"waybill-{self.card_id}.pdf")

    @rx.event
    async def retry_waybill(self):
        return await self._card_call(waybills.retry_waybill, "ui.orders.card.waybill_creating")

    @rx.event
    def open_customer(self):
        if self.card_customer_id:
            return rx.redirect(f"{routes.AREAS_BY_KEY['customers'].route}?customer={self.card_customer_id}")
        return None
