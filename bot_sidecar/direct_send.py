"""The outbox sender's plain messages without aiogram's per-call machinery.

A text message or a copy of a message is the bulk of what the outbox sends (every broadcast, most
notifications). Through aiogram each costs a pydantic method object, its dump, the default
properties resolved field by field and the answer validated into a ``Message`` — most of the
sender's CPU per message. Here the same JSON body aiogram's :class:`JsonBodySession` would post
is built from the payload dict directly and posted over the bot's own aiohttp session (same
connection pool, same API base, same timeout); from the answer only ``message_id`` is read.

An answer that is not ``ok`` goes through aiogram's own ``check_response``, so the sender sees
exactly the exceptions it would with aiogram (TelegramRetryAfter, TelegramForbiddenError,
TelegramBadRequest, …). Photos, uploads and forum topics still go through aiogram.
"""
from __future__ import annotations

import asyncio
import functools
import json

from aiogram import Bot
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import CopyMessage, SendMessage
from aiohttp import ClientError

from bot_sidecar.keyboards import markup_json

_JSON = {"Content-Type": "application/json"}
_NO_PREVIEW = {"is_disabled": True}


def can_send_direct(payload: dict) -> bool:
    """A text message or a copy: no photo, upload or forum topic to resolve first."""
    return not (payload.get("photo") or payload.get("upload") or payload.get("forum"))


def body_of(chat_id: int, payload: dict) -> tuple[str, dict]:
    """(Bot API method, JSON body) of a text/copy payload, as aiogram would send it (fields that
    are None or "" left out; ``parse_mode`` HTML unless the payload says "plain")."""
    paid = payload.get("allow_paid_broadcast")
    thread = payload.get("thread_id")
    copy = payload.get("copy")
    if copy:
        body: dict = {"chat_id": chat_id, "from_chat_id": copy["from_chat_id"], "message_id": copy["message_id"],
                      "parse_mode": "HTML"}  # the bot's default, as aiogram sends it (for a caption)
        method = "copyMessage"
    else:
        body = {"chat_id": chat_id, "text": payload["text"]}
        parse_mode = payload.get("parse_mode") or "HTML"
        if parse_mode != "plain":
            body["parse_mode"] = parse_mode
        body["link_preview_options"] = _NO_PREVIEW
        keyboard = markup_json(payload.get("buttons"))
        if keyboard is not None:
            body["reply_markup"] = keyboard
        method = "sendMessage"
    if thread:
        body["message_thread_id"] = thread
    if paid:
        body["allow_paid_broadcast"] = True
    return method, body


@functools.lru_cache(maxsize=8)
def _url(api, token: str, method: str) -> str:
    return api.api_url(token=token, method=method)


def _method_object(method: str, body: dict):
    """The aiogram method the call stands for (built only when an error needs it)."""
    if method == "copyMessage":
        return CopyMessage(chat_id=body["chat_id"], from_chat_id=body["from_chat_id"], message_id=body["message_id"])
    return SendMessage(chat_id=body["chat_id"], text=body.get("text") or "")


async def send_direct(bot: Bot, chat_id: int, payload: dict) -> int:
    """Send a text/copy payload; the Telegram message id. Errors as aiogram raises them."""
    method, body = body_of(chat_id, payload)
    session = bot.session
    http = await session.create_session()
    try:
        async with http.post(_url(session.api, bot.token, method), data=json.dumps(body, ensure_ascii=False),
                             headers=_JSON, timeout=session.timeout) as resp:
            raw = await resp.read()
            status = resp.status
    except asyncio.TimeoutError as e:
        raise TelegramNetworkError(method=_method_object(method, body), message="Request timeout error") from e
    except ClientError as e:
        raise TelegramNetworkError(method=_method_object(method, body), message=f"{type(e).__name__}: {e}") from e
    if status == 200:
        answer = json.loads(raw)
        if answer.get("ok"):
            return answer["result"]["message_id"]
    session.check_response(bot, _method_object(method, body), status, raw.decode("utf-8", "replace"))
    raise TelegramNetworkError(method=_method_object(method, body), message=f"unexpected answer {status}")
