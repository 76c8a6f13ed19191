"""A fake OpenAI-compatible chat endpoint speaking the real wire format (``POST
/v1/chat/completions``, JSON or ``text/event-stream`` chunks with tool-call fragments and a usage
chunk), for tests and the demo: ``LocalServer(FakeOpenAI().handle)``.

Its "model" is small and honest: asked a question with tools offered, it calls ``order_status``
when the question is about an order, else ``find_products`` with the question; given the tools'
results it answers from them only (each product with its price and stock as the tool said), and
with nothing found it calls ``call_operator``. Tests script the rest: a key's answer
(``key_status[key] = (401|403|429|500, retry_after)``), ``fail_next`` (transient 5xx), ``delay``
(slow), and ``script`` (canned replies, taken first).
"""
from __future__ import annotations

import json
import threading
import time
from typing import Any

import httpx

DEMO_KEY = "demo-ai-key"


class FakeOpenAI:
    def __init__(self, *, delay: float = 0.0) -> None:
        self.delay = delay
        self.key_status: dict[str, tuple[int, float | None]] = {}
        self.calls: list[dict[str, Any]] = []  # {"key", "body", "status"}
        self.script: list[dict[str, Any]] = []  # {"text": …} or {"tool_calls": [{"name", "arguments"}]}
        self._failures: list[int] = []
        self._lock = threading.Lock()

    def fail_next(self, count: int = 1, status: int = 500) -> None:
        with self._lock:
            self._failures.extend([status] * count)

    def keys_used(self) -> list[str]:
        return [c["key"] for c in self.calls]

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.method != "POST" or not request.url.path.endswith("/chat/completions"):
            return _error(404, "not_found", "Unknown request URL")
        key = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        body = json.loads(request.content or b"{}")
        with self._lock:
            record = {"key": key, "body": body, "status": 200}
            self.calls.append(record)
            scripted = self.key_status.get(key)
            failure = self._failures.pop(0) if self._failures else None
            canned = self.script.pop(0) if self.script and not scripted and not failure else None
        if self.delay:
            time.sleep(self.delay)
        if scripted:
            status, retry_after = scripted
            record["status"] = status
            headers = {"retry-after": str(int(retry_after))} if retry_after is not None else {}
            kind = {401: "invalid_api_key", 403: "permission_denied", 429: "rate_limit_exceeded"}.get(status, "server_error")
            return _error(status, kind, f"scripted {status}", headers)
        if failure:
            record["status"] = failure
            return _error(failure, "server_error", "The server had an error while processing your request.")
        if not key:
            record["status"] = 401
            return _error(401, "invalid_api_key", "You didn't provide an API key.")
        reply = canned or self._think(body)
        usage = {"prompt_tokens": max(1, len(json.dumps(body.get("messages", []), ensure_ascii=False)) // 4),
                 "completion_tokens": max(1, len(reply.get("text", "")) // 4 + 3 * len(reply.get("tool_calls", [])))}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        model = body.get("model", "fake-model")
        if body.get("stream"):
            return httpx.Response(200, headers={"content-type": "text/event-stream"},
                                  content=_sse(model, reply, usage if (body.get("stream_options") or {}).get("include_usage") else None))
        return httpx.Response(200, json=_completion(model, reply, usage))

    # -- the "model" -----------------------------------------------------------------------------
    def _think(self, body: dict[str, Any]) -> dict[str, Any]:
        messages = body.get("messages") or []
        tools = {t["function"]["name"] for t in body.get("tools") or [] if t.get("type") == "function"}
        results = []
        for m in reversed(messages):
            if m.get("role") == "tool":
                results.append(m)
            else:
                break
        if results:
            return self._answer_from(list(reversed(results)))
        question = next((str(m.get("content") or "") for m in reversed(messages) if m.get("role") == "user"), "")
        if "order_status" in tools and "заказ" in question.lower() or "order" in question.lower() and "order_status" in tools:
            return {"tool_calls": [{"name": "order_status", "arguments": {}}]}
        if "find_products" in tools:
            return {"tool_calls": [{"name": "find_products", "arguments": {"query": question}}]}
        return {"text": "I can only answer with the shop's data."}

    @staticmethod
    def _answer_from(results: list[dict[str, Any]]) -> dict[str, Any]:
        lines = []
        for result in results:
            try:
                data = json.loads(result.get("content") or "null")
            except ValueError:
                data = None
            for item in (data or {}).get("products", []) if isinstance(data, dict) else []:
                for v in item.get("variants") or []:
                    label = f" ({v['label']})" if v.get("label") else ""
                    stock = f"в наличии {v['in_stock']}" if v.get("in_stock", 0) > 0 else "нет в наличии"
                    lines.append(f"{item['name']}{label} — {v['price']}, {stock}")
            for order in (data or {}).get("orders", []) if isinstance(data, dict) else []:
                lines.append(f"Заказ №{order['number']}: {order['status']}")
        if not lines:
            return {"tool_calls": [{"name": "call_operator", "arguments": {"reason": "no facts"}}]}
        return {"text": "Вот что есть:\n" + "\n".join(lines)}


def _tool_calls(reply: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"id": f"call_{i}", "type": "function",
             "function": {"name": c["name"], "arguments": json.dumps(c.get("arguments") or {}, ensure_ascii=False)}}
            for i, c in enumerate(reply.get("tool_calls") or [])]


def _completion(model: str, reply: dict[str, Any], usage: dict[str, int]) -> dict[str, Any]:
    calls = _tool_calls(reply)
    message = {"role": "assistant", "content": reply.get("text") if not calls else None}
    if calls:
        message["tool_calls"] = calls
    return {"id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if calls else "stop"}],
            "usage": usage}


def _sse(model: str, reply: dict[str, Any], usage: dict[str, int] | None) -> bytes:
    def chunk(delta: dict[str, Any], finish: str | None = None, with_usage: dict[str, int] | None = None,
              choices: bool = True) -> str:
        data = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}] if choices else []}
        if with_usage is not None:
            data["usage"] = with_usage
        return "data: " + json.dumps(data, ensure_ascii=False) + "\n\n"

    out = [chunk({"role": "assistant", "content": ""})]
    calls = _tool_calls(reply)
    if calls:
        for i, call in enumerate(calls):
            args = call["function"]["arguments"]
            out.append(chunk({"tool_calls": [{"index": i, "id": call["id"], "type": "function",
                                              "function": {"name": call["function"]["name"], "arguments": ""}}]}))
            for start in range(0, len(args), 12):  # arguments arrive in fragments, as the real API sends them
                out.append(chunk({"tool_calls": [{"index": i, "function": {"arguments": args[start:start + 12]}}]}))
        out.append(chunk({}, "tool_calls"))
    else:
        text = reply.get("text") or ""
        for start in range(0, len(text), 16):
            out.append(chunk({"content": text[start:start + 16]}))
        out.append(chunk({}, "stop"))
    if usage is not None:
        out.append(chunk({}, with_usage=usage, choices=False))
    out.append("data: [DONE]\n\n")
    return "".join(out).encode()


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, headers=headers or {},
                          json={"error": {"message": message, "type": code, "param": None, "code": code}})


if __name__ == "__main__":  # pragma: no cover
    from integrations.fakeserver import run_standalone

    run_standalone(FakeOpenAI().handle, name="OpenAI-compatible endpoint", default_port=8790)
