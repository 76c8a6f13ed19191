"""The DaData suggestions client (httpx, ``Authorization: Token <key>``)."""
from __future__ import annotations

import time
from collections.abc import Callable

import httpx
from pydantic import ValidationError

from integrations.ports.address import AddressSuggestion, GeolocateRequest, SuggestRequest
from integrations.http import (
    ProviderAuthError, ProviderProtocolError, ProviderRejected, RetryPolicy, json_body, make_client, send,
)

PRODUCTION_URL = "https://suggestions.dadata.ru"
SUGGEST_PATH = "/suggestions/api/4_1/rs/suggest/address"
GEOLOCATE_PATH = "/suggestions/api/4_1/rs/geolocate/address"


class DadataClient:
    provider = "dadata"

    def __init__(self, *, api_key: str, base_url: str = PRODUCTION_URL, timeout: float = 2.0,
                 policy: RetryPolicy = RetryPolicy(attempts=2), transport: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._http = make_client(base_url, timeout=timeout, transport=transport,
                                 headers={"Authorization": f"Token {api_key}", "Content-Type": "application/json"})
        self._policy = policy
        self._sleep = sleep

    def close(self) -> None:
        self._http.close()

    def suggest(self, request: SuggestRequest) -> list[AddressSuggestion]:
        return self._post(SUGGEST_PATH, request.model_dump(mode="json", exclude_none=True))

    def geolocate(self, request: GeolocateRequest) -> list[AddressSuggestion]:
        return self._post(GEOLOCATE_PATH, request.model_dump(mode="json", exclude_none=True))

    def _post(self, path: str, body: dict) -> list[AddressSuggestion]:
        # suggestions only read: repeating the POST after a timeout is safe
        response = send(self._http, "POST", path, provider=self.provider, policy=self._policy, sleep=self._sleep,
                        idempotent=True, json=body)
        if response.status_code in (401, 403):
            raise ProviderAuthError(self.provider, "API key refused", status=response.status_code)
        if response.status_code >= 400:
            raise ProviderRejected(self.provider, f"HTTP {response.status_code}", status=response.status_code,
                                   detail=response.text[:500])
        payload = json_body(response, provider=self.provider)
        try:
            return [AddressSuggestion.model_validate(s) for s in (payload or {}).get("suggestions", [])]
        except (ValidationError, AttributeError) as exc:
            raise ProviderProtocolError(self.provider, "suggestions: unexpected shape") from exc
