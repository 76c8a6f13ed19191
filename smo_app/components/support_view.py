"""View pieces of the Support area: the queue tabs and table, the conversation, the owner's settings."""
from __future__ import annotations

import reflex as rx

from smo_app.components.common import T, field_label, form_card, labeled
from smo_app.components.ops import pager
from smo_app.services.support.admin import QUEUES
from smo_app.state.support import MessageLine, SupportState, TicketLine

_AUTHOR_COLOR = {"customer": "gray", "ai": "violet", "operator": "green", "system": "amber"}


def queue_tabs() -> rx.Component:
    def tab(state: str) -> rx.Component:
        label = T(f"ui.support.tab.{state}")
        count = SupportState.counts.get(state, 0)
        return rx.button(
            label, rx.cond(count > 0, rx.badge(count, variant="solid", radius="full")) if state != "closed" else rx.fragment(),
            variant=rx.cond(SupportState.tab == state, "solid", "soft"), size="2", id=f"support-tab-{state}",
            on_click=SupportState.show_tab(state),
        )

    return rx.hstack(*(tab(s) for s in QUEUES), rx.spacer(),
                     rx.text(SupportState.tokens_month, size="1", color_scheme="gray", id="support-tokens"),
                     spacing="2", wrap="wrap", role="tablist", width="100%", align="center")


def _row(line: TicketLine) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text("#", line.id, weight="medium")),
        rx.table.cell(line.customer),
        rx.table.cell(rx.text(line.about, size="1")),
        rx.table.cell(rx.text(line.last_text, size="1", color_scheme="gray")),
        rx.table.cell(line.assigned),
        rx.table.cell(rx.text(line.updated, size="1")),
        rx.table.cell(rx.button(T("ui.support.open"), size="1", variant="soft", id="support-open-" + line.id,
                                on_click=SupportState.open_ticket(line.id))),
    )


def queue_table() -> rx.Component:
    return rx.vstack(
        rx.cond(SupportState.message != "", rx.callout(SupportState.message, color_scheme="red", role="alert")),
        rx.cond(
            SupportState.lines.length() > 0,
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(T(f"ui.support.col.{c}")) for c in
                                               ("id", "customer", "about", "last", "assigned", "updated")],
                                             rx.table.column_header_cell(""))),
                rx.table.body(rx.foreach(SupportState.lines, _row)),
                width="100%", id="support-queue",
            ),
            rx.text(T("ui.support.empty"), color_scheme="gray", id="support-empty"),
        ),
        pager(SupportState.page, SupportState.page > 1, SupportState.has_next, SupportState.go(-1), SupportState.go(1),
              "support-pager"),
        width="100%", spacing="2",
    )


def _message(m: MessageLine) -> rx.Component:
    return rx.box(
        rx.hstack(rx.badge(m.who, color_scheme=rx.match(m.author, *_AUTHOR_COLOR.items(), "gray")),
                  rx.text(m.when, size="1", color_scheme="gray"), spacing="2", align="center"),
        rx.cond(m.photo != "", rx.link(rx.image(src=m.photo, alt=T("ui.support.photo"), max_width="16rem",
                                                 max_height="12rem", border_radius="6px", loading="lazy"),
                                        href=m.photo, is_external=True)),
        rx.cond(m.document != "", rx.badge(rx.icon("paperclip", size=12), m.document, variant="outline")),
        rx.text(m.text, size="2", white_space="pre-wrap"),
        padding="0.5rem 0.75rem", border_radius="8px", width="100%",
        background=rx.cond(m.author == "customer", "var(--gray-a3)", "var(--accent-a3)"),
        class_name="support-message",
    )


def conversation() -> rx.Component:
    t = SupportState.ticket
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(T("ui.support.ticket"), " #", t["id"], size="4"),
                rx.badge(t["state_text"], id="support-ticket-state"),
                rx.spacer(),
                rx.button(rx.icon("x", size=14), T("ui.close"), size="1", variant="ghost", on_click=SupportState.close_view),
                width="100%", align="center",
            ),
            rx.hstack(
                rx.link(rx.icon("user", size=14), t["customer"], href=t["customer_url"], id="support-customer-link"),
                rx.text(t["about"], size="2", color_scheme="gray"),
                rx.text(T("ui.support.col.assigned"), ": ", t["assigned"], size="2"),
                spacing="4", wrap="wrap", align="center",
            ),
            rx.vstack(rx.foreach(SupportState.conversation, _message), spacing="2", width="100%", id="support-conversation"),
            rx.cond(
                SupportState.can_reply,
                rx.form(
                    rx.vstack(
                        field_label("ui.support.reply", "support-reply"),
                        rx.text_area(name="text", id="support-reply", rows="3", width="100%", max_length=4000),
                        rx.cond(SupportState.reply_error != "", rx.callout(SupportState.reply_error, color_scheme="red",
                                                                            role="alert", id="support-reply-error")),
                        rx.hstack(
                            rx.button(rx.icon("send", size=14), T("ui.support.send"), type="submit", id="support-send"),
                            rx.button(T("ui.support.assign_me"), type="button", variant="soft", id="support-assign",
                                      on_click=SupportState.assign_to_me),
                            rx.button(T("ui.support.close_ticket"), type="button", variant="soft", color_scheme="red",
                                      id="support-close", on_click=SupportState.close_ticket),
                            spacing="2",
                        ),
                        width="100%", spacing="2",
                    ),
                    on_submit=SupportState.reply, reset_on_submit=True, width="100%",
                ),
            ),
            spacing="3", width="100%",
        ),
        width="100%", id="support-ticket",
    )



def settings_card() -> rx.Component:
    return form_card(
        "ui.support.settings", "ui.support.settings_intro",
        labeled("ui.support.f.faq", rx.text_area(name="faq", id="support-faq", rows="6", width="100%",
                                                 default_value=SupportState.stored["faq"]), "support-faq"),
        rx.flex(
            labeled("ui.support.f.ai_base_url", rx.input(name="ai_base_url", id="support-ai-url", width="22rem",
                                                         default_value=SupportState.stored["ai_base_url"],
                                                         placeholder="https://api.groq.com/openai/v1"), "support-ai-url"),
            labeled("ui.support.f.ai_model", rx.input(name="ai_model", id="support-ai-model", width="16rem",
                                                      default_value=SupportState.stored["ai_model"]), "support-ai-model"),
            labeled("ui.support.f.ai_keys", rx.input(name="ai_keys", id="support-ai-keys", type="password",
                                                     width="16rem", placeholder=T("ui.support.keys_keep")),
                    "support-ai-keys"),
            spacing="3", wrap="wrap",
        ),
        rx.text(T("ui.support.keys_stored"), " ", SupportState.stored["ai_keys_count"], size="1", color_scheme="gray"),
        rx.flex(
            labeled("ui.support.f.chat_id", rx.input(name="chat_id", id="support-chat-id", width="14rem",
                                                     default_value=SupportState.stored["chat_id"]), "support-chat-id"),
            labeled("ui.support.f.timeout_min", rx.input(name="timeout_min", id="support-timeout", width="7rem",
                                                         input_mode="numeric", default_value=SupportState.stored["timeout_min"]),
                    "support-timeout"),
            spacing="3", wrap="wrap",
        ),
        rx.cond(SupportState.form_error != "", rx.callout(SupportState.form_error, color_scheme="red", role="alert",
                                                          id="support-settings-error")),
        rx.button(T("ui.save"), type="submit", id="support-settings-save"),
        on_submit=SupportState.save_settings,
    )
