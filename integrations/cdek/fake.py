"""A fake CDEK API v2 speaking the real JSON, for tests and the offline demo.

``FakeCdek().handle`` is an ``httpx.Request -> httpx.Response`` function: pass
``httpx.MockTransport(fake.handle)`` to :class:`~integrations.cdek.client.CdekClient`, or serve it on
a local port with ``integrations.fakeserver.LocalServer(fake.handle)`` (``python -m
integrations.cdek.fake --port 8089`` runs it standalone).

Implemented: ``POST /v2/oauth/token`` (client credentials, form or query), ``POST
/v2/calculator/tariff`` (tariffs 136 and 137), ``GET /v2/deliverypoints`` (by ``city_code``).
Knobs for tests: ``expire_tokens()`` (the next call answers 401), ``fail_next(n, status,
retry_after)`` (5xx/429 answers), ``delay`` (seconds before answering — a timeout), ``calls``
(every request seen, as (method, path)).
"""
from __future__ import annotations

import json
import secrets
import threading
import time
from decimal import Decimal
from urllib.parse import parse_qsl

import httpx

DEMO_CLIENT_ID = "demo-cdek-client"
DEMO_CLIENT_SECRET = "demo-cdek-secret"

# city code -> (name, region, base price roubles for tariff 136, days min, days max)
CITIES: dict[int, tuple[str, str, int, int, int]] = {
    44: ("Москва", "Москва", 250, 1, 2),
    137: ("Санкт-Петербург", "Санкт-Петербург", 320, 2, 3),
    270: ("Новосибирск", "Новосибирская область", 480, 4, 6),
    250: ("Екатеринбург", "Свердловская область", 420, 3, 5),
}
POINTS: dict[int, list[tuple[str, str, float, float, str]]] = {
    44: [
        ("MSK101", "ул. Тверская, 12", 55.7651, 37.6050, "Пн-Вс 09:00-21:00"),
        ("MSK102", "Ленинский пр-т, 30", 55.7076, 37.5862, "Пн-Пт 10:00-20:00, Сб-Вс 10:00-18:00"),
        ("MSK103", "ул. Арбат, 24", 55.7500, 37.5930, "Пн-Вс 10:00-22:00"),
        ("MSK104", "Профсоюзная ул., 56", 55.6700, 37.5530, "Пн-Вс 09:00-21:00"),
        ("MSK105", "ул. Бауманская, 7", 55.7720, 37.6790, "Пн-Сб 10:00-20:00"),
    ],
    137: [
        ("SPB201", "Невский пр-т, 88", 59.9320, 30.3500, "Пн-Вс 09:00-21:00"),
        ("SPB202", "Московский пр-т, 150", 59.8750, 30.3190, "Пн-Вс 10:00-20:00"),
    ],
}
TARIFFS = {136: "Посылка склад-склад", 137: "Посылка склад-дверь"}
COURIER_EXTRA = 150  # roubles on top of the pickup-point price
PER_KG = 40  # roubles per started kilogram over the first


def _json(status: int, body: object, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body, ensure_ascii=False).encode(),
                          headers={"Content-Type": "application/json;charset=UTF-8", **(headers or {})})


def _errors(status: int, code: str, message: str) -> httpx.Response:
    return _json(status, {"errors": [{"code": code, "message": message}]})


class FakeCdek:
    provider = "cdek"

    def __init__(self, *, client_id: str = DEMO_CLIENT_ID, client_secret: str = DEMO_CLIENT_SECRET,
                 token_ttl: int = 3600, delay: float = 0.0) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_ttl = token_ttl
        self.delay = delay
        self.calls: list[tuple[str, str]] = []
        self.bodies: list[object] = []
        self._tokens: dict[str, float] = {}  # token -> monotonic expiry
        self._failures: list[tuple[int, str | None]] = []
        self._lock = threading.Lock()

    # ---- knobs ----------------------------------------------------------------------------------
    def expire_tokens(self) -> None:
        with self._lock:
            self._tokens.clear()

    def fail_next(self, count: int = 1, status: int = 502, *, retry_after: str | None = None) -> None:
        with self._lock:
            self._failures.extend([(status, retry_after)] * count)

    def count(self, path: str) -> int:
        return sum(1 for _, p in self.calls if p == path)

    # ---- the API --------------------------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        with self._lock:
            self.calls.append((request.method, path))
            failure = self._failures.pop(0) if self._failures else None
        if self.delay:
            time.sleep(self.delay)
        if failure is not None:
            status, retry_after = failure
            return _errors(status, "v2_internal_error", "Service temporarily unavailable") if retry_after is None \
                else _json(status, {"errors": [{"code": "v2_too_many_requests", "message": "Too many requests"}]},
                           headers={"Retry-After": retry_after})
        if request.method == "POST" and path == "/v2/oauth/token":
            return self._token(request)
        if not self._authorized(request):
            return _json(401, {"requests": [{"state": "INVALID", "errors": [
                {"code": "v2_unauthorized", "message": "Access token is expired or invalid"}]}]})
        if request.method == "POST" and path == "/v2/calculator/tariff":
            return self._tariff(request)
        if request.method == "GET" and path == "/v2/deliverypoints":
            return self._points(request)
        return _errors(404, "v2_entity_not_found", f"{request.method} {path} is not found")

    def _token(self, request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        if request.content:
            params.update(parse_qsl(request.content.decode()))
        if params.get("grant_type") != "client_credentials":
            return _json(400, {"error": "unsupported_grant_type", "error_description": "Unsupported grant type"})
        if params.get("client_id") != self.client_id or params.get("client_secret") != self.client_secret:
            return _json(401, {"error": "invalid_client", "error_description": "Bad client credentials"})
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = time.monotonic() + self.token_ttl
        return _json(200, {"access_token": token, "token_type": "bearer", "expires_in": self.token_ttl,
                           "scope": "order:all payment:all", "jti": secrets.token_hex(8)})

    def _authorized(self, request: httpx.Request) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.lower().startswith("bearer "):
            return False
        with self._lock:
            expiry = self._tokens.get(header[7:].strip())
        return expiry is not None and expiry > time.monotonic()

    def _tariff(self, request: httpx.Request) -> httpx.Response:
        try:
            body = json.loads(request.content or b"null")
        except ValueError:
            return _errors(400, "v2_bad_request", "Request body is not JSON")
        self.bodies.append(body)
        if not isinstance(body, dict):
            return _errors(400, "v2_bad_request", "Request body is not an object")
        tariff = body.get("tariff_code")
        if tariff not in TARIFFS:
            return _errors(400, "v2_invalid_value_type", f"Tariff {tariff} is not available")
        packages = body.get("packages") or []
        if not packages or any(not isinstance(p, dict) or int(p.get("weight") or 0) <= 0 for p in packages):
            return _errors(400, "v2_field_is_empty", "packages[].weight is required")
        origin, target = body.get("from_location") or {}, body.get("to_location") or {}
        if origin.get("code") not in CITIES:
            return _errors(400, "v2_entity_not_found", "from_location is not found")
        city = target.get("code")
        if city not in CITIES:
            address = str(target.get("address") or "")
            city = next((code for code, c in CITIES.items() if c[0].lower() in address.lower()), None)
            if city is None:
                return _errors(400, "v2_entity_not_found", "to_location is not found")
        _, _, base, days_min, days_max = CITIES[city]
        weight = sum(int(p["weight"]) for p in packages)
        price = base + PER_KG * max(0, -(-weight // 1000) - 1) + (COURIER_EXTRA if tariff == 137 else 0)
        total = Decimal(price).quantize(Decimal("0.01"))
        return _json(200, {"delivery_sum": float(total), "period_min": days_min, "period_max": days_max,
                           "calendar_min": days_min, "calendar_max": days_max + 1, "weight_calc": weight,
                           "services": [], "total_sum": float(total), "currency": "RUB"})

    def _points(self, request: httpx.Request) -> httpx.Response:
        try:
            city = int(request.url.params.get("city_code", ""))
        except ValueError:
            return _errors(400, "v2_invalid_value_type", "city_code must be a number")
        kind = request.url.params.get("type", "ALL")
        if kind not in ("PVZ", "ALL"):
            return _json(200, [])
        name, region = CITIES.get(city, ("", ""))[:2]
        return _json(200, [
            {"code": code, "name": f"{name}, {address}", "uuid": f"00000000-0000-4000-8000-{i:012d}",
             "work_time": hours, "type": "PVZ", "owner_code": "cdek", "is_handout": True, "is_reception": True,
             "location": {"country_code": "RU", "region_code": 81, "region": region, "city_code": city, "city": name,
                          "postal_code": "101000", "longitude": lon, "latitude": lat, "address": address,
                          "address_full": f"101000, Россия, {region}, {name}, {address}"}}
            for i, (code, address, lat, lon, hours) in enumerate(POINTS.get(city, []), start=1)
        ])


if __name__ == "__main__":  # pragma: no cover
    from integrations.fakeserver import run_standalone

    run_standalone(FakeCdek().handle, name="CDEK API v2", default_port=8089,
                   note=f"(client id {DEMO_CLIENT_ID!r}, secret {DEMO_CLIENT_SECRET!r})")
