"""/admin/catalog (CA1–CA3): category tree, a filtered and paged product list, the product editor
(fields, variants, photos, cross-sell), and the Excel import with preview and confirmation."""
from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import TypedDict

import reflex as rx

from smo_app.models.staff import Channel
from smo_app.money import parse_money
from smo_app.services.catalog import admin as catalog_admin
from smo_app.services.catalog import excel, images
from smo_app.services.catalog import products as catalog
from smo_app.services.core.permissions import Perm, can
from smo_app.state.ops import Refused, download, money_input, money_text, run_service
from smo_app.state.session import SessionState

PAGE_SIZE = 25
ALL = "*"
NONE = "-"


def _import_file(digest: str) -> Path:
    return Path(tempfile.gettempdir()) / f"smo-import-{digest[:64]}.xlsx"


class CatRow(TypedDict):
    id: int
    name: str
    depth: int
    hidden: bool
    first: bool
    last: bool


class ProdLine(TypedDict):
    id: int
    name: str
    category: str
    price: str
    discount: int
    qty: int
    variants: int
    hidden: bool
    suspended: bool
    low: bool


class VarLine(TypedDict):
    id: int
    label: str
    price: str
    weight: str
    wholesale: str
    min_qty: str
    qty: int


class Pick(TypedDict):
    id: int
    name: str


class ImportLine(TypedDict):
    row: int
    action: str
    name: str
    changes: str


class CatalogState(SessionState):
    cats: list[CatRow] = []
    cat_options: list[dict[str, str]] = []  # value, label (for selects)
    search: str = ""
    f_category: str = ALL
    f_status: str = "all"
    page: int = 1
    pages: int = 1
    total: int = 0
    rows: list[ProdLine] = []
    message: str = ""
    can_rename: bool = False
    can_delete: bool = False
    new_cat_parent: str = NONE
    # editor
    editor_open: bool = False
    ed_id: int = 0
    ed: dict[str, str] = {}
    ed_category: str = NONE
    ed_hidden: bool = False
    ed_suspended: bool = False
    ed_variants: list[VarLine] = []
    ed_photos: list[str] = []
    ed_cross: list[Pick] = []
    pick_results: list[Pick] = []
    ed_error: str = ""
    # import
    import_lines: list[ImportLine] = []
    import_summary: str = ""
    import_error: str = ""
    _import_digest: str = ""  # the previewed file waits in a temporary file named by its digest

    async def _svc(self, fn, /, **kwargs):
        return await run_service(self, fn, **kwargs)


    # -- loading ------------------------------------------------------------------------------
    @rx.event
    async def load(self):
        staff = await self.staff(Channel.backoffice)
        actor = staff
        self.can_rename = bool(actor and can(actor, Perm.catalog_rename))
        self.can_delete = bool(actor and can(actor, Perm.catalog_delete))
        self.editor_open = False
        await self._load_tree()
        await self._query()

    async def _load_tree(self) -> None:
        try:
            tree = await self._svc(catalog_admin.category_tree)
        except Refused as exc:
            self.message = exc.text
            return
        flat: list[CatRow] = []
        for i, root in enumerate(tree):
            flat.append(CatRow(id=root.id, name=root.name, depth=0, hidden=root.hidden, first=i == 0, last=i == len(tree) - 1))
            for j, child in enumerate(root.children):
                flat.append(CatRow(id=child.id, name=child.name, depth=1, hidden=child.hidden, first=j == 0,
                                   last=j == len(root.children) - 1))
        self.cats = flat
        self.cat_options = [{"value": str(c["id"]), "label": ("— " if c["depth"] else "") + c["name"]} for c in flat]

    async def _query(self) -> None:
        category = None if self.f_category in (ALL, "") else int(self.f_category)
        try:
            result = await self._svc(catalog_admin.list_products, search=self.search, category_id=category,
                               status=self.f_status, page=self.page, page_size=PAGE_SIZE)
        except Refused as exc:
            self.rows, self.message = [], exc.text
            return
        self.message = ""
        self.total, self.pages = result.total, max(1, math.ceil(result.total / PAGE_SIZE))
        self.rows = [ProdLine(id=r.id, name=r.name, category=r.category, price=money_text(self, r.price_minor),
                              discount=r.discount_pct, qty=r.qty, variants=r.variants, hidden=r.hidden,
                              suspended=r.suspended, low=r.low) for r in result.rows]

    @rx.event
    async def filter(self, form: dict):
        self.search = str(form.get("q", "")).strip()[:100]
        self.page = 1
        await self._query()

    @rx.event
    async def set_f_category(self, value: str):
        self.f_category, self.page = value, 1
        await self._query()

    @rx.event
    async def set_f_status(self, value: str):
        self.f_status, self.page = value, 1
        await self._query()

    @rx.event
    async def go(self, delta: int):
        self.page = max(1, min(self.pages, self.page + int(delta)))
        await self._query()

    # -- categories (CA2) ---------------------------------------------------------------------
    async def _cat_action(self, fn, ok_key: str, **kwargs):
        try:
            await self._svc(fn, **kwargs)
        except Refused as exc:
            return rx.toast.error(exc.text)
        await self._load_tree()
        await self._query()
        return rx.toast.success(self.text(ok_key))

    @rx.event
    def set_new_cat_parent(self, value: str):
        self.new_cat_parent = value

    @rx.event
    async def create_category(self, form: dict):
        parent = None if self.new_cat_parent in (NONE, "") else int(self.new_cat_parent)
        return [await self._cat_action(catalog.create_category, "ui.cat.category_created", name=str(form.get("name", "")),
                                 parent_id=parent), rx.set_value("new-cat-name", "")]

    @rx.event
    async def rename_category(self, category_id: int, name: str):
        current = next((c for c in self.cats if c["id"] == int(category_id)), None)
        if current is None or current["name"] == (name or "").strip():
            return None
        return await self._cat_action(catalog.update_category, "ui.saved", category_id=int(category_id), name=name)

    @rx.event
    async def toggle_category(self, category_id: int, hidden: bool):
        return await self._cat_action(catalog.update_category, "ui.saved", category_id=int(category_id), hidden=bool(hidden))

    @rx.event
    async def move_category(self, category_id: int, delta: int):
        cat = next(c for c in self.cats if c["id"] == int(category_id))
        index = self.cats.index(cat)
        parent_of = {}
        last_root = None
        for c in self.cats:
            if c["depth"] == 0:
                last_root = c["id"]
                parent_of[c["id"]] = None
            else:
                parent_of[c["id"]] = last_root
        siblings = [c["id"] for c in self.cats if parent_of[c["id"]] == parent_of[cat["id"]]]
        pos = siblings.index(cat["id"])
        new = pos + int(delta)
        if not 0 <= new < len(siblings) or index < 0:
            return None
        siblings[pos], siblings[new] = siblings[new], siblings[pos]
        return await self._cat_action(catalog.reorder_categories, "ui.saved", ordered_ids=siblings)

    @rx.event
    async def delete_category(self, category_id: int):
        return await self._cat_action(catalog.delete_category, "ui.cat.category_deleted", category_id=int(category_id))

    # -- product editor (CA1) -----------------------------------------------------------------
    @rx.event
    def new_product(self):
        self.ed_id, self.ed_error = 0, ""
        self.ed = {"name": "", "description": "", "details": "", "price": "", "unit": "шт", "discount": "0",
                   "position": "0", "threshold": "3", "variants": ""}
        self.ed_category = self.f_category if self.f_category not in (ALL, "") else NONE
        self.ed_hidden = self.ed_suspended = False
        self.ed_variants, self.ed_photos, self.ed_cross, self.pick_results = [], [], [], []
        self.editor_open = True

    @rx.event
    async def open_product(self, product_id: int):
        try:
            await self._show_product(int(product_id))
        except Refused as exc:
            return rx.toast.error(exc.text)
        self.ed_error = ""
        self.pick_results = []
        self.editor_open = True
        return None

    async def _show_product(self, product_id: int) -> None:
        p = await self._svc(catalog.get_product, product_id=product_id)
        self.ed_id = p.id
        self.ed = {"name": p.name, "description": p.description, "details": p.details,
                   "price": money_input(p.base_price_minor),
                   "unit": p.unit, "discount": str(p.discount_pct), "position": str(p.position),
                   "threshold": str(p.low_stock_threshold), "variants": ""}
        self.ed_category = str(p.category_id) if p.category_id else NONE
        self.ed_hidden, self.ed_suspended = p.hidden, p.suspended
        self.ed_variants = [VarLine(id=v.id, label=v.label, price=money_input(v.price_minor),
                                    weight=str(v.weight_g),
                                    wholesale="" if v.wholesale_price_minor is None else money_input(v.wholesale_price_minor),
                                    min_qty=str(v.wholesale_min_qty), qty=v.qty) for v in p.variants]
        self.ed_photos = list(p.photos)
        self.ed_cross = [Pick(id=i.id, name=i.name) for i in await self._svc(catalog_admin.pick_products, ids=p.cross_sell)]

    @rx.event
    def close_editor(self):
        self.editor_open = False

    @rx.event
    def set_ed_category(self, value: str):
        self.ed_category = value

    @rx.event
    def set_ed_hidden(self, value: bool):
        self.ed_hidden = bool(value)

    @rx.event
    def set_ed_suspended(self, value: bool):
        self.ed_suspended = bool(value)

    def _form_fields(self, form: dict) -> dict | None:
        try:
            price = parse_money(str(form.get("price", "")) or "0")
        except ValueError:
            self.ed_error = self.text("ui.cat.bad_price")
            return None
        numbers = {}
        for key in ("discount", "position", "threshold"):
            raw = str(form.get(key, "0")).strip() or "0"
            if not raw.lstrip("-").isdigit():
                self.ed_error = self.text("ui.cat.bad_number", field=self.text(f"ui.cat.f.{key}"))
                return None
            numbers[key] = int(raw)
        if numbers["threshold"] < 0 or numbers["position"] < 0:
            self.ed_error = self.text("ui.cat.bad_number", field=self.text("ui.cat.f.threshold"))
            return None
        return {"name": str(form.get("name", self.ed.get("name", ""))), "description": str(form.get("description", "")),
                "details": str(form.get("details", "")), "base_price_minor": price,
                "unit": str(form.get("unit", "шт")).strip() or "шт", "discount_pct": numbers["discount"],
                "position": numbers["position"], "low_stock_threshold": numbers["threshold"],
                "category_id": None if self.ed_category in (NONE, "") else int(self.ed_category),
                "hidden": self.ed_hidden, "cross_sell": [c["id"] for c in self.ed_cross]}

    @rx.event
    async def save_product(self, form: dict):
        fields = self._form_fields(form)
        if fields is None:
            return None
        try:
            if self.ed_id == 0:
                out = await self._svc(catalog.create_product, variants=str(form.get("variants", "")) or None, **fields)
                self.ed_id = out.id
            else:
                if fields["name"].strip() == self.ed.get("name"):
                    fields.pop("name")
                await self._svc(catalog.update_product, product_id=self.ed_id, suspended=self.ed_suspended, **fields)
            await self._show_product(self.ed_id)
        except Refused as exc:
            self.ed_error = exc.text
            return None
        self.ed_error = ""
        await self._query()
        return rx.toast.success(self.text("ui.saved"))

    @rx.event
    async def save_variant(self, variant_id: int, form: dict):
        try:
            price = parse_money(str(form.get("price", "")))
            wholesale_raw = str(form.get("wholesale", "")).strip()
            wholesale = parse_money(wholesale_raw) if wholesale_raw else None
            weight = int(str(form.get("weight", "0")).strip() or "0")
            min_qty = int(str(form.get("min_qty", "1")).strip() or "1")
        except ValueError:
            self.ed_error = self.text("ui.cat.bad_variant")
            return None
        try:
            await self._svc(catalog.update_variant, variant_id=int(variant_id), label=str(form.get("label", "")).strip(),
                      price_minor=price, weight_g=weight, wholesale_price_minor=wholesale, wholesale_min_qty=min_qty)
            await self._show_product(self.ed_id)
        except Refused as exc:
            self.ed_error = exc.text
            return None
        self.ed_error = ""
        return rx.toast.success(self.text("ui.saved"))

    @rx.event
    async def add_variant(self, form: dict):
        try:
            spec = catalog.parse_variants(str(form.get("spec", "")))
        except Exception:  # noqa: BLE001 - the parser's ValidationFailed; shown as the format hint
            self.ed_error = self.text("ui.cat.bad_variant")
            return None
        if len(spec) != 1:
            self.ed_error = self.text("ui.cat.bad_variant")
            return None
        try:
            await self._svc(catalog.add_variant, product_id=self.ed_id, variant=spec[0])
            await self._show_product(self.ed_id)
        except Refused as exc:
            self.ed_error = exc.text
            return None
        self.ed_error = ""
        await self._query()
        return [rx.set_value("new-variant", ""), rx.toast.success(self.text("ui.saved"))]

    @rx.event
    async def delete_product(self):
        try:
            await self._svc(catalog.delete_product, product_id=self.ed_id)
        except Refused as exc:
            self.ed_error = exc.text
            return None
        self.editor_open = False
        await self._query()
        return rx.toast.success(self.text("ui.cat.product_deleted"))

    # cross-sell picker
    @rx.event
    async def pick_search(self, form: dict):
        try:
            found = await self._svc(catalog_admin.pick_products, search=str(form.get("q", ""))[:100])
        except Refused as exc:
            self.ed_error = exc.text
            return
        chosen = {c["id"] for c in self.ed_cross} | {self.ed_id}
        self.pick_results = [Pick(id=i.id, name=i.name) for i in found if i.id not in chosen]

    @rx.event
    def add_cross(self, product_id: int, name: str):
        if all(c["id"] != int(product_id) for c in self.ed_cross):
            self.ed_cross = [*self.ed_cross, Pick(id=int(product_id), name=name)]
        self.pick_results = [p for p in self.pick_results if p["id"] != int(product_id)]

    @rx.event
    def remove_cross(self, product_id: int):
        self.ed_cross = [c for c in self.ed_cross if c["id"] != int(product_id)]

    # photos
    @rx.event
    async def upload_photo(self, files: list[rx.UploadFile]):
        for f in files[:images.MAX_PHOTOS]:
            data = await f.read()
            try:
                self.ed_photos = await self._svc(images.add_photo, product_id=self.ed_id, data=data)
            except Refused as exc:
                self.ed_error = exc.text
                return
        self.ed_error = ""

    @rx.event
    async def remove_photo(self, url: str):
        try:
            self.ed_photos = await self._svc(images.remove_photo, product_id=self.ed_id, url=url)
        except Refused as exc:
            self.ed_error = exc.text

    # -- Excel (CA3) --------------------------------------------------------------------------
    @rx.event
    async def export_excel(self):
        return await download(self, "catalog.xlsx", excel.export_xlsx)

    @rx.event
    async def upload_import(self, files: list[rx.UploadFile]):
        self._reset_import()
        if not files:
            return
        data = await files[0].read()
        try:  # reading a large workbook takes a while: off the event loop
            plan = await self._svc(excel.preview_import, data=data)
        except Refused as exc:
            self.import_error = exc.text
            return
        _import_file(plan.digest).write_bytes(data)
        self._import_digest = plan.digest
        self.import_summary = self.text("ui.cat.import_summary", creates=plan.creates, updates=plan.updates,
                                        unchanged=plan.unchanged)
        self.import_lines = [ImportLine(row=c.row, action=self.text(f"ui.cat.import_{c.action}"), name=c.name,
                                        changes="; ".join(f"{k}: {v[0]} → {v[1]}" for k, v in c.changes.items()))
                             for c in plan.changes if c.action != "unchanged"][:500]

    def _reset_import(self) -> None:
        self.import_lines, self.import_summary, self.import_error = [], "", ""
        if self._import_digest:
            _import_file(self._import_digest).unlink(missing_ok=True)
        self._import_digest = ""

    @rx.event
    def cancel_import(self):
        self._reset_import()

    @rx.event
    async def confirm_import(self):
        try:
            path = _import_file(self._import_digest)
            data = path.read_bytes() if self._import_digest and path.exists() else b""
            plan = await self._svc(excel.apply_import, data=data, digest=self._import_digest)
        except Refused as exc:
            self.import_error = exc.text
            return None
        self._reset_import()
        await self._load_tree()
        await self._query()
        return rx.toast.success(self.text("ui.cat.import_done", creates=plan.creates, updates=plan.updates))
