"""/admin/warehouse (WH3–WH8): stock overview with sums and levels, single edit, bulk write-off,
supplies in three steps, inventory count with a discrepancy preview, move history, QR sheet and
valuation downloads. Stock services are reached only through ``warehouse_adapter``."""
from __future__ import annotations

from typing import TypedDict

import reflex as rx

from smo_app.money import parse_money
from smo_app.services.catalog import sheets
from smo_app.state import warehouse_adapter as stock
from smo_app.state.ops import Refused, download, money_text, run_service
from smo_app.state.session import SessionState


class StockLine(TypedDict):
    variant_id: int
    name: str
    qty: int
    cost: str
    value: str
    price: str
    level: str


class MoveLine(TypedDict):
    when: str
    kind: str
    delta: str
    qty_after: int
    cost: str
    actor: str
    comment: str


class CountLine(TypedDict):
    variant_id: int
    name: str
    expected: int
    counted: int
    difference: int


class SupplyItem(TypedDict):
    variant_id: int
    name: str
    qty: int


class WarehouseState(SessionState):
    tab: str = "overview"
    search: str = ""
    level: str = "all"
    page: int = 1
    pages: int = 1
    lines: list[StockLine] = []
    sums: dict[str, str] = {}
    counts: dict[str, int] = {}
    message: str = ""
    # the variant dialog: single edit, moves, subscribers
    variant_open: bool = False
    variant_id: int = 0
    variant_name: str = ""
    variant_qty: int = 0
    variant_waiting: int = 0
    moves: list[MoveLine] = []
    variant_error: str = ""
    # write-off
    writeoff_error: str = ""
    # count
    count_lines: list[CountLine] = []
    count_error: str = ""
    _count_text: str = ""
    _count_comment: str = ""
    # supply
    supply_step: int = 1
    suppliers: list[dict[str, str]] = []
    supplier_id: str = ""
    supply_items: list[SupplyItem] = []
    supply_error: str = ""
    _supply_text: str = ""

    async def _svc(self, fn, /, **kwargs):
        return await run_service(self, fn, **kwargs)


    @rx.event
    async def load(self):
        self.variant_open = False
        await self._query()
        await self._load_suppliers()

    @rx.event
    def set_tab(self, tab: str):
        self.tab = tab

    async def _query(self) -> None:
        try:
            out = await self._svc(stock.overview, search=self.search, level=self.level, page=self.page)
        except Refused as exc:
            self.lines, self.message = [], exc.text
            return
        self.message = ""
        self.page, self.pages, self.counts = out.page, out.pages, out.counts
        self.sums = {"rows": str(out.total_rows), "units": str(out.units), "value": money_text(self, out.value_minor),
                     "retail": money_text(self, out.retail_minor)}
        self.lines = [StockLine(variant_id=r.variant_id, name=r.name, qty=r.qty, cost=money_text(self, r.avg_cost_minor),
                                value=money_text(self, r.value_minor), price=money_text(self, r.price_minor), level=r.level)
                      for r in out.rows]

    @rx.event
    async def filter(self, form: dict):
        self.search = str(form.get("q", "")).strip()[:100]
        self.page = 1
        await self._query()

    @rx.event
    async def set_level(self, level: str | list[str]):
        self.level, self.page = (level if isinstance(level, str) else (level[0] if level else "all")), 1
        await self._query()

    @rx.event
    async def go(self, delta: int):
        self.page = max(1, min(self.pages, self.page + int(delta)))
        await self._query()

    # -- one variant -------------------------------------------------------------------------
    @rx.event
    async def open_variant(self, variant_id: int, name: str, qty: int):
        self.variant_id, self.variant_name, self.variant_qty, self.variant_error = int(variant_id), name, int(qty), ""
        try:
            await self._load_variant()
        except Refused as exc:
            return rx.toast.error(exc.text)
        self.variant_open = True
        return None

    async def _load_variant(self) -> None:
        self.moves = [MoveLine(when=self.shop_time(m.created_at), kind=self.text(f"ui.wh.move.{m.kind}"),
                               delta=f"{m.delta:+d}", qty_after=m.qty_after, cost=money_text(self, m.unit_cost_minor),
                               actor=m.actor_name, comment=m.comment or "")
                      for m in await self._svc(stock.moves, variant_id=self.variant_id)]
        self.variant_waiting = await self._svc(stock.waiting_subscribers, variant_id=self.variant_id)

    @rx.event
    def close_variant(self):
        self.variant_open = False

    @rx.event
    async def save_quantity(self, form: dict):
        raw = str(form.get("qty", "")).strip()
        if not raw.isdigit():
            self.variant_error = self.text("stock.qty_invalid")
            return None
        try:
            await self._svc(stock.set_quantity, variant_id=self.variant_id, qty=int(raw), comment=str(form.get("comment", "")))
            self.variant_qty = int(raw)
            await self._load_variant()
        except Refused as exc:
            self.variant_error = exc.text
            return None
        self.variant_error = ""
        await self._query()
        return rx.toast.success(self.text("ui.saved"))

    # -- write-off (WH3) ---------------------------------------------------------------------
    @rx.event
    async def write_off(self, form: dict):
        try:
            out = await self._svc(stock.write_off, text=str(form.get("lines", "")), comment=str(form.get("comment", "")))
        except Refused as exc:
            self.writeoff_error = exc.text
            return None
        self.writeoff_error = ""
        await self._query()
        return [rx.set_value("writeoff-lines", ""), rx.toast.success(self.text("ui.wh.written_off", n=len(out.moves)))]

    # -- inventory count (WH5) ---------------------------------------------------------------
    @rx.event
    async def count_preview(self, form: dict):
        text, comment = str(form.get("lines", "")), str(form.get("comment", ""))
        try:
            out = await self._svc(stock.count_preview, text=text)
        except Refused as exc:
            self.count_error, self.count_lines = exc.text, []
            return
        self.count_error = ""
        self._count_text, self._count_comment = text, comment
        self.count_lines = [CountLine(variant_id=c.variant_id, name=c.name, expected=c.expected, counted=c.counted,
                                      difference=c.difference) for c in out.lines]

    @rx.event
    async def count_apply(self):
        try:
            out = await self._svc(stock.count_apply, text=self._count_text, comment=self._count_comment)
        except Refused as exc:
            self.count_error = exc.text
            return None
        self.count_lines, self._count_text = [], ""
        await self._query()
        changed = sum(1 for c in out.lines if c.difference)
        return [rx.set_value("count-lines", ""), rx.toast.success(self.text("ui.wh.count_applied", n=changed))]

    @rx.event
    def count_cancel(self):
        self.count_lines, self._count_text, self.count_error = [], "", ""

    # -- supplies (WH4) ----------------------------------------------------------------------
    async def _load_suppliers(self) -> None:
        try:
            self.suppliers = [{"id": str(s.id), "name": s.name} for s in await self._svc(stock.suppliers)]
        except Refused:
            self.suppliers = []

    @rx.event
    def set_supplier(self, value: str):
        self.supplier_id = value

    @rx.event
    async def add_supplier(self, form: dict):
        try:
            out = await self._svc(stock.create_supplier, name=str(form.get("name", "")), contact=str(form.get("contact", "")))
        except Refused as exc:
            self.supply_error = exc.text
            return None
        self.supply_error = ""
        await self._load_suppliers()
        self.supplier_id = str(out.id)
        return [rx.set_value("supplier-name", ""), rx.set_value("supplier-contact", "")]

    @rx.event
    def supply_next(self):
        """Step 1 → 2: a supplier is chosen."""
        if not self.supplier_id:
            self.supply_error = self.text("ui.wh.choose_supplier")
            return
        self.supply_error, self.supply_step = "", 2

    @rx.event
    async def supply_items_next(self, form: dict):
        """Step 2 → 3: the ``ID qty`` lines are known goods."""
        text = str(form.get("lines", ""))
        try:
            items = await self._svc(stock.supply_items, text=text)
        except Refused as exc:
            self.supply_error = exc.text
            return
        self._supply_text = text
        self.supply_items = [SupplyItem(variant_id=v, name=n, qty=q) for v, n, q in items]
        self.supply_error, self.supply_step = "", 3

    @rx.event
    def supply_back(self):
        self.supply_step = max(1, self.supply_step - 1)
        self.supply_error = ""

    @rx.event
    async def supply_receive(self, form: dict):
        """Step 3: the batch price of each item (split per unit by the service)."""
        items = []
        for item in self.supply_items:
            raw = str(form.get(f"price_{item['variant_id']}", "")).strip()
            try:
                total = parse_money(raw)
            except ValueError:
                self.supply_error = self.text("ui.wh.bad_batch_price", name=item["name"])
                return None
            items.append({"variant_id": item["variant_id"], "qty": item["qty"], "total_minor": total})
        try:
            out = await self._svc(stock.receive_supply, supplier_id=int(self.supplier_id), items=items,
                            comment=str(form.get("comment", "")))
        except Refused as exc:
            self.supply_error = exc.text
            return None
        self.supply_error, self.supply_step, self.supply_items, self._supply_text = "", 1, [], ""
        await self._query()
        return rx.toast.success(self.text("ui.wh.supply_done", units=out.units, total=money_text(self, out.total_minor)))

    # -- downloads (WH7) ---------------------------------------------------------------------
    @rx.event
    async def download_qr(self):
        return await download(self, "qr-codes.pdf", sheets.qr_sheet_pdf)

    @rx.event
    async def download_valuation(self):
        return await download(self, "stock-valuation.xlsx", sheets.valuation_xlsx, lang=self.ui_lang_value())
