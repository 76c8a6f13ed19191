"""View of the settings page: grouped fields, the Telegram preview of the bot texts, testers."""
from __future__ import annotations

import zoneinfo

import reflex as rx

from smo_app import routes

from smo_app.components.common import T
from smo_app.components.ops import card, empty_state, error_box, field
from smo_app.state.settings import PREVIEWED, SettingsState, TesterRow

GROUPS = (
    ("ui.settings.g.shop", ("shop_name", "vacation_message")),
    ("ui.settings.g.locale", ("shop_timezone", "language")),
    ("ui.settings.g.orders", ("auto_cancel_minutes",)),
    ("ui.settings.g.loyalty", ("cashback_pct", "bonus_spend_cap_pct", "referral_reward_minor", "referral_min_order_minor",
                               "referral_lifetime_pct", "referral_tiers")),
    ("ui.settings.g.delivery", ("free_delivery_pickup_minor", "free_delivery_courier_minor", "free_delivery_region_pct")),
    ("ui.settings.g.bot", ("start_photo", "channel_url", "support_contact")),
    ("ui.settings.g.scales", ("scale_weight_prefix", "scale_price_prefix")),
)
HINTS = {"shop_timezone": "ui.settings.timezone_hint", "referral_tiers": "ui.settings.tiers_hint",
         "scale_price_prefix": "ui.settings.scales_hint"}
TZ_LIST = "set-timezones"


def _time_zones() -> list[str]:
    return sorted(z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))


def _input(key: str) -> rx.Component:
    if key == "language":
        return field(f"ui.settings.f.{key}", rx.el.select(
            *[rx.el.option(T(f"ui.settings.lang.{code}"), value=code) for code in ("ru", "en")],
            name=key, default_value=SettingsState.values[key], id=f"set-{key}", key=SettingsState.values[key]))
    extra = {"custom_attrs": {"list": TZ_LIST}} if key == "shop_timezone" else {}
    box = field(f"ui.settings.f.{key}", rx.input(name=key, default_value=SettingsState.values[key], id=f"set-{key}",
                                                 width="16rem", **extra))
    if key in HINTS:
        return rx.vstack(box, rx.text(T(HINTS[key]), size="1", color_scheme="gray", max_width="16rem"), spacing="1")
    return box


def _flag(key: str) -> rx.Component:
    return rx.el.label(
        rx.el.input(type="checkbox", name=key, default_checked=SettingsState.flags[key], id=f"set-{key}"),
        rx.text(T(f"ui.settings.f.{key}"), size="2", as_="span", margin_left="0.4rem"),
        display="flex", align_items="center",
    )


def _text_with_preview(key: str) -> rx.Component:
    return rx.grid(
        field(f"ui.settings.f.{key}", rx.text_area(name=key, default_value=SettingsState.values[key], id=f"set-{key}",
                                                   rows="5", width="100%",
                                                   on_blur=lambda v: SettingsState.preview(key, v))),
        rx.vstack(
            rx.text(T("ui.settings.preview"), size="2", weight="medium"),
            rx.box(rx.html(SettingsState.previews[key]), id=f"preview-{key}", padding="0.6rem 0.8rem",
                   background="var(--accent-a3)", border_radius="12px", width="100%", font_size="14px"),
            spacing="1",
        ),
        columns="2", spacing="3", width="100%",
    )


def _tester(row: TesterRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["name"]), rx.table.cell(row["username"]), rx.table.cell(row["telegram_id"]),
        rx.table.cell(rx.button(T("ui.settings.tester_reset"), size="1", color_scheme="red", variant="soft",
                                on_click=SettingsState.ask_reset(row["id"]))),
    )


def _testers() -> rx.Component:
    return card(
        "ui.settings.testers",
        rx.cond(
            SettingsState.testers.length() > 0,
            rx.table.root(rx.table.body(rx.foreach(SettingsState.testers, _tester)), width="100%", id="testers-table"),
            empty_state("ui.settings.testers_empty", "testers-empty"),
        ),
        rx.alert_dialog.root(
            rx.alert_dialog.content(
                rx.alert_dialog.title(T("ui.settings.tester_reset")),
                rx.alert_dialog.description(T("ui.settings.tester_reset_confirm")),
                rx.hstack(
                    rx.alert_dialog.cancel(rx.button(T("ui.cancel"), variant="soft", color_scheme="gray",
                                                     on_click=SettingsState.cancel_reset)),
                    rx.alert_dialog.action(rx.button(T("ui.settings.tester_reset"), color_scheme="red",
                                                     on_click=SettingsState.reset_tester, id="tester-reset-confirm")),
                    justify="end", spacing="3", margin_top="1rem",
                ),
            ),
            open=SettingsState.confirm_reset_id != 0,
        ),
    )


def settings_view() -> rx.Component:
    form = rx.form(
        rx.vstack(
            *[card(title, rx.flex(*[_input(k) for k in keys], *([_flag("vacation_mode"), _flag("preorder_mode")]
                                                                 if title.endswith(".shop") else []),
                                  spacing="4", wrap="wrap",
                                  align="start" if set(keys) & set(HINTS) else "end"))  # hints below: tops aligned
              for title, keys in GROUPS],
            rx.el.datalist(*[rx.el.option(value=z) for z in _time_zones()], id=TZ_LIST),
            card("ui.settings.g.texts", rx.text(T("ui.settings.texts_hint"), size="2", color_scheme="gray"),
                 *[_text_with_preview(k) for k in PREVIEWED]),
            error_box(SettingsState.message, "settings-error"),
            rx.button(rx.icon("save", size=16), T("ui.save"), type="submit", id="settings-save", size="3"),
            spacing="4", width="100%",
        ),
        on_submit=SettingsState.save,
        reset_on_submit=False,
        width="100%",
    )
    staff = card("ui.settings.staff", rx.text(T("ui.settings.staff_hint"), size="2"),
                 rx.link(T("ui.nav.staff"), href=routes.STAFF, id="settings-staff-link"))
    return rx.cond(SettingsState.loaded, rx.vstack(form, _testers(), staff, spacing="4", width="100%"),
                   error_box(SettingsState.message, "settings-error"))
