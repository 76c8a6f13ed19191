"""The lanes before the bot's handlers: customers' plain messages (support questions) go one at a
time, and one about to start lets the commands and buttons already in flight finish first (on
SQLite the next question would otherwise take the database's write lock ahead of them again and
again) — but never waits for them longer than its bound."""
from __future__ import annotations

import asyncio

from aiogram.types import Update

from bot_sidecar.middlewares.lanes import LanesMiddleware


def _update(uid: int, text: str) -> Update:
    return Update.model_validate({"update_id": uid, "message": {
        "message_id": uid, "date": 0, "chat": {"id": uid, "type": "private"},
        "from": {"id": uid, "is_bot": False, "first_name": "C"}, "text": text}})


def test_a_question_waits_for_a_command_in_flight_and_questions_go_one_at_a_time():
    async def scenario() -> list[str]:
        lanes, log = LanesMiddleware(lanes=1, yield_seconds=5), []

        async def handler(event, data):
            text = event.message.text
            log.append(f"start {text}")
            await asyncio.sleep(0.05)
            log.append(f"end {text}")

        # given /start in flight, when two questions come meanwhile
        command = asyncio.create_task(lanes(handler, _update(1, "/start"), {}))
        await asyncio.sleep(0.01)
        questions = [asyncio.create_task(lanes(handler, _update(i, f"q{i}"), {})) for i in (2, 3)]
        await asyncio.gather(command, *questions)
        return log

    log = asyncio.run(scenario())
    # then /start finishes before the first question starts, and the questions do not overlap
    assert log == ["start /start", "end /start", "start q2", "end q2", "start q3", "end q3"]


def test_a_question_does_not_wait_past_its_bound_for_busy_commands():
    async def scenario() -> list[str]:
        lanes, log = LanesMiddleware(lanes=1, yield_seconds=0.05), []

        async def handler(event, data):
            log.append(f"start {event.message.text}")
            await asyncio.sleep(0.3 if event.message.text.startswith("/") else 0)
            log.append(f"end {event.message.text}")

        command = asyncio.create_task(lanes(handler, _update(1, "/slow"), {}))
        await asyncio.sleep(0.01)
        await lanes(handler, _update(2, "hello"), {})
        await command
        return log

    # then the question went ahead while the slow command still ran
    assert asyncio.run(scenario()) == ["start /slow", "start hello", "end hello", "end /slow"]
