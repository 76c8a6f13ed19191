"""The CDEK API v2 client (httpx): OAuth client-credentials token cached until shortly before
expiry and fetched again on a 401; tariff calculation; delivery points."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx
from pydantic import ValidationError

from integrations.ports.delivery import DeliveryPoint, TariffQuote, TariffRequest
from integrations.http import (
    ProviderAuthError, ProviderProtocolError, ProviderRejected, RetryPolicy, json_body, make_client, send,
)

PRODUCTION_URL = "https://api.cdek.ru"
TEST_URL = "https://api.edu.cdek.ru"  # CDEK's public test contour
TOKEN_MARGIN = 60.0  # seconds: refresh a token this long before CDEK says it expires


class CdekClient:
    provider = "cdek"

    def __init__(self, *, base_url: str, client_id: str, client_secret: str, timeout: float = 5.0,
                 policy: RetryPolicy = RetryPolicy(), transport: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> None:
        self._http = make_client(base_url, timeout=timeout, transport=transport)
        self._client_id = client_id
        self._client_secret = client_secret
        self._policy = policy
        self._sleep = sleep
        self._clock = clock
        self._token: str | None = None
        self._token_expires = 0.0
        self._lock = threading.Lock()

    def close(self) -> None:
        self._http.close()

    # ---- the port -------------------------------------------------------------------------------
    def calculate_tariff(self, request: TariffRequest) -> TariffQuote:
        response = self._authed("POST", "/v2/calculator/tariff", idempotent=True,  # a calculation only reads
                                json=request.model_dump(mode="json", exclude_none=True))
        return self._parse(response, TariffQuote)

    def delivery_points(self, *, city_code: int, type: str = "PVZ") -> list[DeliveryPoint]:
        response = self._authed("GET", "/v2/deliverypoints", params={"city_code": city_code, "type": type})
        body = self._ok(response)
        if not isinstance(body, list):
            raise ProviderProtocolError(self.provider, "delivery points: a list was expected")
        try:
            return [DeliveryPoint.model_validate(item) for item in body]
        except ValidationError as exc:
            raise ProviderProtocolError(self.provider, f"delivery points: {exc.error_count()} bad fields") from exc

    # ---- token ----------------------------------------------------------------------------------
    def _access_token(self, *, force: bool = False) -> str:
        with self._lock:
            if not force and self._token and self._clock() < self._token_expires:
                return self._token
            response = send(self._http, "POST", "/v2/oauth/token", provider=self.provider, policy=self._policy,
                            sleep=self._sleep, data={"grant_type": "client_credentials",
                                                     "client_id": self._client_id, "client_secret": self._client_secret})
            if response.status_code in (400, 401, 403):
                raise ProviderAuthError(self.provider, "client credentials refused", status=response.status_code,
                                        detail=_safe_json(response))
            body = self._ok(response)
            token, expires_in = (body or {}).get("access_token"), (body or {}).get("expires_in")
            if not isinstance(token, str) or not isinstance(expires_in, (int, float)):
                raise ProviderProtocolError(self.provider, "token answer without access_token/expires_in")
            self._token = token
            self._token_expires = self._clock() + max(0.0, float(expires_in) - TOKEN_MARGIN)
            return token

    def _authed(self, method: str, path: str, **kwargs) -> httpx.Response:
        for fresh in (False, True):
            token = self._access_token(force=fresh)
            response = send(self._http, method, path, provider=self.provider, policy=self._policy, sleep=self._sleep,
                            headers={"Authorization": f"Bearer {token}"}, **kwargs)
            if response.status_code != 401:
                return response
        raise ProviderAuthError(self.provider, "a fresh token was refused", status=401, detail=_safe_json(response))

    # ---- answers --------------------------------------------------------------------------------
    def _ok(self, response: httpx.Response):
        if response.status_code >= 400:
            detail = _safe_json(response)
            raise ProviderRejected(self.provider, _first_error(detail) or f"HTTP {response.status_code}",
                                   status=response.status_code, detail=detail)
        return json_body(response, provider=self.provider)

    def _parse(self, response: httpx.Response, model):
        body = self._ok(response)
        try:
            return model.model_validate(body)
        except ValidationError as exc:
            raise ProviderProtocolError(self.provider, f"{model.__name__}: {exc.error_count()} bad fields") from exc


def _safe_json(response: httpx.Response):
    try:
        return response.json()
    except ValueError:
        return response.text[:500]


def _first_error(detail) -> str | None:
    """CDEK puts errors in ``errors[]`` (or ``requests[].errors[]``): ``code: message`` of the first."""
    if not isinstance(detail, dict):
        return None
    errors = detail.get("errors") or [e for r in detail.get("requests") or [] for e in r.get("errors") or []]
    if errors and isinstance(errors[0], dict):
        return f"{errors[0].get('code')}: {errors[0].get('message')}"
    return detail.get("error_description") or detail.get("error")
