"""View of the promotions page: one tab each for promo codes, certificates, tracking links and the
reward wheel's prizes."""
from __future__ import annotations

import reflex as rx

from smo_app.components.common import T, date_input
from smo_app.components.ops import empty_state, error_box, field, inline_form, listing, pager, tab_panels
from smo_app.state.promotions import CertLine, LinkLine, PromoLine, PromotionsState
from smo_app.state.wheel_admin import PrizeLine, WheelAdminState

S = PromotionsState


def _promo_row(p: PromoLine) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.code(p["code"])), rx.table.cell(p["pct"], "%"), rx.table.cell(p["used"]), rx.table.cell(p["expires"]),
        rx.table.cell(rx.cond(p["once"], T("ui.yes"), T("ui.no"))),
        rx.table.cell(rx.switch(checked=p["active"], on_change=lambda v: S.toggle_promo(p["id"], v))),
        rx.table.cell(rx.cond(p["stats"] != "", rx.text(p["stats"], size="1"),
                              rx.button(T("ui.promo.show_stats"), size="1", variant="soft", on_click=S.promo_stats(p["id"])))),
        rx.table.cell(rx.hstack(
            rx.button(T("ui.promo.edit"), size="1", variant="soft", on_click=S.edit_promo(p["id"]), class_name="promo-edit"),
            rx.button(T("ui.promo.delete"), size="1", variant="soft", color_scheme="red",
                      on_click=S.ask_delete_promo(p["id"]), class_name="promo-delete"),
            spacing="2")),
        class_name="promo-row", custom_attrs={"data-code": p["code"]},
    )


def _promo_edit_form(p: PromoLine) -> rx.Component:
    """The open row's terms; its text only while no order used it."""
    return rx.form(
        rx.vstack(
            rx.text(T("ui.promo.editing"), " ", rx.code(p["code"]), weight="medium"),
            rx.flex(
                field("ui.promo.code", rx.input(name="code", default_value=p["code"], width="10rem", id="promo-edit-code",
                                                read_only=p["orders"] > 0)),
                field("ui.promo.pct", rx.input(name="pct", default_value=p["pct"].to_string(), width="5rem",
                                               id="promo-edit-pct")),
                field("ui.promo.limit", rx.input(name="limit", default_value=p["limit"], width="6rem", id="promo-edit-limit")),
                field("ui.promo.expires", date_input(name="expires", default_value=p["expires_day"],
                                                   id="promo-edit-expires")),
                rx.el.label(rx.el.input(type="checkbox", name="once", default_checked=p["once"], id="promo-edit-once"),
                            rx.text(T("ui.promo.once"), size="2", as_="span", margin_left="0.4rem"),
                            display="flex", align_items="center"),
                rx.button(T("ui.save"), type="submit", id="promo-save"),
                rx.button(T("ui.cancel"), type="button", variant="soft", color_scheme="gray", on_click=S.cancel_edit_promo),
                spacing="3", wrap="wrap", align="end",
            ),
            rx.cond(p["orders"] > 0, rx.text(T("ui.promo.code_locked"), size="1", color_scheme="gray")),
            spacing="2", width="100%",
        ),
        on_submit=S.save_promo, reset_on_submit=False, key=p["id"], id="promo-edit-form",
        padding="0.75rem", border="1px solid var(--gray-a6)", border_radius="8px", width="100%",
    )


def _promo_delete_dialog() -> rx.Component:
    """Deleting asks first; a used code cannot go (its orders keep it) — switching it off is offered."""
    d = S.promo_delete
    used = d["orders"] > 0
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(T("ui.promo.delete"), " ", d["code"]),
            rx.alert_dialog.description(
                rx.cond(used, rx.cond(d["active"], T("ui.promo.delete_used"), T("ui.promo.delete_used_off")),
                        T("ui.promo.delete_confirm")),
                id="promo-delete-text"),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(T("ui.cancel"), variant="soft", color_scheme="gray",
                                                 on_click=S.cancel_delete_promo)),
                rx.cond(used,
                        rx.cond(d["active"],
                                rx.alert_dialog.action(rx.button(T("ui.promo.switch_off"), on_click=S.switch_off_instead,
                                                                 id="promo-switch-off"))),
                        rx.alert_dialog.action(rx.button(T("ui.promo.delete"), color_scheme="red", on_click=S.delete_promo,
                                                         id="promo-delete-confirm"))),
                justify="end", spacing="3", margin_top="1rem",
            ),
        ),
        open=d["id"] != 0,
    )


def _promos() -> rx.Component:
    form = inline_form(
        field("ui.promo.code", rx.input(name="code", id="promo-code", width="10rem")),
        field("ui.promo.pct", rx.input(name="pct", width="5rem")),
        field("ui.promo.limit", rx.input(name="limit", width="6rem")),
        field("ui.promo.expires", date_input(name="expires")),
        rx.hstack(rx.switch(checked=S.promo_once, on_change=S.set_promo_once), rx.text(T("ui.promo.once"), size="2"),
                  align="center"),
        rx.button(rx.icon("plus", size=14), T("ui.promo.create"), type="submit", id="promo-create"),
        on_submit=S.create_promo,
    )
    return rx.vstack(
        form, error_box(S.promo_error, "promo-error"),
        rx.foreach(S.promos, lambda p: rx.cond(S.promo_editing == p["id"], _promo_edit_form(p))),
        _promo_delete_dialog(),
        listing([f"ui.promo.col.{h}" for h in ("code", "pct", "used", "expires", "once", "active", "stats", "actions")],
                S.promos, _promo_row, "promo-table", empty_state("ui.promo.empty", "promo-empty")),
        pager(S.promo_page, S.promo_page > 1, S.promo_more, S.promo_go(-1), S.promo_go(1), "promo-pager"),
        spacing="3", width="100%",
    )


def _cert_row(c: CertLine) -> rx.Component:
    return rx.table.row(rx.table.cell(rx.code(c["code"])), rx.table.cell(c["face"]), rx.table.cell(c["status"]),
                        rx.table.cell(c["expires"]), rx.table.cell(c["redeemed"]))


def _certs() -> rx.Component:
    form = inline_form(
        field("ui.cert.face", rx.input(name="face", id="cert-face", width="8rem")),
        field("ui.cert.days", rx.input(name="days", placeholder="365", width="6rem")),
        field("ui.cert.code", rx.input(name="code", id="cert-code", placeholder=T("ui.cert.code_hint"), width="12rem")),
        rx.button(rx.icon("gift", size=14), T("ui.cert.create"), type="submit", id="cert-create"),
        on_submit=S.create_certificate,
    )
    return rx.vstack(
        form, error_box(S.cert_error, "cert-error"),
        listing([f"ui.cert.col.{h}" for h in ("code", "face", "status", "expires", "redeemed")], S.certs, _cert_row, "cert-table",
                empty_state("ui.cert.empty", "cert-empty")),
        pager(S.cert_page, S.cert_page > 1, S.cert_more, S.cert_go(-1), S.cert_go(1), "cert-pager"),
        spacing="3", width="100%",
    )


def _link_row(lk: LinkLine) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(lk["title"], weight="medium"), rx.text(lk["url"], size="1", color_scheme="gray")),
        rx.table.cell(lk["clicks"]), rx.table.cell(lk["unique"]), rx.table.cell(lk["new"]), rx.table.cell(lk["buyers"]),
        rx.table.cell(lk["conversion"]),
        rx.table.cell(rx.cond(lk["archived"], rx.badge(T("ui.link.archived"), color_scheme="gray"),
                              rx.button(T("ui.link.archive"), size="1", variant="soft", on_click=S.archive_link(lk["id"])))),
    )


def _links() -> rx.Component:
    form = inline_form(
        field("ui.link.title", rx.input(name="title", id="link-title", width="16rem")),
        field("ui.link.code", rx.input(name="code", id="link-code", placeholder=T("ui.link.code_hint"), width="12rem")),
        rx.button(rx.icon("link", size=14), T("ui.link.create"), type="submit", id="link-create"),
        on_submit=S.create_link,
    )
    return rx.vstack(
        form, error_box(S.link_error, "link-error"),
        rx.hstack(rx.switch(checked=S.show_archived, on_change=S.set_show_archived), rx.text(T("ui.link.show_archived"), size="2"),
                  align="center"),
        listing([f"ui.link.col.{h}" for h in ("title", "clicks", "unique", "new", "buyers", "conversion", "actions")], S.links,
                _link_row, "link-table", empty_state("ui.link.empty", "link-empty")),
        pager(S.link_page, S.link_page > 1, S.link_more, S.link_go(-1), S.link_go(1), "link-pager"),
        spacing="3", width="100%",
    )


def _prize_row(p: PrizeLine) -> rx.Component:
    W = WheelAdminState
    return rx.table.row(
        rx.table.cell(p["label"]), rx.table.cell(p["kind_text"]), rx.table.cell(p["shows"]),
        rx.table.cell(p["weight"]), rx.table.cell(p["odds"]),
        rx.table.cell(rx.switch(checked=p["active"], on_change=lambda v: W.set_active(p, v))),
        rx.table.cell(rx.button(T("ui.wheel.edit"), size="1", variant="soft", on_click=W.edit(p["id"]))),
        class_name="prize-row",
    )


def _prize_form(p: PrizeLine | None) -> rx.Component:
    """A new prize (``p`` None) or the row being changed."""
    W = WheelAdminState
    kinds = [rx.el.option(T(f"ui.wheel.kind.{k}"), value=k) for k in ("promo", "bonus", "nothing")]
    return rx.form(
        rx.flex(
            rx.el.input(type="hidden", name="prize_id", value=p["id"].to_string() if p is not None else "0"),
            field("ui.wheel.label", rx.input(name="label", default_value=p["label"] if p is not None else "",
                                             width="12rem", id="prize-label")),
            field("ui.wheel.kind", rx.el.select(*kinds, name="kind", default_value=p["kind"] if p is not None else "promo",
                                                id="prize-kind")),
            field("ui.wheel.value", rx.input(name="value", default_value=p["value"] if p is not None else "",
                                             width="7rem", id="prize-value")),
            field("ui.wheel.weight", rx.input(name="weight", default_value=p["weight"].to_string() if p is not None else "10",
                                              width="6rem", id="prize-weight")),
            rx.el.input(type="hidden", name="active", value=rx.cond(p["active"], "on", "off") if p is not None else "on"),
            rx.button(T("ui.save") if p is not None else T("ui.wheel.add"), type="submit", id="prize-save"),
            spacing="3", wrap="wrap", align="end",
        ),
        on_submit=W.save_prize, reset_on_submit=p is None, key=p["id"] if p is not None else "new",
    )


def _wheel() -> rx.Component:
    W = WheelAdminState
    return rx.vstack(
        rx.text(T("ui.wheel.hint"), size="2", color_scheme="gray"),
        _prize_form(None),
        error_box(W.wheel_error, "wheel-error"),
        rx.foreach(W.prizes, lambda p: rx.cond(W.editing == p["id"], _prize_form(p))),
        listing([f"ui.wheel.col.{h}" for h in ("label", "kind", "prize", "weight", "odds", "active", "actions")],
                W.prizes, _prize_row, "prize-table", empty_state("ui.wheel.empty", "wheel-empty")),
        spacing="3", width="100%",
    )


def promotions_view() -> rx.Component:
    return tab_panels("promo-tab", [("promo", "ui.promo.tab.promo", _promos()), ("certs", "ui.promo.tab.certs", _certs()),
                                    ("links", "ui.promo.tab.links", _links()), ("wheel", "ui.promo.tab.wheel", _wheel())],
                      S.tab, S.set_tab)
