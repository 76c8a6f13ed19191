"""/admin/settings (SE1): the owner's shop settings, each change validated and audited, with the
bot greeting and about text previewed as Telegram shows them, and the testers with their reset."""
from __future__ import annotations

import html
import re
from typing import TypedDict

import reflex as rx

from smo_app.money import parse_money
from smo_app.services.core import shop_config
from smo_app.services.customers import admin as customers_admin
from smo_app.services.messaging.telegram_html import html_problem
from smo_app.state.ops import Refused, money_input, run_service
from smo_app.state.session import SessionState

# (key, kind): kind decides how the form text becomes a value — text, int, money (rubles → kopecks),
# tiers ("invites:percent" pairs)
FIELDS: tuple[tuple[str, str], ...] = (
    ("shop_name", "text"), ("vacation_message", "text"), ("auto_cancel_minutes", "int"), ("cashback_pct", "int"),
    ("bonus_spend_cap_pct", "int"), ("referral_reward_minor", "money"), ("referral_min_order_minor", "money"),
    ("referral_lifetime_pct", "int"), ("referral_tiers", "tiers"), ("free_delivery_pickup_minor", "money"),
    ("free_delivery_courier_minor", "money"),
    ("free_delivery_region_pct", "int"), ("start_text_ru", "text"), ("start_text_en", "text"),
    ("about_text_ru", "text"), ("about_text_en", "text"), ("start_photo", "optional"), ("channel_url", "optional"),
    ("support_contact", "optional"), ("shop_timezone", "text"), ("language", "text"),
)
FIELD_MESSAGES = {"shop_timezone": "ui.settings.bad_timezone", "referral_tiers": "ui.settings.bad_tiers",
                  **{k: "ui.settings.bad_link" for k in ("start_photo", "channel_url")}}
_TIER = re.compile(r"^\s*(\d{1,6})\s*[:→-]\s*(\d{1,3})\s*%?\s*$")


def tiers_text(tiers) -> str:
    """``[(0, 5), (5, 7)]`` → ``0:5, 5:7`` (invites : lifetime %)."""
    return ", ".join(f"{invites}:{pct}" for invites, pct in tiers)


def parse_tiers(text: str) -> list[tuple[int, int]] | None:
    """``0:5, 5:7; 15:10`` → pairs; None if a part does not read ("" → no tiers)."""
    parts = [p for p in re.split(r"[,;\n]", text or "") if p.strip()]
    matches = [_TIER.match(p) for p in parts]
    if not all(matches):
        return None
    return [(int(m.group(1)), int(m.group(2))) for m in matches]


FLAGS = ("vacation_mode", "preorder_mode")
PREVIEWED = ("start_text_ru", "start_text_en", "about_text_ru", "about_text_en")
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)\s*>")
_HREF = re.compile(r"""href\s*=\s*["']([^"']*)["']""")
_SAFE_URL = re.compile(r"^(https?://|tg://)", re.I)
_HTML_TAG = {"strong": "b", "em": "i", "ins": "u", "strike": "s", "del": "s", "tg-emoji": "span"}


def telegram_preview(text: str, name: str = "") -> str:
    """Telegram-HTML → safe HTML for the browser: only the tags Telegram knows, no attributes but a
    checked link; text that Telegram would refuse comes back escaped as it is."""
    text = (text or "").replace("{name}", html.escape(name))
    if html_problem(text):
        return html.escape(text).replace("\n", "<br>")
    out, pos = [], 0
    for m in _TAG.finditer(text):
        out.append(text[pos:m.start()])
        closing, tag, attrs = m.group(1), m.group(2).lower(), m.group(3) or ""
        if tag == "tg-spoiler" or (tag == "span" and "tg-spoiler" in attrs):
            out.append("</span>" if closing else '<span style="background:var(--gray-a6);color:transparent">')
        elif tag == "a":
            href = _HREF.search(attrs)
            url = href.group(1) if href and _SAFE_URL.match(href.group(1)) else "#"
            out.append("</a>" if closing else f'<a href="{html.escape(url)}" target="_blank" rel="noopener">')
        else:
            tag = _HTML_TAG.get(tag, tag)
            out.append(f"</{tag}>" if closing else f"<{tag}>")
        pos = m.end()
    out.append(text[pos:])
    return "".join(out).replace("\n", "<br>")


class TesterRow(TypedDict):
    id: int
    name: str
    username: str
    telegram_id: str


class SettingsState(SessionState):
    loaded: bool = False
    values: dict[str, str] = {}
    flags: dict[str, bool] = {}
    previews: dict[str, str] = {}
    message: str = ""
    testers: list[TesterRow] = []
    confirm_reset_id: int = 0

    async def _svc(self, fn, /, **kwargs):
        return await run_service(self, fn, **kwargs)

    def _show_config(self, cfg: shop_config.ShopConfig) -> None:
        values = {}
        for key, kind in FIELDS:
            value = getattr(cfg, key)
            if kind == "money":
                values[key] = money_input(value)
            elif kind == "tiers":
                values[key] = tiers_text(value)
            else:
                values[key] = "" if value is None else str(value)
        self.values = values
        self.flags = {k: bool(getattr(cfg, k)) for k in FLAGS}
        self.previews = {k: telegram_preview(values[k], self.staff_name) for k in PREVIEWED}

    async def _load_testers(self) -> None:
        page = await self._svc(customers_admin.search_customers, testers_only=True, page_size=50)
        self.testers = [TesterRow(id=r.id, name=r.full_name, username=f"@{r.username}" if r.username else "",
                                  telegram_id=str(r.telegram_id or "")) for r in page.rows]

    @rx.event
    async def load(self):
        self.message, self.confirm_reset_id = "", 0
        try:
            self._show_config(await self._svc(shop_config.read_config))
            await self._load_testers()
        except Refused as exc:
            self.message = exc.text
            return
        self.loaded = True

    @rx.event
    def preview(self, key: str, text: str):
        if key in PREVIEWED:
            self.previews[key] = telegram_preview(text, self.staff_name)

    @rx.event
    async def save(self, form: dict):
        changes: dict = {}
        for key, kind in FIELDS:
            raw = str(form.get(key, self.values.get(key, ""))).strip()
            if kind == "int":
                if not raw.lstrip("-").isdigit():
                    self.message = self.text("ui.settings.bad_number", field=self.text(f"ui.settings.f.{key}"))
                    return
                changes[key] = int(raw)
            elif kind == "money":
                try:
                    changes[key] = parse_money(raw)
                except ValueError:
                    self.message = self.text("ui.settings.bad_money", field=self.text(f"ui.settings.f.{key}"))
                    return
            elif kind == "tiers":
                tiers = parse_tiers(raw)
                if tiers is None:
                    self.message = self.text("ui.settings.bad_tiers", field=self.text(f"ui.settings.f.{key}"))
                    return
                changes[key] = tiers
            elif kind == "optional":
                changes[key] = raw or None
            else:
                changes[key] = raw
        for key in FLAGS:
            changes[key] = str(form.get(key, "")).lower() in ("on", "true", "1")
        try:
            cfg = await self._svc(shop_config.update_config, changes=changes)
        except Refused as exc:
            self.message = self._field_error(exc)
            return
        self.message = ""
        self._show_config(cfg)
        return rx.toast.success(self.text("ui.saved"))

    def _field_error(self, exc: Refused) -> str:
        field = exc.error.field().split(".")[0] if exc.error is not None else ""
        known = field in dict(FIELDS) or field in FLAGS
        if exc.error is not None and exc.error.code == "settings.invalid" and known:
            key = FIELD_MESSAGES.get(field, "ui.settings.bad_field")
            return self.text(key, field=self.text(f"ui.settings.f.{field}"))
        return exc.text

    @rx.event
    def ask_reset(self, customer_id: int):
        self.confirm_reset_id = int(customer_id)

    @rx.event
    def cancel_reset(self):
        self.confirm_reset_id = 0

    @rx.event
    async def reset_tester(self):
        customer_id, self.confirm_reset_id = self.confirm_reset_id, 0
        try:
            out = await self._svc(customers_admin.reset_tester, customer_id=customer_id)
            await self._load_testers()
        except Refused as exc:
            return rx.toast.error(exc.text)
        return rx.toast.success(self.text("ui.settings.tester_reset_done", orders=out.orders))

