"""/admin/catalog's product editor (CA1): fields, variants, photos and cross-sell of one product.

The form goes to ``services/catalog/product_editor`` as typed and comes back as the product now is;
after a change the catalog's list (:class:`~smo_app.state.catalog.CatalogState`) reloads."""
from __future__ import annotations

from typing import TypedDict

import reflex as rx

from smo_app.services.catalog import admin as catalog_admin
from smo_app.services.catalog import images, product_editor
from smo_app.services.catalog import products as catalog
from smo_app.services.core.form_input import amount_text
from smo_app.state.catalog import ALL, NONE, CatalogState
from smo_app.state.ops import ROW_ID
from smo_app.units import qty_text
from smo_app.state.ops import field_message
from smo_app.state.session import SessionState, said, toast

NEW_PRODUCT = {"name": "", "description": "", "details": "", "price": "", "unit": product_editor.DEFAULT_UNIT,
               "discount": "0", "position": "0", "threshold": "3", "variants": ""}
# a refusal naming an editor field reads "«Discount, %»: …" (the field's label ui.cat.f.<field>)
FIELD_MESSAGES = {"catalog.number_invalid": "ui.cat.bad_number", "catalog.variant_invalid": "ui.cat.bad_value"}


class VarLine(TypedDict):
    id: int
    rev: str  # changes with every view of the product: the row's inputs show the stored values again
    label: str
    price: str
    weight: str
    wholesale: str
    min_qty: str
    barcode: str
    sku: str
    unit: str
    plu: str
    qty: str


class Pick(TypedDict):
    id: int
    name: str


class ProductEditorState(SessionState):
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
    _rev: int = 0

    @rx.event
    def load_page(self):
        """The catalog page opens with the editor closed, then loads the catalog."""
        self.editor_open = False
        return CatalogState.load

    async def _catalog_changed(self) -> None:
        catalog_state = await self.get_state(CatalogState)
        await catalog_state.reload()

    def _show(self, view: product_editor.EditorView) -> None:
        p = view.product
        self.ed_id = p.id
        self.ed = {"name": p.name, "description": p.description, "details": p.details,
                   "price": amount_text(p.base_price_minor), "unit": p.unit, "discount": str(p.discount_pct),
                   "position": str(p.position), "threshold": str(p.low_stock_threshold), "variants": ""}
        self.ed_category = str(p.category_id) if p.category_id else NONE
        self.ed_hidden, self.ed_suspended = p.hidden, p.suspended
        self._rev += 1
        self.ed_variants = [VarLine(id=v.id, rev=f"{v.id}-{self._rev}", label=v.label, price=amount_text(v.price_minor),
                                    weight=str(v.weight_g), min_qty=str(v.wholesale_min_qty),
                                    wholesale="" if v.wholesale_price_minor is None else amount_text(v.wholesale_price_minor),
                                    barcode=v.barcode or "", sku=v.sku or "", unit=v.unit, plu=str(v.plu or ""),
                                    qty=qty_text(v.qty, v.unit, self.ui_lang_value())) for v in p.variants]
        self.ed_photos = list(p.photos)
        self.ed_cross = [Pick(id=i.id, name=i.name) for i in view.cross]

    async def _save(self, fn, ok_key: str = "ui.saved", **kwargs):
        """One editor change; the product as stored is shown, the catalog's list reloads."""
        out = await self.call(fn, product_id=self.ed_id, **kwargs)
        self.ed_error = field_message(self, out, FIELD_MESSAGES, "ui.cat.f.{}")
        if not out.ok:
            return None
        self._show(out.value)
        await self._catalog_changed()
        return said(self.text(ok_key))

    # -- open and close -----------------------------------------------------------------------
    @rx.event
    async def new_product(self):
        catalog_state = await self.get_state(CatalogState)
        self.ed_id, self.ed_error, self.ed = 0, "", dict(NEW_PRODUCT)
        self.ed_category = catalog_state.f_category if catalog_state.f_category not in (ALL, "") else NONE
        self.ed_hidden = self.ed_suspended = False
        self.ed_variants, self.ed_photos, self.ed_cross, self.pick_results = [], [], [], []
        self.editor_open = True

    @rx.event
    async def open_product(self, product_id: int):
        out = await self.call(product_editor.editor_view, readonly=True, product_id=int(product_id))
        if not out.ok:
            return toast(out)
        self._show(out.value)
        self.ed_error = ""
        self.pick_results = []
        self.editor_open = True
        return None

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

    # -- saving -------------------------------------------------------------------------------
    @rx.event
    async def save_product(self, form: dict):
        typed = {k: str(form.get(k, "")) for k in ("description", "details", "price", "unit", "discount", "position",
                                                    "threshold", "variants")}
        return await self._save(product_editor.save_product, form=product_editor.ProductForm(
            name=str(form.get("name", self.ed.get("name", ""))), **typed,
            category_id=None if self.ed_category in (NONE, "") else int(self.ed_category), hidden=self.ed_hidden,
            suspended=self.ed_suspended, cross_sell=[c["id"] for c in self.ed_cross]))

    @rx.event
    async def save_variant(self, form: dict):
        """A variant row's form (components.common.row_form: the row's id comes in the form)."""
        row = str(form.get(ROW_ID, ""))
        if not row.isdigit():
            return None
        return await self._save(product_editor.save_variant, variant_id=int(row), form=product_editor.VariantForm(
            **{k: str(form.get(k, "")) for k in product_editor.VariantForm.model_fields}))

    @rx.event
    async def add_variant(self, form: dict):
        done = await self._save(product_editor.add_variant, spec=str(form.get("spec", "")))
        return None if done is None else [rx.set_value("new-variant", ""), done]

    @rx.event
    async def delete_product(self):
        out = await self.call(catalog.delete_product, product_id=self.ed_id)
        self.ed_error = out.error
        if not out.ok:
            return None
        self.editor_open = False
        await self._catalog_changed()
        return said(self.text("ui.cat.product_deleted"))

    # -- cross-sell picker --------------------------------------------------------------------
    @rx.event
    async def pick_search(self, form: dict):
        out = await self.call(catalog_admin.pick_products, readonly=True, search=str(form.get("q", ""))[:100])
        if not out.ok:
            self.ed_error = out.error
            return
        chosen = {c["id"] for c in self.ed_cross} | {self.ed_id}
        self.pick_results = [Pick(id=i.id, name=i.name) for i in out.value if i.id not in chosen]

    @rx.event
    def add_cross(self, product_id: int, name: str):
        if all(c["id"] != int(product_id) for c in self.ed_cross):
            self.ed_cross = [*self.ed_cross, Pick(id=int(product_id), name=name)]
        self.pick_results = [p for p in self.pick_results if p["id"] != int(product_id)]

    @rx.event
    def remove_cross(self, product_id: int):
        self.ed_cross = [c for c in self.ed_cross if c["id"] != int(product_id)]

    # -- photos -------------------------------------------------------------------------------
    @rx.event
    async def upload_photo(self, files: list[rx.UploadFile]):
        for f in files[:images.MAX_PHOTOS]:
            out = await self.call(images.add_photo, product_id=self.ed_id, data=await f.read())
            if not out.ok:
                self.ed_error = out.error
                return
            self.ed_photos = out.value
        self.ed_error = ""

    @rx.event
    async def remove_photo(self, url: str):
        out = await self.call(images.remove_photo, product_id=self.ed_id, url=url)
        if out.ok:
            self.ed_photos = out.value
        else:
            self.ed_error = out.error
