"""Bot API ``getFile`` and the download of ``/file/bot<token>/<file_path>`` over httpx (files up to
20 MB, as Telegram serves them to bots)."""
from __future__ import annotations

import logging

import httpx

from integrations.http import IntegrationError, RetryPolicy, make_client, send

log = logging.getLogger(__name__)
MAX_BYTES = 20 * 1024 * 1024


class TelegramFilesClient:
    def __init__(self, *, token: str, base_url: str, transport: httpx.BaseTransport | None = None) -> None:
        self._token = token
        self._client = make_client(base_url, timeout=10.0, transport=transport)

    def download(self, file_id: str) -> bytes | None:
        policy = RetryPolicy(attempts=2, max_retry_after=5.0)
        try:
            answer = send(self._client, "GET", f"/bot{self._token}/getFile", params={"file_id": file_id},
                          provider="telegram", policy=policy)
            path = (answer.json().get("result") or {}).get("file_path") if answer.status_code == 200 else None
            if not path:
                return None
            file = send(self._client, "GET", f"/file/bot{self._token}/{path}", provider="telegram", policy=policy)
        except (IntegrationError, ValueError) as exc:
            log.info("telegram file %s unavailable: %s", file_id, exc)
            return None
        if file.status_code != 200 or len(file.content) > MAX_BYTES:
            return None
        return file.content
