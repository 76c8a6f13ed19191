"""/admin/warehouse (WH3–WH8): stock overview with sums and levels, single edit, bulk write-off,
supplies in three steps, inventory count with a discrepancy preview, move history, QR sheet and
valuation downloads. The screen's use cases and read-models are ``services/stock/warehouse``; the
forms go there as typed."""
from __future__ import annotations

from typing import TypedDict

import reflex as rx

from smo_app.services.core.audit_words import actor_name, note_text
from smo_app.services.catalog import sheets
from smo_app.services.stock import warehouse as stock
from smo_app.state.ops import SearchedPages, download, money_text
from smo_app.state.session import SessionState, one_tap, said, toast


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


class WarehouseState(SearchedPages, SessionState):
    tab: str = "overview"
    level: str = "all"
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

    @rx.event
    async def load(self):
        self.variant_open = False
        await self._query()
        await self._load_suppliers()

    @rx.event
    def set_tab(self, tab: str):
        self.tab = tab

    async def _query(self) -> None:
        out = await self.call(stock.overview, readonly=True, search=self.search, level=self.level, page=self.page)
        if not out.ok:
            self.lines, self.message = [], out.error
            return
        page = out.value
        self.message = ""
        self.page, self.pages, self.counts = page.page, page.pages, page.counts
        self.sums = {"rows": str(page.total_rows), "units": str(page.units), "value": money_text(self, page.value_minor),
                     "retail": money_text(self, page.retail_minor)}
        self.lines = [StockLine(variant_id=r.variant_id, name=r.name, qty=r.qty, cost=money_text(self, r.avg_cost_minor),
                                value=money_text(self, r.value_minor), price=money_text(self, r.price_minor), level=r.level)
                      for r in page.rows]

    @rx.event
    async def set_level(self, level: str | list[str]):
        self.level, self.page = (level if isinstance(level, str) else (level[0] if level else "all")), 1
        await self._query()

    # -- one variant -------------------------------------------------------------------------
    @rx.event
    async def open_variant(self, variant_id: int, name: str, qty: int):
        self.variant_id, self.variant_name, self.variant_qty, self.variant_error = int(variant_id), name, int(qty), ""
        out = await self._load_variant()
        if not out.ok:
            return toast(out)
        self.variant_open = True
        return None

    async def _load_variant(self):
        out = await self.call(stock.variant_card, readonly=True, variant_id=self.variant_id)
        if out.ok:
            lang = self.ui_lang_value()
            self.moves = [MoveLine(when=self.shop_time(m.created_at), kind=self.text(f"ui.wh.move.{m.kind}"),
                                   delta=f"{m.delta:+d}", qty_after=m.qty_after, cost=money_text(self, m.unit_cost_minor),
                                   actor=actor_name(lang, m.actor_kind, m.actor_name),
                                   comment=note_text(lang, m.comment)) for m in out.value.moves]
            self.variant_waiting = out.value.waiting
        return out

    @rx.event
    def close_variant(self):
        self.variant_open = False

    @rx.event
    async def save_quantity(self, form: dict):
        qty = str(form.get("qty", "")).strip()
        out = await self.call(stock.set_quantity, variant_id=self.variant_id, qty=qty, comment=str(form.get("comment", "")))
        if out.ok:
            self.variant_qty = int(qty)
            out = await self._load_variant()
        self.variant_error = out.error
        if not out.ok:
            return None
        await self._query()
        return said(self.text("ui.saved"))

    # -- write-off (WH3) ---------------------------------------------------------------------
    @rx.event
    async def write_off(self, form: dict):
        out = await self.call(stock.write_off, text=str(form.get("lines", "")), comment=str(form.get("comment", "")))
        self.writeoff_error = out.error
        if not out.ok:
            return None
        await self._query()
        return [rx.set_value("writeoff-lines", ""), said(self.text("ui.wh.written_off", n=len(out.value.moves)))]

    # -- inventory count (WH5) ---------------------------------------------------------------
    @rx.event
    async def count_preview(self, form: dict):
        text, comment = str(form.get("lines", "")), str(form.get("comment", ""))
        out = await self.call(stock.count_preview, text=text)
        self.count_error = out.error
        if not out.ok:
            self.count_lines = []
            return
        self._count_text, self._count_comment = text, comment
        self.count_lines = [CountLine(variant_id=c.variant_id, name=c.name, expected=c.expected, counted=c.counted,
                                      difference=c.difference) for c in out.value.lines]

    @rx.event
    async def count_apply(self):
        out = await self.call(stock.count_apply, text=self._count_text, comment=self._count_comment)
        if not out.ok:
            self.count_error = out.error
            return None
        self.count_lines, self._count_text = [], ""
        await self._query()
        changed = sum(1 for c in out.value.lines if c.difference)
        return [rx.set_value("count-lines", ""), said(self.text("ui.wh.count_applied", n=changed))]

    @rx.event
    def count_cancel(self):
        self.count_lines, self._count_text, self.count_error = [], "", ""

    # -- supplies (WH4) ----------------------------------------------------------------------
    async def _load_suppliers(self) -> None:
        out = await self.call(stock.suppliers, readonly=True)
        self.suppliers = [{"id": str(s.id), "name": s.name} for s in out.value or []]

    @rx.event
    def set_supplier(self, value: str):
        self.supplier_id = value

    @rx.event
    @one_tap
    async def add_supplier(self, form: dict):
        out = await self.call(stock.create_supplier, once=True, name=str(form.get("name", "")), contact=str(form.get("contact", "")))
        self.supply_error = out.error
        if not out.ok:
            return None
        await self._load_suppliers()
        self.supplier_id = str(out.value.id)
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
        out = await self.call(stock.supply_items, readonly=True, text=text)
        self.supply_error = out.error
        if not out.ok:
            return
        self._supply_text = text
        self.supply_items = [SupplyItem(variant_id=i.variant_id, name=i.name, qty=i.qty) for i in out.value]
        self.supply_step = 3

    @rx.event
    def supply_back(self):
        self.supply_step = max(1, self.supply_step - 1)
        self.supply_error = ""

    @rx.event
    @one_tap
    async def supply_receive(self, form: dict):
        """Step 3: the batch price of each item (split per unit by the service)."""
        prices = {str(item["variant_id"]): str(form.get(f"price_{item['variant_id']}", "")) for item in self.supply_items}
        out = await self.call(stock.receive_supply, once=True, supplier_id=int(self.supplier_id), text=self._supply_text,
                              prices=prices, comment=str(form.get("comment", "")))
        self.supply_error = out.error
        if not out.ok:
            return None
        self.supply_step, self.supply_items, self._supply_text = 1, [], ""
        await self._query()
        return said(self.text("ui.wh.supply_done", units=out.value.units,
                                          total=money_text(self, out.value.total_minor)))

    # -- downloads (WH7) ---------------------------------------------------------------------
    @rx.event
    async def download_qr(self):
        return await download(self, "qr-codes.pdf", sheets.qr_sheet_pdf, lang=self.ui_lang_value())

    @rx.event
    async def download_valuation(self):
        return await download(self, "stock-valuation.xlsx", sheets.valuation_xlsx, lang=self.ui_lang_value())
