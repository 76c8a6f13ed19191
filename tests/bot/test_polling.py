"""The whole sidecar (`bot_sidecar.__main__.run`) long-polling the fake Bot API, and the fake's wire format."""
from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request

from sqlmodel import select

from bot_sidecar.__main__ import run
from smo_app.models.customer import Customer
from tests.bot.conftest import message_update


def test_sidecar_answers_start_received_through_get_updates(settings, session_factory, session, fake_tg):
    # given a /start waiting on the fake server's getUpdates
    fake_tg.push_update({k: v for k, v in message_update(8801, "/start ref1", lang="en").items() if k != "update_id"})

    async def go():
        stop = asyncio.Event()
        task = asyncio.create_task(run(settings, stop, session_factory=session_factory, with_scheduler=False,
                                       lease_ttl=2))
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not fake_tg.sent(8801):
            await asyncio.sleep(0.05)
        stop.set()
        await task

    # when the sidecar runs with long polling
    asyncio.run(go())
    # then it registered the user and answered in English with the menu
    assert fake_tg.calls_of("getUpdates")
    [greeting] = fake_tg.sent(8801)
    assert "Welcome" in greeting["params"]["text"]
    assert session.exec(select(Customer).where(Customer.telegram_id == 8801)).one().language == "en"


def _post(url: str, body: dict) -> tuple[int, dict]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_fake_speaks_telegram_json_for_ok_429_and_403(fake_tg):
    # given a fake limited to 1 message per second per chat, and a blocked chat
    fake_tg.chat_rate = 1
    fake_tg.blocked.add(66)
    url = f"{fake_tg.base_url}/bot1:x/sendMessage"
    # when a chat gets two messages at once, and the blocked chat one
    first = _post(url, {"chat_id": 65, "text": "a"})
    second = _post(url, {"chat_id": 65, "text": "b"})
    blocked = _post(url, {"chat_id": 66, "text": "c"})
    # then the replies are Telegram's
    assert first[0] == 200 and first[1]["ok"] is True and first[1]["result"]["chat"]["id"] == 65
    assert second == (429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                            "parameters": {"retry_after": 1}})
    assert blocked == (403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"})
    # and every call was recorded with its time and outcome
    assert [c["status"] for c in fake_tg.calls] == [200, 429, 403] and all(c["ts"] for c in fake_tg.calls)
