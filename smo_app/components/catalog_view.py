"""View of the catalog page: the category tree, the product table, the editor, the Excel import."""
from __future__ import annotations

import reflex as rx

from smo_app.components.common import T, row_form
from smo_app.components.ops import card, empty_state, error_box, field, listing, pager
from smo_app.state.catalog import ALL, NONE, CatalogState, CatRow, ImportLine, ProdLine
from smo_app.state.catalog_editor import ProductEditorState, VarLine
from smo_app.state.labels import SIZES as LABEL_SIZES
from smo_app.state.labels import LabelLine, LabelsState

S = CatalogState
E = ProductEditorState
STATUSES = ("all", "visible", "hidden", "suspended", "low")


def _cat_select(value, on_change, *, with_all: bool, id: str) -> rx.Component:
    first = rx.select.item(T("ui.cat.all_categories"), value=ALL) if with_all else rx.select.item(T("ui.cat.no_category"), value=NONE)
    return rx.select.root(
        rx.select.trigger(min_width="12rem", id=id),
        rx.select.content(first, rx.foreach(S.cat_options, lambda o: rx.select.item(o["label"], value=o["value"]))),
        value=value, on_change=on_change,
    )


# -- category tree --------------------------------------------------------------------------
def _cat_row(c: CatRow) -> rx.Component:
    return rx.hstack(
        rx.input(default_value=c["name"], on_blur=lambda v: S.rename_category(c["id"], v), size="1",
                 margin_left=rx.cond(c["depth"] > 0, "1.25rem", "0"), width="100%", key=c["id"].to_string() + c["name"],
                 class_name="cat-name"),
        rx.icon_button(rx.icon("arrow-up", size=14), size="1", variant="ghost", disabled=c["first"],
                       on_click=S.move_category(c["id"], -1), aria_label="up"),
        rx.icon_button(rx.icon("arrow-down", size=14), size="1", variant="ghost", disabled=c["last"],
                       on_click=S.move_category(c["id"], 1), aria_label="down"),
        rx.icon_button(rx.cond(c["hidden"], rx.icon("eye-off", size=14), rx.icon("eye", size=14)), size="1",
                       variant="ghost", on_click=S.toggle_category(c["id"], ~c["hidden"]), aria_label="hide"),
        rx.cond(S.can_delete, rx.icon_button(rx.icon("trash-2", size=14), size="1", variant="ghost", color_scheme="red",
                                             on_click=S.delete_category(c["id"]), aria_label="delete")),
        spacing="1", align="center", width="100%",
    )


def _tree() -> rx.Component:
    return card(
        "ui.cat.categories",
        rx.cond(S.cats.length() > 0, rx.vstack(rx.foreach(S.cats, _cat_row), spacing="1", width="100%", id="cat-tree"),
                empty_state("ui.cat.no_categories", "cat-empty")),
        rx.form(
            rx.vstack(
                rx.input(name="name", placeholder=T("ui.cat.new_category"), id="new-cat-name", width="100%"),
                rx.hstack(
                    rx.select.root(
                        rx.select.trigger(min_width="8rem"),
                        rx.select.content(rx.select.item(T("ui.cat.top_level"), value=NONE),
                                          rx.foreach(S.cats, lambda c: rx.cond(c["depth"] == 0, rx.select.item(c["name"], value=c["id"].to_string())))),
                        value=S.new_cat_parent, on_change=S.set_new_cat_parent,
                    ),
                    rx.button(rx.icon("plus", size=14), T("ui.cat.add"), type="submit", size="2", id="new-cat-add"),
                ),
                spacing="2", width="100%",
            ),
            on_submit=S.create_category, reset_on_submit=False, width="100%",
        ),
        min_width="17rem", max_width="20rem",
    )


# -- products --------------------------------------------------------------------------------
def _row(p: ProdLine) -> rx.Component:
    badges = rx.hstack(
        rx.cond(p["hidden"], rx.badge(T("ui.cat.hidden"), color_scheme="gray")),
        rx.cond(p["suspended"], rx.badge(T("ui.cat.suspended"), color_scheme="amber")),
        rx.cond(p["low"], rx.badge(T("ui.cat.low"), color_scheme="red")),
        spacing="1",
    )
    return rx.table.row(
        rx.table.cell(p["id"]), rx.table.cell(rx.text(p["name"], weight="medium")), rx.table.cell(p["category"]),
        rx.table.cell(p["price"]), rx.table.cell(p["discount"], "%"), rx.table.cell(p["qty"]), rx.table.cell(badges),
        on_click=E.open_product(p["id"]), cursor="pointer", class_name="product-row",
    )


def _products() -> rx.Component:
    heads = ("id", "name", "category", "price", "discount", "qty", "status")
    return rx.vstack(
        rx.flex(
            rx.form(rx.hstack(rx.input(name="q", placeholder=T("ui.cat.search"), id="prod-search", width="14rem"),
                              rx.button(rx.icon("search", size=14), type="submit", aria_label="search")),
                    on_submit=S.filter, reset_on_submit=False),
            _cat_select(S.f_category, S.set_f_category, with_all=True, id="prod-category"),
            rx.select.root(rx.select.trigger(min_width="9rem"),
                           rx.select.content(*[rx.select.item(T(f"ui.cat.status.{k}"), value=k) for k in STATUSES]),
                           value=S.f_status, on_change=S.set_f_status),
            rx.spacer(),
            rx.button(rx.icon("plus", size=14), T("ui.cat.new_product"), on_click=E.new_product, id="new-product"),
            spacing="2", wrap="wrap", width="100%", align="center",
        ),
        error_box(S.message, "catalog-error"),
        listing([f"ui.cat.col.{h}" for h in heads], S.rows, _row, "product-table",
                rx.cond(S.search != "", empty_state("ui.cat.none_found", "products-empty"),
                        empty_state("ui.cat.no_products", "products-empty"))),
        rx.hstack(pager(S.page.to_string() + " / " + S.pages.to_string(), S.page > 1, S.page < S.pages, S.go(-1), S.go(1),
                        "prod-pager"), rx.text(T("ui.cat.total"), ": ", S.total, size="2", color_scheme="gray")),
        spacing="3", width="100%",
    )


# -- editor ----------------------------------------------------------------------------------
def _vfield(key: str, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.text(T(f"ui.cat.f.{key}"), size="1", color_scheme="gray"), control, spacing="0")


def _vinput(v: VarLine, key: str, width: str, **props) -> rx.Component:
    return _vfield(key, rx.input(name=key, default_value=v[key], width=width, size="1", key=v["rev"],
                                 aria_label=key, **props))


def _variant(v: VarLine) -> rx.Component:
    """One variant's row: a form of its own (row_form: the variant's id travels in the form)."""
    units = [rx.el.option(T(f"ui.cat.unit.{u}"), value=u) for u in ("pcs", "kg", "g")]
    return row_form(
        v["id"],
        rx.flex(
            _vinput(v, "label", "7rem"),
            _vinput(v, "price", "6rem", input_mode="decimal"),
            _vfield("unit", rx.el.select(*units, name="unit", default_value=v["unit"], key=v["rev"], aria_label="unit",
                                         style={"height": "24px", "font_size": "12px"})),
            _vinput(v, "weight", "4rem", input_mode="numeric"),
            _vinput(v, "wholesale", "6rem", input_mode="decimal"),
            _vinput(v, "min_qty", "4rem", input_mode="numeric"),
            _vinput(v, "barcode", "9rem"),
            _vinput(v, "sku", "7rem"),
            _vinput(v, "plu", "4.5rem", input_mode="numeric"),
            _vfield("stock", rx.text(v["qty"], size="2", min_width="3rem")),
            rx.button(T("ui.save"), size="1", variant="soft", type="submit", class_name="variant-save"),
            spacing="2", align="end", wrap="wrap",
        ),
        on_submit=E.save_variant, class_name="variant-row", width="100%",
    )


def _photos() -> rx.Component:
    return rx.vstack(
        rx.text(T("ui.cat.photos"), weight="bold"),
        rx.flex(rx.foreach(E.ed_photos, lambda url: rx.box(
            rx.image(src=url, width="96px", height="96px", object_fit="cover", border_radius="8px"),
            rx.icon_button(rx.icon("x", size=12), size="1", color_scheme="red", variant="soft", position="absolute",
                           top="2px", right="2px", on_click=E.remove_photo(url), aria_label="remove"),
            position="relative")), spacing="2", wrap="wrap"),
        rx.upload.root(
            rx.button(rx.icon("image-plus", size=14), T("ui.cat.add_photo"), variant="soft", size="2"),
            id="photo-upload", accept={"image/jpeg": [".jpg", ".jpeg"], "image/png": [".png"], "image/webp": [".webp"]},
            max_files=5, on_drop=E.upload_photo(rx.upload_files(upload_id="photo-upload")), border="none", padding="0",
        ),
        spacing="2",
    )


def _cross_sell() -> rx.Component:
    return rx.vstack(
        rx.text(T("ui.cat.cross_sell"), weight="bold"),
        rx.flex(rx.foreach(E.ed_cross, lambda c: rx.badge(c["name"], rx.icon("x", size=12, cursor="pointer",
                                                                              on_click=E.remove_cross(c["id"])),
                                                          size="2")), spacing="2", wrap="wrap"),
        rx.form(rx.hstack(rx.input(name="q", placeholder=T("ui.cat.search"), size="1", width="12rem"),
                          rx.button(rx.icon("search", size=12), size="1", type="submit", aria_label="search")),
                on_submit=E.pick_search, reset_on_submit=False),
        rx.flex(rx.foreach(E.pick_results, lambda p: rx.button(rx.icon("plus", size=12), p["name"], size="1",
                                                               variant="outline", on_click=E.add_cross(p["id"], p["name"]))),
                spacing="1", wrap="wrap"),
        spacing="2",
    )


def _editor() -> rx.Component:
    main = rx.form(
        rx.vstack(
            rx.flex(
                field("ui.cat.f.name", rx.input(name="name", default_value=E.ed["name"], id="ed-name", width="20rem",
                                                read_only=(E.ed_id != 0) & ~S.can_rename, key=E.ed_id)),
                field("ui.cat.f.category", _cat_select(E.ed_category, E.set_ed_category, with_all=False, id="ed-category")),
                field("ui.cat.f.price", rx.input(name="price", default_value=E.ed["price"], id="ed-price", width="8rem", key=E.ed_id)),
                field("ui.cat.f.unit", rx.input(name="unit", default_value=E.ed["unit"], width="5rem", key=E.ed_id)),
                field("ui.cat.f.discount", rx.input(name="discount", default_value=E.ed["discount"], width="5rem", key=E.ed_id)),
                field("ui.cat.f.threshold", rx.input(name="threshold", default_value=E.ed["threshold"], width="5rem", key=E.ed_id)),
                field("ui.cat.f.position", rx.input(name="position", default_value=E.ed["position"], width="5rem", key=E.ed_id)),
                spacing="3", wrap="wrap",
            ),
            field("ui.cat.f.description", rx.text_area(name="description", default_value=E.ed["description"], rows="3",
                                                       width="100%", key=E.ed_id), width="100%"),
            field("ui.cat.f.details", rx.text_area(name="details", default_value=E.ed["details"], rows="2", width="100%",
                                                   key=E.ed_id), width="100%"),
            rx.cond(E.ed_id == 0, field("ui.cat.f.variants", rx.input(name="variants", placeholder="10 мл:450:15; 30 мл:1100:40",
                                                                      width="100%", id="ed-variants"), width="100%")),
            rx.hstack(rx.switch(checked=E.ed_hidden, on_change=E.set_ed_hidden), rx.text(T("ui.cat.hidden"), size="2"),
                      rx.switch(checked=E.ed_suspended, on_change=E.set_ed_suspended), rx.text(T("ui.cat.suspended"), size="2"),
                      align="center", spacing="2"),
            rx.button(rx.icon("save", size=14), T("ui.save"), type="submit", id="ed-save"),
            spacing="3", width="100%",
        ),
        on_submit=E.save_product, reset_on_submit=False,
    )
    existing = rx.vstack(
        rx.text(T("ui.cat.variants"), weight="bold"),
        rx.text(T("ui.cat.variant_hint"), size="1", color_scheme="gray"),
        rx.foreach(E.ed_variants, _variant),
        rx.form(rx.hstack(rx.input(name="spec", placeholder="50 мл:990:60", id="new-variant", size="1", width="14rem"),
                          rx.button(rx.icon("plus", size=12), T("ui.cat.add_variant"), size="1", type="submit")),
                on_submit=E.add_variant, reset_on_submit=False),
        _photos(),
        _cross_sell(),
        rx.cond(S.can_delete, rx.button(rx.icon("trash-2", size=14), T("ui.cat.delete_product"), color_scheme="red",
                                        variant="soft", on_click=E.delete_product, id="ed-delete")),
        spacing="3", width="100%",
    )
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(E.ed_id == 0, T("ui.cat.new_product"), E.ed["name"])),
            rx.vstack(error_box(E.ed_error, "ed-error"), main, rx.cond(E.ed_id != 0, existing),
                      rx.dialog.close(rx.button(T("ui.close"), variant="soft", color_scheme="gray", on_click=E.close_editor)),
                      spacing="3", width="100%"),
            max_width="60rem",
        ),
        open=E.editor_open, on_open_change=lambda _o: E.close_editor(),
    )


# -- Excel -----------------------------------------------------------------------------------
def _import_row(line: ImportLine) -> rx.Component:
    return rx.table.row(rx.table.cell(line["row"]), rx.table.cell(line["action"]), rx.table.cell(line["name"]),
                        rx.table.cell(rx.text(line["changes"], size="1")))


def _excel() -> rx.Component:
    return card(
        "ui.cat.excel",
        rx.text(T("ui.cat.excel_hint"), size="2", color_scheme="gray"),
        rx.hstack(
            rx.button(rx.icon("download", size=14), T("ui.cat.export"), variant="soft", on_click=S.export_excel,
                      id="catalog-export"),
            rx.upload.root(
                rx.button(rx.icon("upload", size=14), T("ui.cat.import"), variant="soft"),
                id="catalog-import", accept={"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": [".xlsx"]},
                max_files=1, on_drop=S.upload_import(rx.upload_files(upload_id="catalog-import")), border="none", padding="0",
            ),
            spacing="3",
        ),
        error_box(S.import_error, "import-error"),
        rx.cond(
            S.import_summary != "",
            rx.vstack(
                rx.callout(S.import_summary, icon="info", id="import-summary", width="100%"),
                rx.cond(S.import_lines.length() > 0,
                        rx.table.root(rx.table.body(rx.foreach(S.import_lines, _import_row)), size="1", width="100%",
                                      id="import-preview")),
                rx.hstack(rx.button(T("ui.cat.import_confirm"), on_click=S.confirm_import, id="import-confirm"),
                          rx.button(T("ui.cancel"), variant="soft", color_scheme="gray", on_click=S.cancel_import)),
                spacing="2", width="100%",
            ),
        ),
    )


# -- price labels ----------------------------------------------------------------------------
L = LabelsState


def _label_hit(h: LabelLine) -> rx.Component:
    return rx.button(rx.icon("plus", size=12), h["name"], " · ", h["price"], size="1", variant="outline",
                     on_click=L.choose_label(h["id"]), class_name="label-hit")


def _label_chosen(c: LabelLine) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(c["name"], size="2")), rx.table.cell(c["price"]),
        rx.table.cell(rx.cond(c["code"] != "", rx.code(c["code"], size="1"),
                              rx.text(T("ui.labels.no_code"), size="1", color_scheme="gray"))),
        rx.table.cell(rx.input(default_value=c["copies"], on_blur=lambda value: L.set_label_copies(c["id"], value),
                               width="4.5rem", size="1", input_mode="numeric", aria_label="copies", key=c["id"].to_string(),
                               class_name="label-copies")),
        rx.table.cell(rx.icon_button(rx.icon("x", size=12), size="1", variant="ghost", color_scheme="red",
                                     on_click=L.drop_label(c["id"]), aria_label="remove")),
        class_name="label-row",
    )


def _labels() -> rx.Component:
    return card(
        "ui.labels.title",
        rx.text(T("ui.labels.hint"), size="2", color_scheme="gray"),
        rx.form(rx.hstack(rx.input(name="q", placeholder=T("ui.labels.search"), id="labels-search", width="16rem"),
                          rx.button(rx.icon("search", size=14), type="submit", aria_label="search")),
                on_submit=L.find_labels, reset_on_submit=False),
        rx.flex(rx.foreach(L.label_hits, _label_hit), spacing="2", wrap="wrap", id="label-hits"),
        rx.cond(L.label_chosen.length() > 0,
                rx.table.root(
                    rx.table.header(rx.table.row(*[rx.table.column_header_cell(T(k)) for k in (
                        "ui.labels.chosen", "ui.cat.col.price", "ui.cat.f.barcode", "ui.labels.copies")],
                        rx.table.column_header_cell(""))),
                    rx.table.body(rx.foreach(L.label_chosen, _label_chosen)), size="1", width="100%", id="label-chosen"),
                rx.text(T("ui.labels.empty"), size="2", color_scheme="gray")),
        error_box(L.label_error, "labels-error"),
        rx.hstack(
            rx.text(T("ui.labels.size"), size="2"),
            rx.select.root(rx.select.trigger(min_width="14rem", id="labels-size"),
                           rx.select.content(*[rx.select.item(T(f"ui.labels.size.{k}"), value=k) for k in LABEL_SIZES]),
                           value=L.label_size, on_change=L.set_label_size),
            rx.button(rx.icon("printer", size=14), T("ui.labels.print"), on_click=L.print_labels, id="labels-print",
                      disabled=L.label_chosen.length() == 0),
            spacing="3", align="center", wrap="wrap",
        ),
    )


def catalog_view() -> rx.Component:
    return rx.vstack(
        rx.flex(_excel(), _labels(), spacing="4", width="100%", direction=rx.breakpoints(initial="column", md="row")),
        rx.flex(_tree(), _products(), spacing="4", width="100%", align="start",
                direction=rx.breakpoints(initial="column", md="row")),
        _editor(),
        spacing="4", width="100%",
    )
