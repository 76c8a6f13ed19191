"""An OpenAI-compatible chat endpoint (OpenAI, Groq, …) for the support assistant: ``client``
(the official ``openai`` SDK at any base URL) and ``fake`` (FakeOpenAI, the wire format with
chat completions, streaming, tool calls and scripted 401/403/429/500/slow answers)."""
from __future__ import annotations

from integrations.ports.assistant import ChatModelPort


def connect(base_url: str, model: str, api_key: str, timeout: float) -> ChatModelPort:
    from integrations.openai_compat.client import OpenAICompatClient

    return OpenAICompatClient(base_url=base_url, model=model, api_key=api_key, timeout=timeout)
