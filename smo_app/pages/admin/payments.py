"""/admin/payments — payments with filters, payments not credited (credit / refund / dismiss with a
reason), the reconciliation log. Owner and admin act; managers read."""
import reflex as rx

from smo_app import routes
from smo_app.components.backoffice import admin_page
from smo_app.components.common import T
from smo_app.models.payments import PaymentProvider, PaymentStatus
from smo_app.components.ops import error_box, field
from smo_app.state.payments_admin import LetterRow, PaymentRow, PaymentsAdminState as S, RunRow
from smo_app.state.payments_setup import PaymentsSetupState as Setup


def _filters() -> rx.Component:
    return rx.hstack(
        rx.select.root(
            rx.select.trigger(aria_label=T("ui.payments.filter_status")),
            rx.select.content(rx.select.item(T("ui.payments.all"), value="all"),
                              *[rx.select.item(T(f"ui.payment.status.{s.value}"), value=s.value) for s in PaymentStatus]),
            value=S.status_filter, on_change=S.set_status_filter,
        ),
        rx.select.root(
            rx.select.trigger(aria_label=T("ui.payments.filter_provider")),
            rx.select.content(rx.select.item(T("ui.payments.all"), value="all"),
                              *[rx.select.item(T(f"ui.payment.method.{p.value}"), value=p.value) for p in PaymentProvider]),
            value=S.provider_filter, on_change=S.set_provider_filter,
        ),
        rx.form(rx.hstack(rx.input(name="order", placeholder=T("ui.payments.filter_order"),
                                   aria_label=T("ui.payments.filter_order"), width="8rem"),
                          rx.button(rx.icon("search"), type="submit", variant="soft", aria_label=T("ui.payments.filter_order"))),
                on_submit=S.apply_order_filter),
        spacing="3", wrap="wrap",
    )


def _payment(row: PaymentRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["id"]), rx.table.cell(row["order_id"]), rx.table.cell(row["provider"]),
        rx.table.cell(rx.vstack(rx.badge(row["status"]), rx.text(row["failure"], size="1", color_scheme="gray"), spacing="1")),
        rx.table.cell(row["amount"]), rx.table.cell(row["refunded"]), rx.table.cell(rx.text(row["created"], size="1")),
        class_name="payment-row",
    )


def _letter_actions(row: LetterRow) -> rx.Component:
    """One form per row: the action (only those that make sense for it), the reason, submit."""
    return rx.cond(
        S.can_manage,
        rx.form(rx.vstack(
            rx.input(type="hidden", name="id", value=row["id"].to_string()),
            rx.el.select(
                rx.cond(row["can_restore"], rx.el.option(T("ui.payments.restore"), value="restore")),
                rx.cond(row["refundable"], rx.el.option(T("ui.payments.refund"), value="refund")),
                rx.cond(row["can_apply"], rx.el.option(T("ui.payments.apply"), value="apply")),
                rx.el.option(T("ui.payments.dismiss"), value="dismiss"),
                name="action", aria_label=T("ui.payments.action"),
            ),
            rx.input(name="note", placeholder=T("ui.payments.note"), aria_label=T("ui.payments.note"), size="1",
                     max_length=500, width="14rem"),
            rx.button(T("ui.payments.resolve"), type="submit", size="1", variant="soft"),
            rx.cond(row["restore_why_not"] != "", rx.text(row["restore_why_not"], size="1", color_scheme="amber",
                                                          class_name="restore-why-not")),
            spacing="1"), on_submit=S.resolve, reset_on_submit=True),
        rx.text(T("ui.payments.read_only"), size="1", color_scheme="gray"),
    )


def _letter(row: LetterRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row["when"], size="1")), rx.table.cell(row["provider"]), rx.table.cell(row["order_id"]),
        rx.table.cell(rx.vstack(rx.text(row["reason"], weight="medium"), rx.text(row["detail"], size="1", color_scheme="gray"),
                                spacing="1")),
        rx.table.cell(_letter_actions(row)),
        class_name="payment-letter-row",
    )


def _run(row: RunRow) -> rx.Component:
    return rx.table.row(*[rx.table.cell(row[k]) for k in ("when", "checked", "applied", "expired", "refunds_checked",
                                                         "refunds_done", "errors", "note")])


def _table(headers: tuple[str, ...], rows, render) -> rx.Component:
    return rx.vstack(
        rx.table.root(rx.table.header(rx.table.row(*[rx.table.column_header_cell(T(k)) for k in headers])),
                      rx.table.body(rx.foreach(rows, render)), variant="surface", width="100%"),
        rx.cond(rows.length() == 0, rx.text(T("ui.payments.empty"), color_scheme="gray")),
        width="100%",
    )


def _method(row) -> rx.Component:
    return rx.text(rx.checkbox(name="m_" + row["key"], default_checked=row["on"], disabled=Setup.methods_from_env,
                               id="setup-method-" + row["key"]), " ", row["label"], as_="label", size="2")


def _key(row) -> rx.Component:
    return rx.vstack(
        rx.text(row["label"], size="2", weight="medium"),
        rx.hstack(rx.input(name=row["name"], type="password", auto_complete="off", width="22rem",
                           disabled=row["from_env"], id="setup-key-" + row["name"], aria_label=row["label"],
                           on_blur=lambda value: Setup.remember_key(row["name"], value)),
                  rx.text(row["state"], size="1", color_scheme="gray"), align="center", wrap="wrap"),
        spacing="1")


def _providers() -> rx.Component:
    """Which methods the shop offers, the providers' keys (never shown back), check, webhook URLs."""
    return rx.vstack(
        rx.form(rx.vstack(
            rx.heading(T("ui.payments.setup.methods"), size="4"),
            rx.cond(Setup.methods_from_env, rx.callout(T("ui.payments.setup.methods_env"), icon="info")),
            rx.foreach(Setup.methods, _method),
            rx.heading(T("ui.payments.setup.receipts"), size="4"),
            rx.text(rx.checkbox(name="receipts", default_checked=Setup.receipts, disabled=Setup.receipts_from_env,
                                id="setup-receipts"), " ", T("ui.payments.setup.receipts_on"), as_="label", size="2"),
            rx.hstack(
                field("ui.payments.setup.vat_code", rx.el.select(
                    *[rx.el.option(T(f"ui.payments.vat.{n}"), value=str(n)) for n in range(1, 13)],
                    name="vat_code", default_value=Setup.vat_code, id="setup-vat", disabled=Setup.receipts_from_env)),
                field("ui.payments.setup.tax_system", rx.el.select(
                    rx.el.option("—", value=""),
                    *[rx.el.option(T(f"ui.payments.tax.{n}"), value=str(n)) for n in range(1, 7)],
                    name="tax_system_code", default_value=Setup.tax_system_code, id="setup-tax",
                    disabled=Setup.receipts_from_env)),
                spacing="4", wrap="wrap"),
            rx.heading(T("ui.payments.setup.keys"), size="4"),
            rx.text(T("ui.payments.setup.keys_hint"), size="2", color_scheme="gray"),
            rx.foreach(Setup.keys, _key),
            rx.button(T("ui.payments.setup.save_methods"), type="submit", id="setup-save-providers"),
            spacing="3", width="100%"), on_submit=Setup.save_providers, reset_on_submit=True,
            key=Setup.vat_code + Setup.tax_system_code + Setup.receipts.to_string()),
        rx.hstack(*[rx.button(T("ui.payments.setup.check"), " — ", T(f"ui.payment.method.{p}"), variant="soft",
                              on_click=Setup.check(p), id=f"setup-check-{p}") for p in ("yookassa", "stripe", "telegram")],
                  wrap="wrap"),
        rx.cond(Setup.check_result != "", rx.callout(Setup.check_result, id="setup-check-result",
                                                     color_scheme=rx.cond(Setup.check_ok, "green", "red"),
                                                     icon="info")),
        rx.text(T("ui.payments.setup.webhook"), size="2", weight="medium"),
        rx.foreach(Setup.webhooks, lambda w: rx.hstack(rx.text(w["provider"], size="2"),
                                                        rx.code(w["url"]), wrap="wrap")),
        spacing="3", width="100%", max_width="40rem",
    )


def _setup() -> rx.Component:
    """The owner's transfer details and SBP link (what the customer's order screen shows)."""
    def text_field(key: str, name: str, **props) -> rx.Component:
        return field(f"ui.payments.setup.{key}", rx.input(name=name, default_value=Setup.transfer[name],
                                                           id=f"setup-{name}", width="100%",
                                                           aria_label=T(f"ui.payments.setup.{key}"), **props),
                     width="100%")

    return rx.form(
        rx.vstack(
            rx.heading(T("ui.payments.setup.transfer"), size="4"),
            rx.text(T("ui.payments.setup.transfer_hint"), size="2", color_scheme="gray"),
            text_field("recipient", "recipient"),
            text_field("bank", "bank"),
            text_field("account", "account", placeholder="2202 2000 0000 0000"),
            text_field("comment", "comment", placeholder="Заказ №{order}"),
            text_field("sbp_link", "sbp_link", placeholder="https://qr.nspk.ru/…"),
            text_field("review_minutes", "review_minutes", type="number", min="1", max="1440"),
            error_box(Setup.setup_error, "setup-error"),
            rx.button(T("ui.save"), type="submit", id="setup-save"),
            spacing="3", width="100%", max_width="36rem",
        ),
        on_submit=Setup.save_transfer, reset_on_submit=False, key=Setup.transfer.to_string(),
    )


@admin_page(routes.PAYMENTS, perm="payments.view", title_key="ui.payments.title", on_load=S.load)
def payments() -> rx.Component:
    return rx.vstack(
        rx.cond(S.message != "", rx.callout(S.message, icon="triangle-alert", color_scheme="red", role="alert")),
        rx.tabs.root(
            rx.tabs.list(rx.tabs.trigger(T("ui.payments.tab_payments"), value="payments"),
                         rx.tabs.trigger(T("ui.payments.tab_dead"), value="dead"),
                         rx.tabs.trigger(T("ui.payments.tab_reconcile"), value="reconcile"),
                         rx.cond(Setup.allowed, rx.tabs.trigger(T("ui.payments.tab_setup"), value="setup",
                                                                id="payments-tab-setup"))),
            rx.tabs.content(rx.vstack(_filters(), _table(
                ("ui.payments.payment_no", "ui.payments.order", "ui.payments.filter_provider", "ui.payments.filter_status",
                 "ui.payments.amount", "ui.payments.refunded", "ui.payments.created"), S.rows, _payment),
                spacing="3", padding_top="1rem"), value="payments"),
            rx.tabs.content(rx.box(_table(("ui.payments.created", "ui.payments.filter_provider", "ui.payments.order",
                                           "ui.payments.reason", "ui.payments.note"), S.letters, _letter),
                                   padding_top="1rem"), value="dead"),
            rx.tabs.content(rx.vstack(
                rx.cond(S.can_manage, rx.button(T("ui.payments.run_reconcile"), on_click=S.run_reconcile, variant="soft")),
                _table(("ui.payments.created", "ui.payments.checked", "ui.payments.applied", "ui.payments.expired",
                        "ui.payments.refunds_checked", "ui.payments.refunds_done", "ui.payments.errors",
                        "ui.payments.note"), S.runs, _run),
                spacing="3", padding_top="1rem"), value="reconcile"),
            rx.tabs.content(rx.vstack(_providers(), rx.divider(), _setup(), spacing="5", padding_top="1rem"),
                            value="setup"),
            default_value="payments", width="100%", on_mount=Setup.load_setup,
        ),
        spacing="3", width="100%",
    )
