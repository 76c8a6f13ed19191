"""/admin/settings (SE1): the owner's shop settings, each change validated and audited, with the
bot greeting and about text previewed as Telegram shows them, and the testers with their reset."""
from __future__ import annotations

import html
import re
from typing import TypedDict

import reflex as rx

from smo_app.services.core import settings_form
from smo_app.services.customers import admin as customers_admin
from smo_app.services.messaging.telegram_html import html_problem
from smo_app.state.session import SessionState, said, toast

# how a refusal that names a field reads: by the field (out of range) or by what did not read
FIELD_MESSAGES = {"shop_timezone": "ui.settings.bad_timezone", "referral_tiers": "ui.settings.bad_tiers",
                  "scale_price_prefix": "ui.settings.bad_scale_prefix",
                  **{k: "ui.settings.bad_link" for k in ("start_photo", "channel_url")}}
READ_MESSAGES = {"settings.number_invalid": "ui.settings.bad_number", "settings.money_invalid": "ui.settings.bad_money",
                 "settings.tiers_invalid": "ui.settings.bad_tiers"}
LABELLED = {k for k, _ in settings_form.FIELDS} | set(settings_form.FLAGS)  # fields with a ui.settings.f.<key> label

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

    def _show_form(self, form: settings_form.SettingsForm) -> None:
        self.values, self.flags = form.values, form.flags
        self.previews = {k: telegram_preview(form.values[k], self.staff_name) for k in PREVIEWED}

    async def _load_testers(self):
        out = await self.call(customers_admin.search_customers, readonly=True, testers_only=True, page_size=50)
        if out.ok:
            self.testers = [TesterRow(id=r.id, name=r.full_name, username=f"@{r.username}" if r.username else "",
                                      telegram_id=str(r.telegram_id or "")) for r in out.value.rows]
        return out

    @rx.event
    async def load(self):
        self.message, self.confirm_reset_id = "", 0
        out = await self.call(settings_form.read_form, readonly=True)
        if out.ok:
            self._show_form(out.value)
            out = await self._load_testers()
        self.message = out.error
        self.loaded = out.ok

    @rx.event
    def preview(self, key: str, text: str):
        if key in PREVIEWED:
            self.previews[key] = telegram_preview(text, self.staff_name)

    @rx.event
    async def save(self, form: dict):
        values = {key: str(form.get(key, self.values.get(key, ""))) for key, _ in settings_form.FIELDS}
        flags = {key: str(form.get(key, "")).lower() in ("on", "true", "1") for key in settings_form.FLAGS}
        out = await self.call(settings_form.save_form, values=values, flags=flags)
        self.message = "" if out.ok else self._field_error(out)
        if not out.ok:
            return None
        self._show_form(out.value)
        return said(self.text("ui.saved"))

    def _field_error(self, out) -> str:
        """The refusal on the field it names, with the field's label; else the service's text."""
        field = out.field().split(".")[0]
        if field not in LABELLED:
            return out.error
        key = FIELD_MESSAGES.get(field, "ui.settings.bad_field") if out.code == "settings.invalid" else READ_MESSAGES.get(out.code)
        return self.text(key, field=self.text(f"ui.settings.f.{field}")) if key else out.error

    @rx.event
    def ask_reset(self, customer_id: int):
        self.confirm_reset_id = int(customer_id)

    @rx.event
    def cancel_reset(self):
        self.confirm_reset_id = 0

    @rx.event
    async def reset_tester(self):
        customer_id, self.confirm_reset_id = self.confirm_reset_id, 0
        out = await self.call(customers_admin.reset_tester, customer_id=customer_id)
        if not out.ok:
            return toast(out)
        await self._load_testers()
        return said(self.text("ui.settings.tester_reset_done", orders=out.value.orders))
