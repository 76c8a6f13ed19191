"""/admin/broadcasts: broadcasts with live progress, whether the bot runs, and the outbox backlog.

Progress refreshes every 3 s only while a broadcast is running (``BroadcastsState.live``): the
sender runs in another process, so the server would have to poll the database for a push too.
"""
import reflex as rx

from smo_app import routes
from smo_app.components.backoffice import admin_page
from smo_app.components.common import T
from smo_app.state.broadcasts import SEGMENTS, BroadcastLine, BroadcastsState, WaitingLine


_IMAGES = {"image/jpeg": [".jpg", ".jpeg"], "image/png": [".png"], "image/webp": [".webp"]}


def _form() -> rx.Component:
    S = BroadcastsState
    return rx.form(
        rx.vstack(
            rx.text_area(name="text", placeholder=T("ui.bcast.text_placeholder"), id="bcast-text", width="100%", rows="4",
                         value=S.draft_text, on_change=S.set_draft_text),
            rx.flex(
                rx.input(name="photo", placeholder=T("ui.bcast.photo"), width="16rem", id="bcast-photo",
                         value=S.draft_photo, on_change=S.set_draft_photo),
                rx.upload.root(
                    rx.button(rx.icon("image-plus", size=14), T("ui.bcast.upload_photo"), variant="soft", type="button"),
                    id="bcast-photo-upload", accept=_IMAGES, max_files=1, border="none", padding="0",
                    on_drop=S.upload_photo(rx.upload_files(upload_id="bcast-photo-upload")),
                ),
                rx.input(name="button_text", placeholder=T("ui.bcast.button_text"), width="10rem",
                         value=S.draft_button_text, on_change=S.set_draft_button_text),
                rx.input(name="button_url", placeholder="https://…", width="16rem",
                         value=S.draft_button_url, on_change=S.set_draft_button_url),
                rx.select.root(
                    rx.select.trigger(id="bcast-segment"),
                    rx.select.content(*[rx.select.item(T(f"ui.bcast.segment.{seg}"), value=seg) for seg in SEGMENTS]),
                    value=S.segment, on_change=S.set_segment,
                ),
                rx.input(name="days", placeholder=T("ui.bcast.days"), width="6rem"),
                spacing="2", wrap="wrap", align="end",
            ),
            rx.hstack(
                rx.checkbox(T("ui.bcast.paid"), name="paid", checked=S.paid, on_change=S.set_paid, id="bcast-paid"),
                rx.text(T("ui.bcast.paid_hint"), size="1", color_scheme="gray"),
                spacing="2", align="center", wrap="wrap",
            ),
            rx.button(T("ui.bcast.create"), type="submit", id="bcast-create"),
            width="100%",
        ),
        on_submit=S.create,
        reset_on_submit=False,
        width="100%",
    )


def _preview() -> rx.Component:
    """The draft as Telegram shows it: the photo, the text (caption) in Telegram's HTML subset, the button under it."""
    S = BroadcastsState
    bubble = rx.box(
        rx.cond(S.preview_image != "",
                rx.box(rx.image(src=S.preview_image, width="100%", max_height="18rem", object_fit="cover",
                                border_radius="10px 10px 0 0", id="bcast-preview-photo"),
                       rx.icon_button(rx.icon("x", size=12), size="1", color_scheme="red", variant="soft",
                                      position="absolute", top="4px", right="4px", on_click=S.clear_photo,
                                      aria_label=T("ui.bcast.remove_photo"), type="button"),
                       position="relative"),
                rx.cond(S.draft_photo != "", rx.text(T("ui.bcast.photo_not_shown"), size="1", color_scheme="gray",
                                                     padding="0.5rem 0.75rem"))),
        rx.box(rx.html(S.preview_html), padding="0.5rem 0.75rem", id="bcast-preview-text",
               style={"overflow_wrap": "anywhere", "white_space": "normal"}),
        background="var(--color-panel-solid)", border_radius="10px", box_shadow="var(--shadow-2)", overflow="hidden",
        width="100%",
    )
    button = rx.cond(
        (S.draft_button_text != "") & (S.draft_button_url != ""),
        rx.box(rx.text(S.draft_button_text, size="2", weight="medium"), text_align="center", padding="0.4rem",
               background="var(--accent-a4)", border_radius="8px", margin_top="0.25rem", id="bcast-preview-button",
               title=S.draft_button_url),
    )
    return rx.vstack(
        rx.text(T("ui.bcast.preview_title"), weight="bold", size="2"),
        rx.cond((S.draft_text != "") | (S.draft_photo != ""),
                rx.box(bubble, button, width="100%"),
                rx.text(T("ui.bcast.preview_empty"), size="1", color_scheme="gray")),
        rx.cond(S.preview_problem != "",
                rx.callout(S.preview_problem, icon="triangle-alert", color_scheme="orange", size="1",
                           id="bcast-preview-problem")),
        id="bcast-preview", width="100%", max_width="24rem", padding="0.75rem", border_radius="12px",
        background="var(--sky-a3)", spacing="2",
    )


def _line(b: BroadcastLine) -> rx.Component:
    return rx.table.row(
        rx.table.cell(b["id"]),
        rx.table.cell(rx.text(b["created"], size="1")),
        rx.table.cell(rx.hstack(
            rx.badge(BroadcastsState.tr[b["status_key"]], id=f"bcast-status-{b['id']}"),
            rx.cond(b["paid"], rx.badge(T("ui.bcast.paid_badge"), color_scheme="amber", id=f"bcast-paid-{b['id']}")),
            spacing="1", wrap="wrap")),
        rx.table.cell(BroadcastsState.tr[b["segment_key"]], b["segment_days"]),
        rx.table.cell(rx.box(rx.html(b["text"]), font_size="var(--font-size-1)")),
        rx.table.cell(rx.text(b["progress"], size="1", id=f"bcast-progress-{b['id']}"),
                      rx.cond(b["paid_note"] != "", rx.text(b["paid_note"], size="1", weight="medium",
                                                             id=f"bcast-cost-{b['id']}"))),
        rx.table.cell(rx.hstack(
            rx.button(T("ui.bcast.preview"), size="1", variant="soft", on_click=BroadcastsState.preview(b["id"])),
            rx.cond(b["can_start"], rx.button(T("ui.bcast.start"), size="1", on_click=BroadcastsState.start(b["id"]),
                                              id=f"bcast-start-{b['id']}")),
            rx.cond(b["can_make_paid"], rx.button(T("ui.bcast.make_paid"), size="1", variant="soft", color_scheme="amber",
                                                  on_click=BroadcastsState.make_paid(b["id"]), id=f"bcast-make-paid-{b['id']}")),
            rx.cond(b["can_make_free"], rx.button(T("ui.bcast.make_free"), size="1", variant="soft",
                                                  on_click=BroadcastsState.make_free(b["id"]), id=f"bcast-make-free-{b['id']}")),
            rx.cond(b["can_pause"], rx.button(T("ui.bcast.pause"), size="1", on_click=BroadcastsState.pause(b["id"]),
                                              id=f"bcast-pause-{b['id']}")),
            rx.cond(b["can_resume"], rx.button(T("ui.bcast.resume"), size="1", on_click=BroadcastsState.resume(b["id"]))),
            rx.cond(b["can_cancel"], rx.button(T("ui.bcast.cancel"), size="1", color_scheme="red", variant="soft",
                                               on_click=BroadcastsState.cancel(b["id"]))),
            spacing="1",
        )),
    )


def _waiting(w: WaitingLine) -> rx.Component:
    return rx.table.row(
        rx.table.cell(w["id"]), rx.table.cell(rx.text(w["created"], size="1")), rx.table.cell(w["kind"]),
        rx.table.cell(w["chat_id"]), rx.table.cell(rx.badge(BroadcastsState.tr[w["status_key"]])), rx.table.cell(w["attempts"]),
        rx.table.cell(rx.box(rx.html(w["preview"]), font_size="var(--font-size-1)", class_name="outbox-text")),
        rx.table.cell(rx.text(w["error"], size="1", color_scheme="red")),
    )


def _bot_state() -> rx.Component:
    return rx.match(
        BroadcastsState.bot_state,
        ("online", rx.callout(T("ui.sidecar.online"), icon="bot", color_scheme="green", size="1", id="bot-state")),
        ("offline", rx.callout(T("ui.sidecar.offline"), icon="bot-off", color_scheme="orange", role="status",
                               id="bot-state")),
        ("not_running", rx.callout(T("ui.sidecar.not_running"), icon="bot-off", color_scheme="orange", role="status",
                                   id="bot-state")),
        rx.fragment(),
    )


def _table(headers: list[str], body) -> rx.Component:
    return rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(T(h)) for h in headers])),
        rx.table.body(body), width="100%",
    )


@admin_page(routes.AREAS_BY_KEY["broadcasts"].route, perm="broadcasts.manage", title_key="ui.nav.broadcasts",
            on_load=BroadcastsState.load)
def broadcasts() -> rx.Component:
    return rx.vstack(
        rx.cond(BroadcastsState.live,  # live progress while something is being sent
                rx.moment(interval=3000, on_change=BroadcastsState.tick, display="none")),
        _bot_state(),
        rx.cond(BroadcastsState.message != "",
                rx.callout(BroadcastsState.message, icon="triangle-alert", color_scheme="red", role="alert",
                           id="bcast-error")),
        rx.cond(BroadcastsState.notice != "",
                rx.callout(BroadcastsState.notice, icon="check", color_scheme="green", id="bcast-notice")),
        rx.flex(rx.box(_form(), flex="1 1 24rem", min_width="0"), _preview(), spacing="4", wrap="wrap", width="100%"),
        rx.cond(BroadcastsState.stars_note != "",
                rx.callout(BroadcastsState.stars_note, icon="star", size="1", id="bcast-stars",
                           color_scheme=rx.cond(BroadcastsState.stars_short, "orange", "blue"))),
        rx.hstack(rx.heading(T("ui.nav.broadcasts"), size="4"),
                  rx.button(T("ui.bcast.refresh"), size="1", variant="soft", on_click=BroadcastsState.refresh)),
        _table(["ui.bcast.id", "ui.bcast.created", "ui.bcast.status", "ui.bcast.segment", "ui.bcast.text",
                "ui.bcast.progress", "ui.bcast.actions"], rx.foreach(BroadcastsState.lines, _line)),
        rx.heading(T("ui.bcast.outbox"), size="4"),
        rx.text(T("ui.bcast.backlog"), " ", BroadcastsState.backlog, size="2"),
        rx.cond(BroadcastsState.waiting.length() > 0,
                _table(["ui.bcast.id", "ui.bcast.created", "ui.bcast.kind", "ui.bcast.chat", "ui.bcast.status",
                        "ui.bcast.attempts", "ui.bcast.text", "ui.bcast.error"], rx.foreach(BroadcastsState.waiting, _waiting)),
                rx.callout(T("ui.outbox.empty"), icon="info", color_scheme="gray", id="outbox-empty")),
        spacing="3", width="100%",
    )
