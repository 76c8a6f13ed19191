"""The support assistant's chat model over the official ``openai`` SDK, pointed at any
OpenAI-compatible base URL. One streamed completion per call (text deltas handed on as they come,
tool calls assembled from their fragments, token usage from the last chunk); no retries of its own
— the caller fails over to the next key or to the offline answerer."""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import openai

from integrations.ports.assistant import AssistantUnavailable, ChatReply, KeyRejected, ToolCall


class OpenAICompatClient:
    def __init__(self, *, base_url: str, model: str, api_key: str, timeout: float = 20.0) -> None:
        self.model = model
        self._client = openai.OpenAI(base_url=base_url, api_key=api_key, timeout=timeout, max_retries=0)

    def complete(self, *, messages: list[dict[str, Any]], tools: list[dict[str, Any]],
                 on_text: Callable[[str], None] | None = None) -> ChatReply:
        try:
            stream = self._client.chat.completions.create(
                model=self.model, messages=messages, tools=tools or openai.omit, stream=True,
                stream_options={"include_usage": True}, temperature=0.2)
            return _collect(stream, on_text)
        except (openai.AuthenticationError, openai.PermissionDeniedError, openai.RateLimitError) as exc:
            raise KeyRejected(exc.status_code, _retry_after(exc.response), str(exc)[:200]) from exc
        except (openai.APIError, ValueError) as exc:  # 5xx, 4xx, timeouts, connection, malformed chunks
            raise AssistantUnavailable(f"{type(exc).__name__}: {str(exc)[:200]}") from exc


def _collect(stream, on_text: Callable[[str], None] | None) -> ChatReply:
    text, calls, usage = "", {}, None
    for chunk in stream:
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices or []:
            delta = choice.delta
            if delta is None:
                continue
            if delta.content:
                text += delta.content
                if on_text is not None:
                    on_text(text)
            for part in delta.tool_calls or []:
                slot = calls.setdefault(part.index, {"id": "", "name": "", "arguments": ""})
                slot["id"] = part.id or slot["id"]
                if part.function is not None:
                    slot["name"] = part.function.name or slot["name"]
                    slot["arguments"] += part.function.arguments or ""
    tool_calls = []
    for _, slot in sorted(calls.items()):
        try:
            arguments = json.loads(slot["arguments"] or "{}")
        except ValueError:
            arguments = {}
        tool_calls.append(ToolCall(id=slot["id"] or f"call_{len(tool_calls)}", name=slot["name"],
                                   arguments=arguments if isinstance(arguments, dict) else {}))
    return ChatReply(text=text.strip(), tool_calls=tool_calls, tokens_in=getattr(usage, "prompt_tokens", 0) or 0,
                     tokens_out=getattr(usage, "completion_tokens", 0) or 0)


def _retry_after(response) -> float | None:
    value = response.headers.get("retry-after") if response is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
