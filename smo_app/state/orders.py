"""/admin/orders (OR6–OR9, PA4): tabs with counts, search, dates and paging on the server; the order
card with the moves the state machine allows, tracking number, a message to the customer, a refund
when the payments service is installed; the delivery list, pick list and courier handoff; the B2B
entry form. Every call goes through :meth:`SessionState.call` (off the event loop)."""
from __future__ import annotations

from datetime import date
from typing import TypedDict

import reflex as rx

from smo_app import routes
from smo_app.money import parse_money
from smo_app.services.payments import manual as manual_payments
from smo_app.services.sales import b2b, couriers, order_admin, orders
from smo_app.state.ops import money_text
from smo_app.state.session import SessionState

try:  # the payments engineer's refunds (PA4); the button hides while it is absent
    from smo_app.services.payments import refunds as _refunds
except ImportError:  # pragma: no cover - depends on what is installed
    _refunds = None

PICK_LIST = routes.ORDER_PICK_LIST
TAB_KEYS = (*order_admin.TABS, "delivery")


class OrderRowView(TypedDict):
    id: int
    when: str
    status: str
    status_text: str
    customer: str
    phone: str
    total: str
    delivery: str
    address: str
    tracking: str


class ActionView(TypedDict):
    action: str
    to_status: str
    label: str
    needs_reason: bool
    needs_confirmation: bool
    restock_choice: bool
    danger: bool


class TabView(TypedDict):
    key: str
    label: str
    count: int


def parse_b2b_lines(text: str) -> tuple[list[dict], list[int]]:
    """``variant_id qty price`` per line → item dicts, and the numbers of the lines that are not."""
    items, bad = [], []
    for no, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.replace(";", " ").split()
        try:
            if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit() or int(parts[1]) < 1:
                raise ValueError(line)
            items.append({"variant_id": int(parts[0]), "qty": int(parts[1]), "unit_price_minor": parse_money(parts[2])})
        except ValueError:
            bad.append(no)
    return items, bad


class OrdersState(SessionState):
    tab: str = "active"
    query: str = ""
    date_from: str = ""
    date_to: str = ""
    page: int = 1
    has_next: bool = False
    tabs: list[TabView] = []
    rows: list[OrderRowView] = []
    message: str = ""
    selected: list[int] = []
    # the card
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
    card_can_message: bool = False
    card_error: str = ""
    refund_available: bool = _refunds is not None
    card_proof: dict[str, str] = {}  # url, sent, decision — empty: no screenshot
    proof_can_decide: bool = False
    _proof_payment_id: int = 0
    # asking before a move
    pending: ActionView = ActionView(action="", to_status="", label="", needs_reason=False, needs_confirmation=False,
                                     restock_choice=False, danger=False)
    confirm_open: bool = False
    confirm_error: str = ""
    # courier handoff and B2B entry
    couriers: list[dict[str, str]] = []
    handoffs: list[dict[str, str]] = []
    handoff_open: bool = False
    handoff_error: str = ""
    b2b_open: bool = False
    b2b_error: str = ""

    # -- the list ---------------------------------------------------------------------------
    @rx.event
    async def load(self):
        self.card_open = self.confirm_open = self.handoff_open = self.b2b_open = False
        await self._list()
        await self._load_handoffs()

    @rx.event
    async def set_tab(self, tab: str):
        self.tab = tab if tab in TAB_KEYS else "active"
        self.page = 1
        self.selected = []
        await self._list()

    @rx.event
    async def search(self, form: dict):
        self.query = str(form.get("q", "")).strip()
        self.date_from = str(form.get("from", "")).strip()
        self.date_to = str(form.get("to", "")).strip()
        self.page = 1
        await self._list()

    @rx.event
    async def go(self, delta: int):
        self.page = max(1, self.page + int(delta))
        await self._list()

    @rx.event
    def toggle(self, order_id: int, on: bool):
        order_id = int(order_id)
        rest = [i for i in self.selected if i != order_id]
        self.selected = [*rest, order_id] if on else rest

    @rx.event
    def clear_selection(self):
        self.selected = []

    def _dates(self) -> tuple[date | None, date | None] | None:
        try:
            return (date.fromisoformat(self.date_from) if self.date_from else None,
                    date.fromisoformat(self.date_to) if self.date_to else None)
        except ValueError:
            self.message = self.text("ui.audit.bad_date")
            return None

    async def _list(self) -> None:
        dates = self._dates()
        if dates is None:
            self.rows, self.has_next = [], False
            return
        out = await self.call(order_admin.list_orders, readonly=True, tab=self.tab, query=self.query,
                              date_from=dates[0], date_to=dates[1], page=self.page)
        if not out.ok:
            self.rows, self.has_next, self.message = [], False, out.error
            return
        result = out.value
        self.message = ""
        self.has_next = result.has_next
        counts = dict(result.counts)
        if self.tab == "delivery":
            counts["delivery"] = result.total
        self.tabs = [TabView(key=k, label=self.text(f"ui.orders.tab.{k}"), count=counts.get(k, -1)) for k in TAB_KEYS]
        self.rows = [OrderRowView(
            id=r.id, when=self.shop_time(r.created_at), status=r.status,
            status_text=self.text(f"ui.cust.order_status.{r.status}"), customer=r.customer_name or "—",
            phone=r.phone, total=money_text(self, r.total_minor),
            delivery=self.text(f"ui.orders.delivery.{r.delivery_type}"), address=r.address,
            tracking=r.tracking_number) for r in result.rows]

    # -- the card ---------------------------------------------------------------------------
    @rx.event
    async def open_card(self, order_id: int):
        self.card_error = ""
        error = await self._show_card(int(order_id))
        if error:
            return rx.toast.error(error)
        self.card_open = True

    @rx.event
    def close_card(self):
        self.card_open = False

    async def _show_card(self, order_id: int) -> str:
        out = await self.call(order_admin.get_order_card, readonly=True, order_id=order_id)
        if not out.ok:
            return out.error
        c = out.value
        o = c.order
        self.card_id = o.id
        self.card_customer_id = c.customer.id if c.customer else 0
        self.card_tracking = c.tracking_number
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
        self.card_events = [{"when": self.shop_time(e.created_at),
                             "move": (self.text(f"ui.cust.order_status.{e.from_status}") + " → " if e.from_status else "")
                             + self.text(f"ui.cust.order_status.{e.to_status}"),
                             "who": e.actor_name or self.text(f"ui.orders.actor.{e.actor_kind}"),
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
        out = await self.call(manual_payments.decide_manual_payment, payment_id=self._proof_payment_id, accept=accept,
                              note=note)
        if not out.ok:
            self.card_error = out.error
            return rx.toast.error(out.error)
        self.card_error = ""
        await self._show_card(self.card_id)
        await self._list()
        return rx.toast.success(self.text(f"ui.orders.proof.{'confirmed' if accept else 'rejected'}_toast"))

    @rx.event
    async def confirm_proof(self):
        return await self._decide_proof(True, "")

    @rx.event
    async def reject_proof(self, form: dict):
        reason = str(form.get("reason", "")).strip()
        if not reason:
            self.card_error = self.text("payment.reason_required")
            return None
        return await self._decide_proof(False, reason)

    @rx.event
    async def act(self, action: dict):
        """A move button: asked first when it needs a reason or a confirmation."""
        if action.get("needs_reason") or action.get("needs_confirmation") or action.get("restock_choice"):
            self.pending = ActionView(**{k: action[k] for k in ActionView.__annotations__})
            self.confirm_error = ""
            self.confirm_open = True
            return None
        return await self._move(str(action["to_status"]), None, True)

    @rx.event
    def close_confirm(self):
        self.confirm_open = False

    @rx.event
    async def confirm(self, form: dict):
        reason = str(form.get("reason", "")).strip()
        if self.pending["needs_reason"] and not reason:
            self.confirm_error = self.text("ui.orders.reason_required")
            return None
        restock = str(form.get("restock", "restock")) != "write_off"
        return await self._move(self.pending["to_status"], reason or None, restock)

    async def _move(self, to_status: str, reason: str | None, restock: bool):
        out = await self.call(orders.transition, order_id=self.card_id, to_status=to_status, reason=reason,
                              restock=restock)
        if not out.ok:
            self.confirm_error = self.card_error = out.error
            return rx.toast.error(out.error)
        self.confirm_open = False
        await self._show_card(self.card_id)
        await self._list()
        return rx.toast.success(self.text("ui.orders.moved", status=self.text(f"ui.cust.order_status.{to_status}")))

    async def _card_call(self, fn, ok_key: str, **kwargs):
        out = await self.call(fn, order_id=self.card_id, **kwargs)
        if not out.ok:
            self.card_error = out.error
            return None
        self.card_error = ""
        await self._show_card(self.card_id)
        await self._list()
        return rx.toast.success(self.text(ok_key))

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
        if _refunds is None:
            return None
        raw = str(form.get("amount", "")).strip()
        try:
            amount = parse_money(raw) if raw else None
        except ValueError:
            self.card_error = self.text("ui.cust.bad_amount")
            return None
        return await self._card_call(_refunds.refund_payment, "ui.orders.refunded", amount_minor=amount,
                                     reason=str(form.get("reason", "")).strip())

    @rx.event
    def open_customer(self):
        if self.card_customer_id:
            return rx.redirect(f"{routes.AREAS_BY_KEY['customers'].route}?customer={self.card_customer_id}")
        return None

    # -- pick list, courier handoff -----------------------------------------------------------
    @rx.var
    def pick_href(self) -> str:
        """The printable pick list of the ticked orders (opens in a new tab)."""
        return f"{PICK_LIST}?ids=" + ",".join(str(i) for i in sorted(self.selected))

    @rx.event
    async def open_handoff(self):
        if not self.selected:
            return rx.toast.error(self.text("order.pick_empty"))
        out = await self.call(couriers.courier_choices, readonly=True)
        self.couriers = [{"id": str(c.id), "name": c.name + (" ✈" if c.has_telegram else "")} for c in out.value or []]
        self.handoff_error = out.error
        self.handoff_open = True
        return None

    @rx.event
    def close_handoff(self):
        self.handoff_open = False

    @rx.event
    async def hand_over(self, form: dict):
        staff_raw = str(form.get("staff", "")).strip()
        out = await self.call(couriers.hand_over, order_ids=list(self.selected),
                              courier_staff_id=int(staff_raw) if staff_raw.isdigit() else None,
                              courier_name=str(form.get("name", "")), note=str(form.get("note", "")))
        if not out.ok:
            self.handoff_error = out.error
            return None
        self.handoff_open = False
        self.selected = []
        await self._load_handoffs()
        key = "ui.orders.handoff_sent" if out.value.notified else "ui.orders.handoff_done"
        return rx.toast.success(self.text(key, name=out.value.courier_name))

    async def _load_handoffs(self) -> None:
        out = await self.call(couriers.list_handoffs, readonly=True, limit=10)
        self.handoffs = [{"when": self.shop_time(h.created_at), "name": h.courier_name,
                          "orders": ", ".join(f"№{i}" for i in h.order_ids), "by": h.actor_name}
                         for h in out.value or []]

    # -- B2B / offline entry ----------------------------------------------------------------
    @rx.event
    def open_b2b(self):
        self.b2b_error = ""
        self.b2b_open = True

    @rx.event
    def close_b2b(self):
        self.b2b_open = False

    @rx.event
    async def create_b2b(self, form: dict):
        items, bad = parse_b2b_lines(str(form.get("lines", "")))
        if bad:
            self.b2b_error = self.text("ui.orders.b2b_bad_lines", lines=", ".join(map(str, bad)))
            return None
        customer_raw = str(form.get("customer", "")).strip()
        if customer_raw and not customer_raw.isdigit():
            self.b2b_error = self.text("ui.orders.b2b_bad_customer")
            return None
        delivery_raw = str(form.get("delivery", "")).strip()
        try:
            delivery = parse_money(delivery_raw) if delivery_raw else 0
        except ValueError:
            self.b2b_error = self.text("ui.cust.bad_amount")
            return None
        out = await self.call(b2b.create_b2b_order, items=items, customer_id=int(customer_raw) if customer_raw else None,
                              buyer_name=str(form.get("buyer", "")).strip(), delivery_minor=delivery,
                              delivery_payer=str(form.get("payer", "buyer")) or "buyer",
                              comment=str(form.get("comment", "")))
        if not out.ok:
            self.b2b_error = out.error
            return None
        self.b2b_open = False
        await self._list()
        return rx.toast.success(self.text("ui.orders.b2b_created", id=out.value.id))


class PickVariantView(TypedDict):
    label: str
    qty: str
    orders: str


class PickProductView(TypedDict):
    name: str
    qty: str
    variants: list[PickVariantView]


class PickListState(SessionState):
    """The printable pick list: the orders come in the address (``?ids=1,2,3``)."""

    products: list[PickProductView] = []
    order_ids: str = ""
    units: int = 0
    pick_error: str = ""

    @rx.event
    async def load(self):
        raw = self.router.url.query_parameters.get("ids", "") if self.router.url else ""
        ids = [int(x) for x in str(raw).split(",") if x.strip().isdigit()]
        out = await self.call(order_admin.pick_list, readonly=True, order_ids=ids)
        if not out.ok:
            self.products, self.pick_error = [], out.error
            return
        self.pick_error = ""
        self.order_ids = ", ".join(f"№{i}" for i in out.value.order_ids)
        self.units = out.value.units
        self.products = [PickProductView(name=p.name, qty=str(p.qty), variants=[
            PickVariantView(label=v.variant_label or "—", qty=str(v.qty), orders=", ".join(f"№{i}" for i in v.order_ids))
            for v in p.variants]) for p in out.value.products]
