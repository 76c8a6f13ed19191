"""A fake CDEK API v2 speaking the real JSON, for tests and the offline demo.

``FakeCdek().handle`` is an ``httpx.Request -> httpx.Response`` function: pass
``httpx.MockTransport(fake.handle)`` to :class:`~integrations.cdek.client.CdekClient`, or serve it on
a local port with ``integrations.fakeserver.LocalServer(fake.handle)`` (``python -m
integrations.cdek.fake --port 8089`` runs it standalone).

Implemented: ``POST /v2/oauth/token`` (client credentials, form or query), ``POST
/v2/calculator/tariff`` (tariffs 136 and 137), ``GET /v2/deliverypoints`` (by ``city_code``),
``POST /v2/orders`` (202 with the entity uuid; the order is checked afterwards), ``GET
/v2/orders/{uuid}`` and ``GET /v2/orders?im_number=`` (``ACCEPTED`` for the first ``polls_to_ready``
reads, then ``SUCCESSFUL`` with a ``cdek_number`` — or ``INVALID`` with the errors), ``POST
/v2/print/orders`` + ``GET /v2/print/orders/{uuid}`` (+ ``.pdf``), ``POST /v2/webhooks``
(``ORDER_STATUS``); :meth:`FakeCdek.status_notice` builds the webhook CDEK would send.
Knobs for tests: ``expire_tokens()`` (the next call answers 401), ``fail_next(n, status,
retry_after)`` (5xx/429 answers), ``delay`` (seconds before answering — a timeout), ``calls``
(every request seen, as (method, path)).
"""
from __future__ import annotations

import json
import secrets
import threading
import time
import uuid
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


def _pdf(text: str) -> bytes:
    """A one-page PDF with a line of text (enough for a viewer and a test)."""
    stream = f"BT /F1 18 Tf 50 780 Td ({text}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


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
        self.orders: dict[str, dict] = {}  # entity uuid -> {"body", "reads", "cdek_number", "errors", "statuses"}
        self.prints: dict[str, dict] = {}
        self.webhooks: list[dict] = []
        self.polls_to_ready = 1  # GETs answered ACCEPTED before the number appears
        self.reject: list[tuple[str, str]] = []  # (code, message) the next order is refused with
        self._number = 1_106_000_000

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
        if path == "/v2/orders" and request.method == "POST":
            return self._create_order(request)
        if path == "/v2/orders" and request.method == "GET":
            number = request.url.params.get("im_number")
            found = next((u for u, o in self.orders.items() if o["body"].get("number") == number), None)
            return self._order(found) if found else _errors(404, "v2_entity_not_found", "order is not found")
        if path.startswith("/v2/orders/") and request.method == "GET":
            return self._order(path.rsplit("/", 1)[-1])
        if path == "/v2/print/orders" and request.method == "POST":
            return self._print(request)
        if path.startswith("/v2/print/orders/") and request.method == "GET":
            return self._print_status(path.rsplit("/", 1)[-1])
        if path == "/v2/webhooks" and request.method == "POST":
            body = json.loads(request.content or b"{}")
            if body.get("type") != "ORDER_STATUS" or not str(body.get("url", "")).startswith("http"):
                return _errors(400, "v2_invalid_value_type", "url and type are required")
            hook = {"uuid": str(uuid.uuid4()), **body}
            self.webhooks.append(hook)
            return _json(200, {"entity": {"uuid": hook["uuid"]}, "requests": [self._request("CREATE", "SUCCESSFUL")]})
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

    @staticmethod
    def _request(kind: str, state: str, errors: list | None = None) -> dict:
        return {"request_uuid": str(uuid.uuid4()), "type": kind, "date_time": "2026-12-07T10:00:00+0000",
                "state": state, "errors": errors or [], "warnings": []}

    def _create_order(self, request: httpx.Request) -> httpx.Response:
        try:
            body = json.loads(request.content or b"null")
            assert isinstance(body, dict)
        except (ValueError, AssertionError):
            return _errors(400, "v2_bad_request", "Request body is not JSON")
        self.bodies.append(body)
        errors = []
        if self.reject:
            code, message = self.reject.pop(0)
            errors.append({"code": code, "message": message})
        if body.get("tariff_code") not in TARIFFS:
            errors.append({"code": "v2_invalid_tariff_code", "message": f"Tariff {body.get('tariff_code')} is invalid"})
        if body.get("tariff_code") == 136 and not body.get("delivery_point"):
            errors.append({"code": "v2_field_is_empty", "message": "delivery_point is required for tariff 136"})
        if body.get("tariff_code") == 137 and not (body.get("to_location") or {}).get("address"):
            errors.append({"code": "v2_field_is_empty", "message": "to_location.address is required"})
        recipient = body.get("recipient") or {}
        if not recipient.get("name") or not recipient.get("phones"):
            errors.append({"code": "v2_field_is_empty", "message": "recipient.name and recipient.phones are required"})
        if not body.get("packages") or any(int(p.get("weight") or 0) <= 0 for p in body["packages"]):
            errors.append({"code": "v2_field_is_empty", "message": "packages[].weight is required"})
        entity = str(uuid.uuid4())
        with self._lock:
            self._number += 1
            self.orders[entity] = {"body": body, "reads": 0, "errors": errors, "cdek_number": str(self._number),
                                   "statuses": [{"code": "ACCEPTED", "name": "Принят", "date_time": "2026-12-07T10:00:00+0000"}]}
        return _json(202, {"entity": {"uuid": entity}, "requests": [self._request("CREATE", "ACCEPTED")]})

    def _order(self, entity: str) -> httpx.Response:
        with self._lock:
            order = self.orders.get(entity)
            if order is None:
                return _errors(404, "v2_entity_not_found", f"Order {entity} is not found")
            order["reads"] += 1
            ready = order["reads"] > self.polls_to_ready
            if order["errors"]:
                state = "INVALID" if ready else "ACCEPTED"
            else:
                state = "SUCCESSFUL" if ready else "ACCEPTED"
                if ready and len(order["statuses"]) == 1:
                    order["statuses"].append({"code": "CREATED", "name": "Создан", "date_time": "2026-12-07T10:00:05+0000"})
            entity_json = {"uuid": entity, "type": 1, "number": order["body"].get("number"),
                           "tariff_code": order["body"].get("tariff_code"), "statuses": order["statuses"]}
            if state == "SUCCESSFUL":
                entity_json["cdek_number"] = order["cdek_number"]
            errors = order["errors"] if state == "INVALID" else []
        return _json(200, {"entity": entity_json, "requests": [self._request("CREATE", state, errors)]})

    def _print(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content or b"{}")
        uuids = [o.get("order_uuid") for o in body.get("orders") or []]
        if not uuids or any(u not in self.orders for u in uuids):
            return _errors(400, "v2_entity_not_found", "orders[].order_uuid is not found")
        entity = str(uuid.uuid4())
        self.prints[entity] = {"orders": uuids, "reads": 0}
        return _json(202, {"entity": {"uuid": entity}, "requests": [self._request("CREATE", "ACCEPTED")]})

    def _print_status(self, entity: str) -> httpx.Response:
        pdf = entity.endswith(".pdf")
        entity = entity.removesuffix(".pdf")
        job = self.prints.get(entity)
        if job is None:
            return _errors(404, "v2_entity_not_found", "print form is not found")
        if pdf:
            numbers = " ".join(self.orders[u]["cdek_number"] for u in job["orders"])
            return httpx.Response(200, content=_pdf(f"CDEK waybill {numbers}"), headers={"Content-Type": "application/pdf"})
        job["reads"] += 1
        statuses = [{"code": "ACCEPTED", "date_time": "2026-12-07T10:00:00+0000"}]
        if job["reads"] > 1:
            statuses += [{"code": "PROCESSING"}, {"code": "READY", "date_time": "2026-12-07T10:00:02+0000"}]
        return _json(200, {"entity": {"uuid": entity, "orders": [{"order_uuid": u} for u in job["orders"]],
                                      "copy_count": 2, "url": f"http://cdek.fake/v2/print/orders/{entity}.pdf",
                                      "statuses": statuses}})

    def status_notice(self, entity: str, code: str, *, when: str = "2026-12-08T12:00:00+0300") -> bytes:
        """The ``ORDER_STATUS`` webhook CDEK sends when the order ``entity`` reaches ``code``."""
        order = self.orders[entity]
        order["statuses"].append({"code": code, "name": code, "date_time": when})
        return json.dumps({"type": "ORDER_STATUS", "date_time": when, "uuid": entity, "attributes": {
            "is_return": False, "cdek_number": order["cdek_number"], "number": order["body"].get("number"),
            "status_code": "4", "status_date_time": when, "city_name": "Москва", "city_code": "44", "code": code,
            "is_reverse": False, "is_client_return": False}}, ensure_ascii=False).encode()

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
