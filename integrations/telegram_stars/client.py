"""Bot API ``getMyStarBalance`` over httpx: ``{"ok": true, "result": {"amount": N, "nanostar_amount": M}}``."""
from __future__ import annotations

import logging

import httpx

from integrations.http import IntegrationError, RetryPolicy, make_client, send
from integrations.ports.telegram_stars import StarBalance

log = logging.getLogger(__name__)


class TelegramStarsClient:
    def __init__(self, *, token: str, base_url: str, transport: httpx.BaseTransport | None = None) -> None:
        self._token = token
        self._client = make_client(base_url, timeout=5.0, transport=transport)

    def star_balance(self) -> StarBalance | None:
        try:
            answer = send(self._client, "POST", f"/bot{self._token}/getMyStarBalance", json={},
                          provider="telegram", policy=RetryPolicy(attempts=2, max_retry_after=5.0), idempotent=True)
            body = answer.json() if answer.status_code == 200 else {}
        except (IntegrationError, ValueError) as exc:
            log.info("telegram star balance unavailable: %s", exc)
            return None
        result = body.get("result") if isinstance(body, dict) and body.get("ok") else None
        if not isinstance(result, dict) or not isinstance(result.get("amount"), int):
            return None
        return StarBalance(int(result["amount"]), int(result.get("nanostar_amount") or 0))

    def close(self) -> None:
        self._client.close()
