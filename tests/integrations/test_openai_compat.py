"""The OpenAI-compatible client (the official SDK) against the fake server over real HTTP: tool
calls assembled from streamed fragments, text streamed in pieces with usage at the end, and a
rejected key or a failing endpoint reported as the port's errors."""
from __future__ import annotations

import json

import pytest

from integrations.fakeserver import LocalServer
from integrations.openai_compat import connect
from integrations.openai_compat.fake import FakeOpenAI
from integrations.ports.assistant import AssistantUnavailable, KeyRejected

TOOLS = [{"type": "function", "function": {"name": "find_products", "parameters": {
    "type": "object", "properties": {"query": {"type": "string"}}}}}]


@pytest.fixture
def endpoint():
    fake = FakeOpenAI()
    with LocalServer(fake.handle) as server:
        yield fake, server.base_url + "/v1"


def test_a_tool_call_then_a_streamed_answer(endpoint):
    fake, url = endpoint
    client = connect(url, "llama-3.3-70b-versatile", "key-1", 5.0)
    first = client.complete(messages=[{"role": "user", "content": "Есть свечи с кедром?"}], tools=TOOLS)
    assert [(c.name, c.arguments) for c in first.tool_calls] == [("find_products", {"query": "Есть свечи с кедром?"})]
    result = {"products": [{"name": "Свеча Кедр", "variants": [{"label": "150 мл", "price": "890 ₽", "in_stock": 2}]}]}
    seen: list[str] = []
    second = client.complete(messages=[
        {"role": "user", "content": "Есть свечи с кедром?"},
        {"role": "assistant", "content": None, "tool_calls": [{"id": first.tool_calls[0].id, "type": "function",
                                                               "function": {"name": "find_products", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": first.tool_calls[0].id, "content": json.dumps(result, ensure_ascii=False)},
    ], tools=TOOLS, on_text=seen.append)
    assert "Свеча Кедр (150 мл) — 890 ₽, в наличии 2" in second.text
    assert len(seen) > 1 and seen[-1] == second.text and second.tokens_in > 0 and second.tokens_out > 0
    assert fake.calls[-1]["body"]["stream"] is True and fake.keys_used() == ["key-1", "key-1"]


@pytest.mark.parametrize("status, retry_after", [(401, None), (403, None), (429, 17)])
def test_a_rejected_key_is_reported_with_its_retry_after(endpoint, status, retry_after):
    fake, url = endpoint
    fake.key_status["bad"] = (status, retry_after)
    with pytest.raises(KeyRejected) as rejected:
        connect(url, "m", "bad", 5.0).complete(messages=[{"role": "user", "content": "hi"}], tools=TOOLS)
    assert (rejected.value.status, rejected.value.retry_after) == (status, retry_after and float(retry_after))


def test_a_server_error_and_a_slow_answer_are_unavailable(endpoint):
    fake, url = endpoint
    fake.fail_next(1, 500)
    with pytest.raises(AssistantUnavailable):
        connect(url, "m", "k", 5.0).complete(messages=[{"role": "user", "content": "hi"}], tools=TOOLS)
    fake.delay = 1.5
    with pytest.raises(AssistantUnavailable):
        connect(url, "m", "k", 0.3).complete(messages=[{"role": "user", "content": "hi"}], tools=TOOLS)
