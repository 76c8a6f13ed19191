"""A chat model for the support assistant (SU2): one completion, with tools, streamed.

Vendor-neutral: any OpenAI-compatible endpoint (OpenAI, Groq, a local server) is an adapter
(``integrations/openai_compat``). A rejected key raises :class:`KeyRejected` (the caller marks it
invalid on 401/403, cools it down on 429 for ``retry_after`` seconds and tries the next one);
anything else that fails (5xx, a timeout, no connection) raises :class:`AssistantUnavailable`.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, Field


class ToolCall(BaseModel):
    id: str
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class ChatReply(BaseModel):
    text: str = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    tokens_in: int = 0
    tokens_out: int = 0


class KeyRejected(Exception):
    def __init__(self, status: int, retry_after: float | None = None, detail: str = "") -> None:
        super().__init__(f"{status}: {detail}" if detail else str(status))
        self.status = status
        self.retry_after = retry_after


class AssistantUnavailable(Exception):
    """The endpoint did not answer usefully (5xx, a timeout, no connection, a malformed answer)."""


@runtime_checkable
class ChatModelPort(Protocol):
    def complete(self, *, messages: list[dict[str, Any]], tools: list[dict[str, Any]],
                 on_text: Callable[[str], None] | None = None) -> ChatReply:
        """One completion; ``on_text`` gets the answer's text so far as it streams in."""


# (base_url, model, api_key, timeout seconds) -> a ChatModelPort for that key
AssistantConnector = Callable[[str, str, str, float], ChatModelPort]
