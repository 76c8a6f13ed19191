"""Inline keyboards: from outbox/content button rows, and the staff broadcast controls
(main-menu callback data is built and parsed in smo_app.services.bot.menu)."""
from __future__ import annotations

import functools
import json

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from smo_app.i18n import t
from smo_app.services.messaging.broadcasts import allowed_broadcast_actions


class BroadcastCB(CallbackData, prefix="bc"):
    action: str  # start | pause | resume | cancel | refresh
    id: int


def markup(rows: list[list[dict[str, str]]] | None) -> InlineKeyboardMarkup | None:
    """Rows of ``{"text", "url"|"web_app"|"callback_data"}`` (the outbox payload shape). The same
    rows give the same (shared, never changed) keyboard: a broadcast builds it once."""
    if not rows:
        return None
    return _markup(json.dumps(rows, ensure_ascii=False, sort_keys=True))


def markup_json(rows: list[list[dict[str, str]]] | None) -> dict | None:
    """The same keyboard as the Bot API's JSON (``reply_markup`` as aiogram posts it), built once
    per distinct rows; shared, never to be changed."""
    if not rows:
        return None
    return _markup_json(json.dumps(rows, ensure_ascii=False, sort_keys=True))


@functools.lru_cache(maxsize=256)
def _markup_json(rows_json: str) -> dict:
    return _markup(rows_json).model_dump(exclude_none=True)


@functools.lru_cache(maxsize=256)
def _markup(rows_json: str) -> InlineKeyboardMarkup:
    rows = json.loads(rows_json)
    keyboard = []
    for row in rows:
        buttons = []
        for b in row:
            if "web_app" in b:
                buttons.append(InlineKeyboardButton(text=b["text"], web_app=WebAppInfo(url=b["web_app"])))
            elif "url" in b:
                buttons.append(InlineKeyboardButton(text=b["text"], url=b["url"]))
            else:
                buttons.append(InlineKeyboardButton(text=b["text"], callback_data=b.get("callback_data") or "noop"))
        keyboard.append(buttons)
    return InlineKeyboardMarkup(inline_keyboard=keyboard)


def broadcast_controls(broadcast_id: int, status: str, lang: str) -> InlineKeyboardMarkup:
    actions = [*allowed_broadcast_actions(status), *([] if status == "draft" else ["refresh"])]
    return InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text=t(f"broadcast.{a}", lang), callback_data=BroadcastCB(action=a, id=broadcast_id).pack())
        for a in actions
    ]])
