"""/admin/catalog (CA2, CA3): the category tree, a filtered and paged product list, and the Excel
export and import with preview and confirmation. The product editor is ``state/catalog_editor``."""
from __future__ import annotations

import math
from typing import TypedDict

import reflex as rx

from smo_app.services.catalog import admin as catalog_admin
from smo_app.services.catalog import excel
from smo_app.services.catalog import products as catalog
from smo_app.state.ops import SearchedPages, download, money_text
from smo_app.state.session import SessionState, said, toast

PAGE_SIZE = 25
ALL = "*"
NONE = "-"


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


class ImportLine(TypedDict):
    row: int
    action: str
    name: str
    changes: str


class CatalogState(SearchedPages, SessionState):
    cats: list[CatRow] = []
    cat_options: list[dict[str, str]] = []  # value, label (for selects)
    f_category: str = ALL
    f_status: str = "all"
    total: int = 0
    rows: list[ProdLine] = []
    message: str = ""
    can_rename: bool = False
    can_delete: bool = False
    new_cat_parent: str = NONE
    # import
    import_lines: list[ImportLine] = []
    import_summary: str = ""
    import_error: str = ""
    _import_digest: str = ""  # the previewed file waits on the server under its digest

    # -- loading ------------------------------------------------------------------------------
    @rx.event
    async def load(self):
        await self.reload()

    async def reload(self) -> None:
        """The tree and the current page of products again (after any change)."""
        await self._load_tree()
        await self._query()

    async def _load_tree(self) -> None:
        out = await self.call(catalog_admin.catalog_tree, readonly=True)
        if not out.ok:
            self.message = out.error
            return
        tree = out.value.categories
        self.can_rename, self.can_delete = out.value.can_rename, out.value.can_delete
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
        out = await self.call(catalog_admin.list_products, readonly=True, search=self.search, category_id=category,
                              status=self.f_status, page=self.page, page_size=PAGE_SIZE)
        if not out.ok:
            self.rows, self.message = [], out.error
            return
        result = out.value
        self.message = ""
        self.total, self.pages = result.total, max(1, math.ceil(result.total / PAGE_SIZE))
        self.rows = [ProdLine(id=r.id, name=r.name, category=r.category, price=money_text(self, r.price_minor),
                              discount=r.discount_pct, qty=r.qty, variants=r.variants, hidden=r.hidden,
                              suspended=r.suspended, low=r.low) for r in result.rows]

    @rx.event
    async def set_f_category(self, value: str):
        self.f_category, self.page = value, 1
        await self._query()

    @rx.event
    async def set_f_status(self, value: str):
        self.f_status, self.page = value, 1
        await self._query()

    # -- categories (CA2) ---------------------------------------------------------------------
    async def _cat_action(self, fn, ok_key: str, **kwargs):
        out = await self.call(fn, **kwargs)
        if not out.ok:
            return toast(out)
        await self.reload()
        return said(self.text(ok_key))

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
        return await self._cat_action(catalog.move_category, "ui.saved", category_id=int(category_id), delta=int(delta))

    @rx.event
    async def delete_category(self, category_id: int):
        return await self._cat_action(catalog.delete_category, "ui.cat.category_deleted", category_id=int(category_id))

    # -- Excel (CA3) --------------------------------------------------------------------------
    @rx.event
    async def export_excel(self):
        return await download(self, "catalog.xlsx", excel.export_xlsx)

    @rx.event
    async def upload_import(self, files: list[rx.UploadFile]):
        await self._reset_import()
        if not files:
            return
        data = await files[0].read()
        out = await self.call(excel.preview_upload, data=data)  # a large workbook takes a while: off the event loop
        if not out.ok:
            self.import_error = out.error
            return
        plan = out.value
        self._import_digest = plan.digest
        self.import_summary = self.text("ui.cat.import_summary", creates=plan.creates, updates=plan.updates,
                                        unchanged=plan.unchanged)
        self.import_lines = [ImportLine(row=c.row, action=self.text(f"ui.cat.import_{c.action}"), name=c.name,
                                        changes="; ".join(f"{k}: {v[0]} → {v[1]}" for k, v in c.changes.items()))
                             for c in plan.changes if c.action != "unchanged"][:500]

    async def _reset_import(self) -> None:
        self.import_lines, self.import_summary, self.import_error = [], "", ""
        if self._import_digest:
            await self.call(excel.discard_upload, digest=self._import_digest)
        self._import_digest = ""

    @rx.event
    async def cancel_import(self):
        await self._reset_import()

    @rx.event
    async def confirm_import(self):
        out = await self.call(excel.apply_upload, digest=self._import_digest)
        if not out.ok:
            self.import_error = out.error
            return None
        self._import_digest = ""
        await self._reset_import()
        await self.reload()
        return said(self.text("ui.cat.import_done", creates=out.value.creates, updates=out.value.updates))
