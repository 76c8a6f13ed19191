"""/admin/orders (OR7–OR9): tabs with counts, search, dates and paging on the server; the delivery
list, pick list and courier handoff; the B2B entry form (``sales/b2b_entry`` reads it as typed).
The order card is ``state/order_card``. Every call goes through :meth:`SessionState.call` (off the
event loop)."""
from __future__ import annotations

from datetime import date
from typing import TypedDict

import reflex as rx

from smo_app import routes
from smo_app.services.sales import b2b_entry, couriers, order_admin
from smo_app.state.ops import money_text
from smo_app.state.session import SessionState, said

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


class TabView(TypedDict):
    key: str
    label: str
    count: int


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
        self.handoff_open = self.b2b_open = False
        await self._list()
        await self._load_handoffs()

    async def reload(self) -> None:
        """The list again, on the same tab and page (after the card changed an order)."""
        await self._list()

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

    # -- pick list, courier handoff -----------------------------------------------------------
    @rx.var
    def pick_href(self) -> str:
        """The printable pick list of the ticked orders (opens in a new tab)."""
        return f"{PICK_LIST}?ids=" + ",".join(str(i) for i in sorted(self.selected))

    @rx.event
    async def open_handoff(self):
        if not self.selected:
            return said(self.text("order.pick_empty"), ok=False)
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
                              courier_name=str(form.get("name", "")), note=str(form.get("note", "")),
                              cash_on_delivery=str(form.get("cod", "")) in ("on", "true", "1"))
        if not out.ok:
            self.handoff_error = out.error
            return None
        self.handoff_open = False
        self.selected = []
        await self._load_handoffs()
        key = "ui.orders.handoff_sent" if out.value.notified else "ui.orders.handoff_done"
        return said(self.text(key, name=out.value.courier_name))

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
        out = await self.call(b2b_entry.create_b2b_as_typed, lines=str(form.get("lines", "")),
                              customer=str(form.get("customer", "")), buyer=str(form.get("buyer", "")),
                              delivery=str(form.get("delivery", "")), payer=str(form.get("payer", "buyer")),
                              comment=str(form.get("comment", "")))
        self.b2b_error = out.error
        if not out.ok:
            return None
        self.b2b_open = False
        await self._list()
        return said(self.text("ui.orders.b2b_created", id=out.value.id))


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
    cod_href: str = ""  # the same list with cash on delivery chosen (offered when unpaid orders were refused)

    @rx.event
    async def load(self):
        raw = self.router.url.query_parameters.get("ids", "") if self.router.url else ""
        ids = [int(x) for x in str(raw).split(",") if x.strip().isdigit()]
        cod = (self.router.url.query_parameters.get("cod", "") if self.router.url else "") == "1"
        out = await self.call(order_admin.pick_list, readonly=True, order_ids=ids, cash_on_delivery=cod)
        self.cod_href = (f"{PICK_LIST}?ids={','.join(str(i) for i in ids)}&cod=1"
                         if out.code == "couriers.order_unpaid" else "")
        if not out.ok:
            self.products, self.pick_error = [], out.error
            return
        self.pick_error = ""
        self.order_ids = ", ".join(f"№{i}" for i in out.value.order_ids)
        self.units = out.value.units
        self.products = [PickProductView(name=p.name, qty=str(p.qty), variants=[
            PickVariantView(label=v.variant_label or "—", qty=str(v.qty), orders=", ".join(f"№{i}" for i in v.order_ids))
            for v in p.variants]) for p in out.value.products]
