"""The bot sends calls without uploads as one JSON body (bot_sidecar/telegram.py: JsonBodySession).

Given calls as the sidecar makes them, the body carries what the form carried — a refusal's
``ok: false`` included, a keyboard as an object, absent fields left out — and an upload still goes
as a multipart form."""
import json

from aiogram import Bot
from aiogram.methods import AnswerPreCheckoutQuery, SendDocument, SendMessage
from aiogram.types import BufferedInputFile
from aiohttp import FormData

from bot_sidecar.keyboards import markup
from bot_sidecar.telegram import JsonBodySession


def _body(method) -> dict | FormData:
    session = JsonBodySession()
    out = session.build_form_data(Bot("123456:TEST", session=session), method)
    return out if isinstance(out, FormData) else json.loads(out._value)


def test_a_refused_pre_checkout_keeps_its_ok_false():
    body = _body(AnswerPreCheckoutQuery(pre_checkout_query_id="q1", ok=False, error_message="Заказ отменён"))
    assert body == {"pre_checkout_query_id": "q1", "ok": False, "error_message": "Заказ отменён"}


def test_a_message_with_buttons_is_one_json_object_and_an_upload_stays_a_form():
    keyboard = markup([[{"text": "Магазин", "url": "https://shop.example"}]])
    body = _body(SendMessage(chat_id=42, text="<b>Скидки</b>", parse_mode="HTML", reply_markup=keyboard))
    assert body["chat_id"] == 42 and body["text"] == "<b>Скидки</b>"
    assert body["reply_markup"] == {"inline_keyboard": [[{"text": "Магазин", "url": "https://shop.example"}]]}
    assert "message_thread_id" not in body  # unset fields are not sent
    # the same rows give the very same keyboard (built once per broadcast)
    assert markup([[{"text": "Магазин", "url": "https://shop.example"}]]) is keyboard
    upload = _body(SendDocument(chat_id=42, document=BufferedInputFile(b"%PDF", filename="list.pdf")))
    assert isinstance(upload, FormData)
