"""/admin/catalog's price labels (CA4): find variants, choose copies and a size, download the PDF
(``services/catalog/labels``)."""
from __future__ import annotations

from typing import TypedDict

import reflex as rx

from smo_app.services.catalog import labels
from smo_app.state.ops import download, money_text
from smo_app.state.session import SessionState

SIZES = tuple(labels.SIZES)


class LabelLine(TypedDict):
    id: int
    name: str
    price: str
    code: str
    copies: str


class LabelsState(SessionState):
    labels_open: bool = False
    label_hits: list[LabelLine] = []
    label_chosen: list[LabelLine] = []
    label_size: str = SIZES[0]
    label_error: str = ""

    @rx.event
    def toggle_labels(self):
        self.labels_open = not self.labels_open

    @rx.event
    def set_label_size(self, value: str):
        self.label_size = value if value in SIZES else SIZES[0]

    def _line(self, p: labels.LabelPick, copies: str = "1") -> LabelLine:
        return LabelLine(id=p.variant_id, name=p.name, price=money_text(self, p.price_minor), code=p.code, copies=copies)

    @rx.event
    async def find_labels(self, form: dict):
        out = await self.call(labels.find_variants, readonly=True, query=str(form.get("q", ""))[:100])
        self.label_error = out.error
        chosen = {c["id"] for c in self.label_chosen}
        self.label_hits = [self._line(p) for p in out.value or [] if p.variant_id not in chosen]

    @rx.event
    def choose_label(self, variant_id: int):
        hit = next((h for h in self.label_hits if h["id"] == int(variant_id)), None)
        if hit is not None:
            self.label_chosen = [*self.label_chosen, hit]
            self.label_hits = [h for h in self.label_hits if h["id"] != int(variant_id)]

    @rx.event
    def set_label_copies(self, variant_id: int, value: str):
        self.label_chosen = [{**c, "copies": str(value).strip()} if c["id"] == int(variant_id) else c
                             for c in self.label_chosen]

    @rx.event
    def drop_label(self, variant_id: int):
        self.label_chosen = [c for c in self.label_chosen if c["id"] != int(variant_id)]

    @rx.event
    async def print_labels(self):
        copies = [c["copies"] for c in self.label_chosen]
        if not all(c.isdigit() for c in copies):
            self.label_error = self.text("catalog.labels_copies", max=labels.MAX_COPIES)
            return None
        items = [labels.LabelItem(variant_id=c["id"], copies=int(c["copies"])) for c in self.label_chosen]
        out = await self.call(labels.label_rows, readonly=True, items=items)  # refusals shown by the form
        self.label_error = out.error
        if not out.ok:
            return None
        return await download(self, f"labels-{self.label_size}.pdf", labels.labels_pdf, mime_type="application/pdf",
                              items=items, size=self.label_size, lang=self.ui_lang_value())
