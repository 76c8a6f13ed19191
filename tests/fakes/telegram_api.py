"""A fake Telegram Bot API server speaking the real JSON, for tests and the benchmark.

* ``/bot<token>/<method>`` answers ``{"ok": true, "result": ...}`` for getMe, getUpdates (queued
  updates with offsets and long polling), sendMessage, sendPhoto and sendDocument (by URL/file id,
  or multipart uploads whose files are kept in each call's ``files``), editMessageText,
  editMessageReplyMarkup, answerCallbackQuery, setChatMenuButton, setMyCommands, deleteWebhook,
  getFile and the file download (``files``), copyMessage, sendMessageDraft (a streaming preview: a non-zero draft id), createForumTopic (in a supergroup: a chat id < 0; ``topics`` keeps their names), …
* Every call is recorded with a timestamp (``calls``), accepted or not; a send call also with the
  time of its answer (``done``), and ``peak_open_sends`` is the most send calls open at once.
  ``latency`` (or ``chat_latency`` for one chat) delays every answer.
* Limits like Telegram's: ``rate`` sends per second overall, ``chat_rate`` per private chat per
  second, ``group_per_minute`` per group (chat id < 0); exceeding one answers 429 with
  ``parameters.retry_after``. Chats in ``blocked`` answer 403 "bot was blocked by the user".
* Paid broadcasts (Bot API 7.11): a send with ``allow_paid_broadcast: true`` is not counted in the
  free ``rate`` window but in its own, ``paid_rate`` per second (1,000 as Telegram; 429 above it);
  per-chat limits still apply. Each accepted paid message is debited 0.1 Star from the bot's balance
  (every paid message, as Telegram's docs word the fee — not only those beyond the free rate); when
  the balance is below 0.1 Star the send answers 400 (this fake's wording: "not enough Stars").
  ``getMyStarBalance`` answers the balance as ``{"amount", "nanostar_amount"}`` (``star_nanostars``;
  ``--stars`` and ``/_control/stars`` set it in whole Stars).
* In-process: ``FakeTelegram().start()`` runs it on a thread (random port) — ``.base_url``.
  Standalone: ``python -m tests.fakes.telegram_api --port P --rate N``; control endpoints under
  ``/_control/`` (calls, block, update, reset, stats) let another process drive and inspect it.
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import math
import threading
import time
from collections import defaultdict, deque
from typing import Any

from aiohttp import web

SEND_METHODS = {"sendmessage", "sendphoto", "senddocument", "sendvideo", "sendanimation", "copymessage"}
NANOSTARS_PER_STAR = 1_000_000_000
PAID_MESSAGE_NANOSTARS = NANOSTARS_PER_STAR // 10  # 0.1 Star


class FakeTelegram:
    def __init__(self, *, rate: float | None = 30, chat_rate: float | None = 1, group_per_minute: int | None = 20,
                 latency: float = 0.0, paid_rate: float | None = 1000, stars: int = 1000) -> None:
        self.rate = rate
        self.paid_rate = paid_rate
        self.star_nanostars = stars * NANOSTARS_PER_STAR  # the bot's balance; paid messages are debited
        self.chat_rate = chat_rate
        self.group_per_minute = group_per_minute
        self.latency = latency
        self.chat_latency: dict[int, float] = {}  # chat id -> seconds its sends take (instead of ``latency``)
        self.open_sends = 0  # send calls received and not answered yet
        self.peak_open_sends = 0  # the most at once since the start (or ``reset``)
        self.calls: list[dict[str, Any]] = []
        self.blocked: set[int] = set()
        self.fail_chats: dict[int, int] = {}  # chat id -> number of 500s to answer before succeeding
        self.updates: list[dict[str, Any]] = []
        self._next_update_id = 1
        self._message_id = 0
        self._thread_id = 100
        self.topics: dict[int, str] = {}  # forum topics created: thread id -> name
        self.files: dict[str, bytes] = {}  # file id -> bytes (getFile and /file/bot<token>/… serve them)
        self._global: deque[float] = deque()
        self._paid: deque[float] = deque()  # accepted paid messages (allow_paid_broadcast)
        self._per_chat: dict[int, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._updates_event: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self.port: int | None = None

    # ---- inspection helpers -------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def sent(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """Accepted send* calls (optionally to one chat)."""
        with self._lock:
            return [c for c in self.calls if c["method"].lower() in SEND_METHODS and c["status"] == 200
                    and (chat_id is None or c["chat_id"] == chat_id)]

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [c for c in self.calls if c["method"].lower() == method.lower()]

    def count_status(self, status: int) -> int:
        with self._lock:
            return sum(1 for c in self.calls if c["status"] == status)

    def push_update(self, update: dict[str, Any]) -> int:
        with self._lock:
            update = dict(update)
            update["update_id"] = self._next_update_id
            self._next_update_id += 1
            self.updates.append(update)
        if self._loop and self._updates_event:
            self._loop.call_soon_threadsafe(self._updates_event.set)
        return update["update_id"]

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self._global.clear()
            self._paid.clear()
            self._per_chat.clear()
            self.peak_open_sends = 0

    # ---- server -------------------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        app.router.add_get("/_control/calls", self._ctl_calls)
        app.router.add_get("/_control/stats", self._ctl_stats)
        app.router.add_post("/_control/block", self._ctl_block)
        app.router.add_post("/_control/update", self._ctl_update)
        app.router.add_post("/_control/reset", self._ctl_reset)
        app.router.add_post("/_control/stars", self._ctl_stars)
        return app

    async def _serve(self, host: str, port: int, ready: threading.Event | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        self._updates_event = asyncio.Event()
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001 - the bound random port
        if ready:
            ready.set()

    def start(self) -> "FakeTelegram":
        ready = threading.Event()
        loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(self._serve("127.0.0.1", 0, ready))
            loop.run_forever()

        self._thread = threading.Thread(target=run, name="fake-telegram", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop is None:
            return
        fut = asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop)
        try:
            fut.result(5)
        except Exception:  # noqa: BLE001 - best effort at teardown
            pass
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread:
            self._thread.join(5)

    # ---- Bot API ------------------------------------------------------------------------------
    async def _params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        """The call's parameters, and its uploaded files (multipart/form-data, as Telegram takes
        sendDocument/sendPhoto): field name → ``{"filename", "content", "content_type"}``."""
        params: dict[str, Any] = dict(request.query)
        files: dict[str, dict[str, Any]] = {}
        if request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, str):
                        params[key] = value
                    else:  # aiohttp FileField
                        files[key] = {"filename": value.filename, "content": value.file.read(),
                                      "content_type": value.content_type}
                        params[key] = f"attach://{key}"
                # Telegram's form field may also name the file "attach://<name>"
                for key, value in list(params.items()):
                    if isinstance(value, str) and value.startswith("attach://") and value[9:] in files:
                        files.setdefault(key, files[value[9:]])
        for key, value in list(params.items()):
            if isinstance(value, str) and value[:1] in "{[":
                try:
                    params[key] = json.loads(value)
                except ValueError:
                    pass
        return params, files

    async def _handle(self, request: web.Request) -> web.Response:
        """One Bot API call; a send call is counted open from its arrival to its answer, whose time
        the call's record keeps as ``done`` (beside ``mono``, its arrival)."""
        method = request.match_info["method"]
        if method.lower() not in SEND_METHODS:
            return await self._answer(request, method, {})
        record: dict[str, Any] = {}
        with self._lock:
            self.open_sends += 1
            self.peak_open_sends = max(self.peak_open_sends, self.open_sends)
        try:
            return await self._answer(request, method, record)
        finally:
            with self._lock:
                self.open_sends -= 1
                record["done"] = time.monotonic()

    async def _answer(self, request: web.Request, method: str, record: dict[str, Any]) -> web.Response:
        params, files = await self._params(request)
        now = time.monotonic()
        chat_id = _int(params.get("chat_id"))
        record.update({"method": method, "params": params, "files": files, "ts": time.time(), "mono": now,
                       "chat_id": chat_id, "status": 200})
        latency = self.chat_latency.get(chat_id, self.latency) if chat_id is not None else self.latency
        if latency:
            await asyncio.sleep(latency)
        lower = method.lower()
        if lower == "getupdates":
            with self._lock:
                self.calls.append(record)
            return await self._get_updates(params, record)
        with self._lock:
            self.calls.append(record)
            if lower in SEND_METHODS:
                if chat_id in self.blocked:
                    record["status"] = 403
                    return _error(403, "Forbidden: bot was blocked by the user")
                if self.fail_chats.get(chat_id, 0) > 0:
                    self.fail_chats[chat_id] -= 1
                    record["status"] = 500
                    return _error(500, "Internal Server Error")
                paid = params.get("allow_paid_broadcast") in (True, "true", "True", 1, "1")
                record["paid"] = paid
                retry = self._limit(chat_id, now, paid)
                if retry:
                    record["status"] = 429
                    return _error(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})
                if paid and self.star_nanostars < PAID_MESSAGE_NANOSTARS:
                    record["status"] = 400
                    return _error(400, "Bad Request: not enough Stars on the bot's balance for a paid broadcast")
                (self._paid if paid else self._global).append(now)
                if paid:
                    self.star_nanostars -= PAID_MESSAGE_NANOSTARS
                self._per_chat[chat_id].append(now)
                if lower in ("senddocument", "sendphoto") and not self._has_media(lower, params, files):
                    record["status"] = 400
                    return _error(400, f"Bad Request: there is no {lower[4:]} in the request")
                self._message_id += 1
                return _ok(self._message(method, params, chat_id, self._message_id, files))
        if lower == "getme":
            return _ok({"id": 4242, "is_bot": True, "first_name": "Fake Shop", "username": "smo_demo_bot",
                        "can_join_groups": True, "can_read_all_group_messages": False,
                        "supports_inline_queries": False})
        if lower == "getmystarbalance":
            with self._lock:
                amount, nano = divmod(self.star_nanostars, NANOSTARS_PER_STAR)
            return _ok({"amount": amount, "nanostar_amount": nano} if nano else {"amount": amount})
        if lower == "createinvoicelink":
            return self._invoice_link(params)
        if lower == "answerprecheckoutquery":
            if not params.get("pre_checkout_query_id") or "ok" not in params:
                return _error(400, "Bad Request: pre_checkout_query_id and ok are required")
            if params.get("ok") in (False, "false") and not params.get("error_message"):
                return _error(400, "Bad Request: error_message is required when ok is false")
            return _ok(True)
        if lower == "refundstarpayment":
            if not _int(params.get("user_id")) or not params.get("telegram_payment_charge_id"):
                return _error(400, "Bad Request: user_id and telegram_payment_charge_id are required")
            return _ok(True)
        if lower == "getfile":
            file_id = str(params.get("file_id") or "")
            if file_id not in self.files:
                return _error(400, "Bad Request: invalid file_id")
            return _ok({"file_id": file_id, "file_unique_id": file_id[:16], "file_size": len(self.files[file_id]),
                        "file_path": f"photos/{file_id}.jpg"})
        if lower == "sendmessagedraft":  # Bot API 9.5: an ephemeral preview, updated by the same draft id
            if not _int(params.get("draft_id")) or not params.get("text"):
                return _error(400, "Bad Request: draft_id must be non-zero and text non-empty")
            return _ok(True)
        if lower == "createforumtopic":
            if not params.get("name") or (chat_id or 0) >= 0:
                return _error(400, "Bad Request: the chat is not a forum")
            with self._lock:
                self._thread_id += 1
                self.topics[self._thread_id] = str(params["name"])
                return _ok({"message_thread_id": self._thread_id, "name": params["name"], "icon_color": 7322096})
        if lower in ("editmessagetext", "editmessagecaption", "editmessagereplymarkup"):
            return _ok(self._message(method, params, chat_id, _int(params.get("message_id")) or 1))
        return _ok(True)

    async def _file(self, request: web.Request) -> web.Response:
        """A file's download address (``/file/bot<token>/<file_path>``, as getFile names it)."""
        file_id = request.match_info["path"].removeprefix("photos/").removesuffix(".jpg")
        with self._lock:
            self.calls.append({"method": "file", "params": {"path": request.match_info["path"]}, "files": {},
                               "ts": time.time(), "mono": time.monotonic(), "chat_id": None, "status": 200})
        if file_id not in self.files:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=self.files[file_id], content_type="image/jpeg")

    @staticmethod
    def _invoice_link(params: dict[str, Any]) -> web.Response:
        """``createInvoiceLink``: Telegram's checks on the fields a shop must send."""
        for field in ("title", "description", "payload", "currency", "prices"):
            if not params.get(field):
                return _error(400, f"Bad Request: {field} is empty")
        prices = params["prices"]
        if not isinstance(prices, list) or not all(isinstance(p, dict) and _int(p.get("amount")) for p in prices):
            return _error(400, "Bad Request: CURRENCY_TOTAL_AMOUNT_INVALID")
        if params["currency"] == "XTR" and params.get("provider_token"):
            return _error(400, "Bad Request: provider_token must be empty for payments in Telegram Stars")
        if params["currency"] != "XTR" and not params.get("provider_token"):
            return _error(400, "Bad Request: PAYMENT_PROVIDER_INVALID")
        slug = hashlib.sha256(str(params["payload"]).encode()).hexdigest()[:16]
        return _ok(f"https://t.me/$invoice{slug}")

    def _limit(self, chat_id: int | None, now: float, paid: bool = False) -> int:
        """Seconds to wait if sending now would break a limit, else 0 (caller holds the lock)."""
        waits = []
        rate, window = (self.paid_rate, self._paid) if paid else (self.rate, self._global)
        if rate:
            while window and window[0] <= now - 1.0:
                window.popleft()
            if len(window) >= rate:
                waits.append(window[len(window) - int(rate)] + 1.0 - now)
        if chat_id is not None:
            is_group = chat_id < 0
            limit, span = ((self.group_per_minute, 60.0) if is_group else (self.chat_rate, 1.0))
            if limit:
                window = self._per_chat[chat_id]
                while window and window[0] <= now - span:
                    window.popleft()
                if len(window) >= limit:
                    waits.append(window[len(window) - int(limit)] + span - now)
        if not waits:
            return 0
        return max(1, math.ceil(max(waits)))

    @staticmethod
    def _has_media(method: str, params: dict[str, Any], files: dict[str, Any]) -> bool:
        field = "document" if method == "senddocument" else "photo"
        return field in files or (isinstance(params.get(field), str) and not params[field].startswith("attach://"))

    def _message(self, method: str, params: dict[str, Any], chat_id: int | None, message_id: int,
                 files: dict[str, Any] | None = None) -> dict[str, Any]:
        chat_type = "group" if (chat_id or 0) < 0 else "private"
        msg: dict[str, Any] = {"message_id": message_id, "date": int(time.time()),
                               "chat": {"id": chat_id or 0, "type": chat_type},
                               "from": {"id": 4242, "is_bot": True, "first_name": "Fake Shop"}}
        if "text" in params:
            msg["text"] = params["text"]
        if params.get("message_thread_id"):
            msg["message_thread_id"] = _int(params["message_thread_id"])
            msg["is_topic_message"] = True
        lower = method.lower()
        if lower == "sendphoto":
            size = len((files or {}).get("photo", {}).get("content", b""))
            msg["photo"] = [{"file_id": f"ph{message_id}", "file_unique_id": f"u{message_id}", "width": 1, "height": 1,
                             **({"file_size": size} if size else {})}]
        if lower == "senddocument":
            upload = (files or {}).get("document") or {}
            msg["document"] = {"file_id": f"doc{message_id}", "file_unique_id": f"d{message_id}",
                               "file_name": upload.get("filename") or "file",
                               "mime_type": upload.get("content_type") or "application/octet-stream",
                               "file_size": len(upload.get("content") or b"")}
        if lower in ("sendphoto", "senddocument") and "caption" in params:
            msg["caption"] = params["caption"]
        return msg

    async def _get_updates(self, params: dict[str, Any], record: dict[str, Any]) -> web.Response:
        offset = _int(params.get("offset")) or 0
        timeout = min(float(params.get("timeout") or 0), 2.0)
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if offset:
                    self.updates = [u for u in self.updates if u["update_id"] >= offset]
                ready = list(self.updates)
                self._updates_event.clear()
            if ready or time.monotonic() >= deadline:
                return _ok(ready[:100])
            try:
                await asyncio.wait_for(self._updates_event.wait(), max(0.01, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                pass

    # ---- control endpoints (standalone mode) ---------------------------------------------------
    async def _ctl_calls(self, request: web.Request) -> web.Response:
        sends_only = request.query.get("sends") == "1"
        with self._lock:
            calls = [
                {k: c[k] for k in ("method", "ts", "mono", "chat_id", "status")} | {"text": c["params"].get("text") or c["params"].get("caption"), "paid": bool(c.get("paid"))}
                for c in self.calls if not sends_only or c["method"].lower() in SEND_METHODS
            ]
        return web.json_response(calls)

    async def _ctl_stats(self, _request: web.Request) -> web.Response:
        with self._lock:
            sends = [c for c in self.calls if c["method"].lower() in SEND_METHODS]
            ok = [c for c in sends if c["status"] == 200]
            stats = {"sends": len(sends), "ok": len(ok), "429": sum(c["status"] == 429 for c in sends),
                     "paid": sum(bool(c.get("paid")) for c in ok), "star_nanostars": self.star_nanostars,
                     "403": sum(c["status"] == 403 for c in sends),
                     "first_ok": ok[0]["mono"] if ok else None, "last_ok": ok[-1]["mono"] if ok else None}
        return web.json_response(stats)

    async def _ctl_block(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.blocked.update(int(c) for c in body.get("chat_ids", []))
        return web.json_response({"ok": True})

    async def _ctl_update(self, request: web.Request) -> web.Response:
        return web.json_response({"update_id": self.push_update(await request.json())})

    async def _ctl_stars(self, request: web.Request) -> web.Response:
        body = await request.json()
        with self._lock:
            self.star_nanostars = int(body["amount"]) * NANOSTARS_PER_STAR + int(body.get("nanostar_amount") or 0)
        return web.json_response({"ok": True})

    async def _ctl_reset(self, _request: web.Request) -> web.Response:
        self.reset()
        return web.json_response({"ok": True})


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(code: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=code)


def main() -> None:
    parser = argparse.ArgumentParser(description="fake Telegram Bot API")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--rate", type=float, default=30)
    parser.add_argument("--chat-rate", type=float, default=1)
    parser.add_argument("--group-per-minute", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--paid-rate", type=float, default=1000)
    parser.add_argument("--stars", type=int, default=1000, help="the bot's Stars balance")
    args = parser.parse_args()
    fake = FakeTelegram(rate=args.rate or None, chat_rate=args.chat_rate or None,
                        group_per_minute=args.group_per_minute or None, latency=args.latency,
                        paid_rate=args.paid_rate or None, stars=args.stars)

    async def run() -> None:
        await fake._serve("127.0.0.1", args.port)  # noqa: SLF001
        print(f"PORT {fake.port}", flush=True)
        await asyncio.Event().wait()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
