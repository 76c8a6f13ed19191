"""The Mini App as Telegram opens it, for the browser journeys: an injected ``window.Telegram.WebApp``
whose initData is signed by the test with the test bot token (the ``miniapp`` app runs with that
token). Telegram's MainButton and BackButton are the test's stubs, pressed as the customer would
press Telegram's buttons; links the app asks Telegram to open are kept in ``__tg.links``."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from playwright.sync_api import Page

from smo_app.services.customers.telegram_init_data import sign_init_data

MINI_APP_BOT_TOKEN = "7000000001:AAe2eTestTokenOfTheShopBot"


def telegram_webapp(init_data: str, user_id: int) -> str:
    """window.Telegram.WebApp as Telegram gives it, with MainButton/BackButton the test can press."""
    return """
window.__tg = {main: {text: '', visible: false, active: true, cb: null, progress: false},
               back: {visible: false, cb: null}, haptics: [], closing: false, links: []};
window.Telegram = {WebApp: {
  initData: %s, initDataUnsafe: {user: {id: %d, language_code: 'ru'}}, platform: 'ios', version: '8.0',
  themeParams: {bg_color: '#ffffff', text_color: '#111111', button_color: '#2481cc', hint_color: '#999999'},
  ready() {}, expand() {},
  MainButton: {
    setParams(p) { if ('text' in p) __tg.main.text = p.text; if ('is_visible' in p) __tg.main.visible = p.is_visible;
                   if ('is_active' in p) __tg.main.active = p.is_active; },
    show() { __tg.main.visible = true; }, hide() { __tg.main.visible = false; }, onClick(cb) { __tg.main.cb = cb; },
    showProgress() { __tg.main.progress = true; }, hideProgress() { __tg.main.progress = false; }},
  BackButton: {show() { __tg.back.visible = true; }, hide() { __tg.back.visible = false; },
               onClick(cb) { __tg.back.cb = cb; }},
  HapticFeedback: {impactOccurred(k) { __tg.haptics.push('impact'); }, selectionChanged() { __tg.haptics.push('select'); },
                   notificationOccurred(k) { __tg.haptics.push(k); }},
  enableClosingConfirmation() { __tg.closing = true; }, disableClosingConfirmation() { __tg.closing = false; },
  openTelegramLink(url) { __tg.opened = url; },
  openLink(url) { __tg.links.push(url); },
}};
""" % (json.dumps(init_data), user_id)


def init_data(user_id: int, start_param: str | None = None, *, first_name: str = "Ольга") -> str:
    fields = {"user": json.dumps({"id": user_id, "first_name": first_name, "language_code": "ru"}),
              "auth_date": str(int(datetime.now(timezone.utc).timestamp()))}
    if start_param:
        fields["start_param"] = start_param
    return sign_init_data(fields, bot_token=MINI_APP_BOT_TOKEN)


def open_in_telegram(page: Page, user_id: int, start_param: str | None = None) -> None:
    """Open the Mini App as ``user_id`` inside Telegram (optionally from a ``startapp`` link)."""
    page.add_init_script(telegram_webapp(init_data(user_id, start_param), user_id))
    page.goto("/")


def press_main(page: Page, text: str, *, times: int = 1) -> None:
    """Press Telegram's MainButton once it says ``text`` and is active."""
    page.wait_for_function("t => __tg.main.visible && __tg.main.active && __tg.main.text === t && __tg.main.cb",
                           arg=text, timeout=15_000)
    page.evaluate("n => { for (let i = 0; i < n; i++) __tg.main.cb(); }", times)


def press_back(page: Page) -> None:
    page.wait_for_function("() => __tg.back.visible && __tg.back.cb", timeout=15_000)
    page.evaluate("() => __tg.back.cb()")
