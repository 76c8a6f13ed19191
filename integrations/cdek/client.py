"""The CDEK API v2 client (httpx): OAuth client-credentials token cached until shortly before
expiry and fetched again on a 401; tariff calculation; delivery points; waybills (``POST
/v2/orders`` answered 202, then ``GET /v2/orders/{uuid}`` until the CDEK number or the request's
errors), the waybill PDF (``POST /v2/print/orders``, poll, download) and ``ORDER_STATUS`` webhooks."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx
from pydantic import ValidationError

import json

from integrations.ports.delivery import (
    DeliveryPoint, OrderInfo, OrderRequest, StatusNotice, TariffQuote, TariffRequest,
)
from integrations.http import (
    ProviderAuthError, ProviderProtocolError, ProviderRejected, ProviderUnavailable, RetryPolicy, json_body, make_client,
    send,
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

    # ---- waybills --------------------------------------------------------------------------------
    def create_order(self, request: OrderRequest, *, idempotency_key: str) -> OrderInfo:
        """Register the order (202 + the entity uuid; CDEK checks it afterwards: see :meth:`order_info`)."""
        response = self._authed("POST", "/v2/orders", json=request.model_dump(mode="json", exclude_none=True),
                                idempotency=idempotency_key, idempotency_header="X-Idempotency-Key")
        return self._parse(response, OrderInfo)

    def order_info(self, uuid: str) -> OrderInfo:
        return self._parse(self._authed("GET", f"/v2/orders/{uuid}"), OrderInfo)

    def find_order(self, number: str) -> OrderInfo | None:
        """Our order by its number (``GET /v2/orders?im_number=``): a create that timed out after
        CDEK acted is found here instead of being sent twice."""
        response = self._authed("GET", "/v2/orders", params={"im_number": number})
        if response.status_code == 404:
            return None
        return self._parse(response, OrderInfo)

    def print_waybill(self, uuid: str, *, polls: int = 10, interval: float = 0.5) -> bytes:
        created = self._ok(self._authed("POST", "/v2/print/orders", json={"orders": [{"order_uuid": uuid}],
                                                                          "copy_count": 2}, idempotent=True))
        print_uuid = ((created or {}).get("entity") or {}).get("uuid")
        if not print_uuid:
            raise ProviderProtocolError(self.provider, "print: no entity uuid")
        for attempt in range(polls):
            body = self._ok(self._authed("GET", f"/v2/print/orders/{print_uuid}")) or {}
            codes = [st.get("code") for st in (body.get("entity") or {}).get("statuses") or []]
            if "READY" in codes:
                pdf = self._authed("GET", f"/v2/print/orders/{print_uuid}.pdf")
                if pdf.status_code >= 400 or not pdf.content.startswith(b"%PDF"):
                    raise ProviderProtocolError(self.provider, f"print: no PDF (HTTP {pdf.status_code})")
                return pdf.content
            if "INVALID" in codes or "REMOVED" in codes:
                raise ProviderRejected(self.provider, f"print: {codes[-1]}", code="cdek.print_failed")
            self._sleep(interval)
        raise ProviderUnavailable(self.provider, "print: the waybill was not ready in time", code="integration.timeout")

    def subscribe(self, url: str) -> str:
        body = self._ok(self._authed("POST", "/v2/webhooks", json={"url": url, "type": "ORDER_STATUS"},
                                     idempotent=True)) or {}
        found = (body.get("entity") or {}).get("uuid")
        if not found:
            raise ProviderProtocolError(self.provider, "webhooks: no entity uuid")
        return found

    def parse_status(self, body: bytes) -> StatusNotice:
        try:
            data = json.loads(body or b"null")
            attrs = data.get("attributes") or {}
            if data.get("type") != "ORDER_STATUS":
                raise ValueError("type")
            return StatusNotice(uuid=data["uuid"], cdek_number=str(attrs.get("cdek_number") or "") or None,
                                number=attrs.get("number"), code=attrs["code"],
                                status_date_time=attrs.get("status_date_time"), is_return=bool(attrs.get("is_return")))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ProviderProtocolError(self.provider, "webhook: an ORDER_STATUS notice was expected") from exc

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
