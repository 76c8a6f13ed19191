"""A fake MoySklad JSON API 1.2 speaking its wire format and enforcing its limits, for tests, the
benchmark and the offline demo.

``FakeMoysklad(...).handle`` is an ``httpx.Request -> httpx.Response`` function: plug it into the
client as ``httpx.MockTransport(fake.handle)`` or serve it with
``integrations.fakeserver.LocalServer(fake.handle)`` (``python -m integrations.moysklad.fake --port P
--items N`` runs it standalone).

What it answers (paths under ``/api/remap/1.2``): ``GET /entity/assortment`` (limit ≤ 1000,
offset, ``meta.size``/``nextHref``, ``filter=updated>=…;archived=…``, only with the
``X-Lognex-Remap-Beta-Feature: assortmentWithoutStock`` header — the fake does not serve the old
endpoint), ``GET /entity/{product|variant}/{id}``, ``GET /report/stock/all/current``
(``stockType=stock``, ``changedSince`` ≤ 24 h back: current stock of what changed, zeros included;
without it zeros are left out), ``GET /entity/store|organization|counterparty``, ``GET
/context/companysettings/pricetype``, ``GET /entity/customerorder?filter=externalCode=…``, ``POST
/entity/customerorder``, ``GET /entity/customerorder/metadata`` (states), ``PUT
/entity/customerorder/{id}``.

The limits, as MoySklad applies them: a Bearer token (401 otherwise), ``Accept-Encoding: gzip``
(415 without a body otherwise; answers are gzipped), weight units per 3-second sliding window (45;
1 per request on a solution token, 4 on a user token, 5 for the stock report) → 429 with code 1049
and the ``X-RateLimit-*``/``X-Lognex-*`` headers; more than 5 requests at once → 429 with code 1073.
Every request is recorded (``log``: arrival, weight, path, status) so a test can check that no
window went over and nothing ran more than 5 at once.

Knobs: ``throttle_next(n, retry_ms)`` (a burst of 429s), ``fail_next(n, status)`` (5xx),
``slow_paths[path_part] = seconds`` (slow pages), ``change(n)``/``set_stock``/``delete``/``archive``
(changes made "in MoySklad"), ``webhook_body(...)`` (what MoySklad would POST to us).
"""
from __future__ import annotations

import gzip
import json
import random
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs

import httpx

from integrations.moysklad.client import MSK, msk, parse_msk
from integrations.moysklad.limiter import BUDGET_UNITS, MAX_IN_FLIGHT, WINDOW_SECONDS, request_weight

PREFIX = "/api/remap/1.2"
DEMO_TOKEN = "demo-moysklad-token"
PRICE_TYPE = {"id": "672559f1-cbf3-11e1-9eb9-889ffa6f49fd", "name": "Цена продажи",
              "externalCode": "cbcf493b-55bc-11d9-848a-00112f43529a"}
WHOLESALE_PRICE_TYPE = {"id": "672559f1-cbf3-11e1-9eb9-889ffa6f49fe", "name": "Оптовая цена",
                        "externalCode": "cbcf493b-55bc-11d9-848a-00112f43529b"}
STORE_ID = "7a2b4e10-0000-4000-8000-000000000001"
ORG_ID = "7a2b4e10-0000-4000-8000-000000000002"
AGENT_ID = "7a2b4e10-0000-4000-8000-000000000003"
STATES = ("Новый", "Подтвержден", "Собран", "Отгружен", "Доставлен", "Отменен")


@dataclass
class Logged:
    at: float
    weight: int
    method: str
    path: str
    status: int


def _now_msk(t: datetime | None = None) -> str:
    t = t or datetime.now(timezone.utc)
    return t.astimezone(MSK).strftime("%Y-%m-%d %H:%M:%S.") + f"{t.microsecond // 1000:03d}"


class FakeMoysklad:
    provider = "moysklad"

    def __init__(self, *, token: str = DEMO_TOKEN, base: str = "http://moysklad.fake", token_kind: str = "user",
                 gzip_level: int = 1, seed: int = 7) -> None:
        self.token = token
        self.base = base.rstrip("/") + PREFIX
        self.token_kind = token_kind
        self.gzip_level = gzip_level
        self.products: dict[str, dict] = {}  # id -> product row (with variants: the parent)
        self.variants: dict[str, dict] = {}
        self.stock: dict[str, float] = {}  # assortment id -> physical stock
        self.stock_changed: dict[str, datetime] = {}
        self.orders: dict[str, dict] = {}
        self.log: list[Logged] = []
        self.refused = 0  # 429s the fake had to answer (a well-behaved client causes none)
        self.max_in_flight_seen = 0
        self.slow_paths: dict[str, float] = {}
        self.clock = time.monotonic
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._window: list[tuple[float, int]] = []
        self._in_flight = 0
        self._throttle: list[int] = []  # retry-after ms of the 429s to inject
        self._failures: list[int] = []
        self._seq = 0

    # ---- data ------------------------------------------------------------------------------------
    def _id(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _meta(self, kind: str, obj_id: str) -> dict:
        return {"href": f"{self.base}/entity/{kind}/{obj_id}", "metadataHref": f"{self.base}/entity/{kind}/metadata",
                "type": kind, "mediaType": "application/json"}

    def _prices(self, retail: int, wholesale: int | None = None) -> list[dict]:
        out = [{"value": float(retail), "currency": {"meta": self._meta("currency", "10772c12-36e7-11e7-8a7f-40d000000097")},
                "priceType": {"meta": {"href": f"{self.base}/context/companysettings/pricetype/{PRICE_TYPE['id']}",
                                       "type": "pricetype", "mediaType": "application/json"}, **PRICE_TYPE}}]
        if wholesale is not None:
            out.append({**out[0], "value": float(wholesale),
                        "priceType": {**out[0]["priceType"], **WHOLESALE_PRICE_TYPE}})
        return out

    def add_product(self, name: str, *, price: int, code: str | None = None, barcode: str | None = None,
                    stock: float | None = None, weight_kg: float = 0.1, folder: str = "", description: str = "",
                    wholesale: int | None = None, archived: bool = False) -> str:
        pid = self._id()
        self._seq += 1
        row = {"meta": self._meta("product", pid), "id": pid, "accountId": "103bff1b-36e7-11e7-8a7f-40d000000004",
               "updated": _now_msk(), "name": name, "description": description, "code": code or f"{self._seq:05d}",
               "externalCode": uuid.uuid4().hex[:22], "archived": archived, "pathName": folder,
               "salePrices": self._prices(price, wholesale), "weight": weight_kg, "volume": 0,
               "barcodes": [{"ean13": barcode}] if barcode else [], "variantsCount": 0, "isSerialTrackable": False}
        with self._lock:
            self.products[pid] = row
            if stock is not None:
                self._set_stock(pid, stock)
        return pid

    def add_variant(self, product_id: str, label: str, *, price: int, code: str | None = None,
                    barcode: str | None = None, stock: float | None = None) -> str:
        vid = self._id()
        self._seq += 1
        parent = self.products[product_id]
        row = {"meta": self._meta("variant", vid), "id": vid, "accountId": parent["accountId"], "updated": _now_msk(),
               "name": f"{parent['name']} ({label})", "code": code or f"{self._seq:05d}",
               "externalCode": uuid.uuid4().hex[:22], "archived": False,
               "characteristics": [{"meta": {"href": f"{self.base}/entity/variant/metadata/characteristics/c1",
                                             "type": "attributemetadata", "mediaType": "application/json"},
                                    "id": "c1", "name": "вариант", "value": label}],
               "salePrices": self._prices(price), "barcodes": [{"ean13": barcode}] if barcode else [],
               "product": {"meta": self._meta("product", product_id)}}
        with self._lock:
            self.variants[vid] = row
            parent["variantsCount"] += 1
            parent["updated"] = _now_msk()
            if stock is not None:
                self._set_stock(vid, stock)
        return vid

    def seed_catalog(self, n: int, *, with_stock: bool = True, age_hours: float = 48) -> list[str]:
        """``n`` products, stock on ~90 % of them, last changed ``age_hours`` ago (an incremental pull
        sees only what changes afterwards)."""
        ids = []
        old = datetime.now(timezone.utc) - timedelta(hours=age_hours)
        for i in range(n):
            pid = self.add_product(f"Товар {i:05d}", price=10_000 + i * 7, code=f"MS-{i:05d}",
                                   barcode=f"2{i:012d}", weight_kg=0.05 + (i % 20) / 100,
                                   stock=(i % 37) if with_stock and i % 10 else None, folder="Каталог")
            ids.append(pid)
            self.products[pid]["updated"] = _now_msk(old)
            if pid in self.stock_changed:
                self.stock_changed[pid] = old
        return ids

    def _set_stock(self, item_id: str, qty: float) -> None:
        self.stock[item_id] = qty
        self.stock_changed[item_id] = datetime.now(timezone.utc)

    def set_stock(self, item_id: str, qty: float) -> None:
        with self._lock:
            self._set_stock(item_id, qty)

    def row(self, item_id: str) -> dict:
        return self.products.get(item_id) or self.variants[item_id]

    def change(self, item_id: str, **fields) -> None:
        """Change an item "in MoySklad": ``name=``, ``price=`` (kopecks), ``description=``, ``archived=``."""
        with self._lock:
            row = self.row(item_id)
            if "price" in fields:
                row["salePrices"][0]["value"] = float(fields.pop("price"))
            row.update(fields)
            row["updated"] = _now_msk()

    def change_many(self, n: int) -> list[str]:
        """``n`` items get a new price and a new stock (an incremental pull sees exactly these)."""
        picked = list(self.products)[:n]
        for i, pid in enumerate(picked):
            self.change(pid, price=int(self.products[pid]["salePrices"][0]["value"]) + 100)
            self.set_stock(pid, float(50 + i % 7))
        return picked

    def delete(self, item_id: str) -> None:
        with self._lock:
            if item_id in self.products:
                self.products.pop(item_id)
                for vid in [v for v, row in self.variants.items() if row["product"]["meta"]["href"].endswith(item_id)]:
                    self.variants.pop(vid)
            else:
                self.variants.pop(item_id, None)
            if item_id in self.stock:
                self._set_stock(item_id, 0.0)

    # ---- knobs ------------------------------------------------------------------------------------
    def throttle_next(self, count: int = 1, retry_ms: int = 100) -> None:
        with self._lock:
            self._throttle.extend([retry_ms] * count)

    def fail_next(self, count: int = 1, status: int = 500) -> None:
        with self._lock:
            self._failures.extend([status] * count)

    def requests(self, part: str = "", method: str | None = None) -> list[Logged]:
        return [e for e in self.log if part in e.path and (method is None or e.method == method) and e.status != 429]

    def max_window_units(self) -> int:
        """The largest weight of requests that arrived within any 3-second window (429s not counted)."""
        from integrations.moysklad.limiter import max_window_units

        return max_window_units([(e.at, e.weight) for e in self.log if e.status != 429])

    def webhook_body(self, changes: list[tuple[str, str, str]], *, fields: list[str] | None = None) -> bytes:
        """What MoySklad POSTs: ``changes`` = [(type, id, action)]."""
        return json.dumps({
            "auditContext": {"meta": {"type": "audit", "href": f"{self.base}/audit/{uuid.uuid4()}"},
                             "moment": _now_msk()[:19], "uid": "admin@shop"},
            "events": [{"meta": {"type": kind, "href": f"{self.base}/entity/{kind}/{obj_id}"},
                        **({"updatedFields": fields} if fields and action == "UPDATE" else {}),
                        "action": action, "accountId": "103bff1b-36e7-11e7-8a7f-40d000000004"}
                       for kind, obj_id, action in changes]}, ensure_ascii=False).encode()

    # ---- the HTTP edge ----------------------------------------------------------------------------
    def _answer(self, status: int, body: object | None, headers: dict | None = None) -> httpx.Response:
        if body is None:
            return httpx.Response(status, headers=headers or {})
        raw = json.dumps(body, ensure_ascii=False).encode()
        return httpx.Response(status, content=gzip.compress(raw, compresslevel=self.gzip_level),
                              headers={"Content-Type": "application/json;charset=utf-8", "Content-Encoding": "gzip",
                                       **(headers or {})})

    def _error(self, status: int, code: int, text: str, headers: dict | None = None) -> httpx.Response:
        return self._answer(status, {"errors": [{"error": text, "code": code,
                                                 "moreInfo": f"https://dev.moysklad.ru/doc/api/remap/1.2/#error_{code}"}]},
                            headers)

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if not path.startswith(PREFIX):
            return self._error(404, 1002, f"Неопознанный путь: {path}")
        route = path[len(PREFIX):]
        if "gzip" not in request.headers.get("Accept-Encoding", "").lower():
            return httpx.Response(415)
        if request.headers.get("Authorization", "") != f"Bearer {self.token}":
            return self._error(401, 1056, "Ошибка аутентификации: Неправильный пароль или имя пользователя "
                                          "или ключ авторизации")
        weight = request_weight(path, token_kind=self.token_kind)
        entry, refused = self._admit(request.method, route, weight)
        if refused is not None:
            return refused
        try:
            slow = next((s for part, s in self.slow_paths.items() if part in str(request.url)), 0.0)
            if slow:
                time.sleep(slow)
            with self._lock:
                failure = self._failures.pop(0) if self._failures else None
            if failure is not None:
                response = self._error(failure, 1000 if failure == 500 else failure, "Внутренняя ошибка")
            else:
                response = self._route(request, route)
        finally:
            with self._lock:
                self._in_flight -= 1
        entry.status = response.status_code
        return response

    def _admit(self, method: str, route: str, weight: int) -> tuple[Logged, httpx.Response | None]:
        now = self.clock()
        with self._lock:
            self._window = [(t, w) for t, w in self._window if now - t < WINDOW_SECONDS]
            used = sum(w for _, w in self._window)
            injected = self._throttle.pop(0) if self._throttle else None
            headers = {"X-RateLimit-Limit": str(BUDGET_UNITS), "X-Lognex-Retry-TimeInterval": str(int(WINDOW_SECONDS * 1000))}
            if self._in_flight >= MAX_IN_FLIGHT:
                self.refused += 1
                entry = Logged(now, weight, method, route, 429)
                self.log.append(entry)
                return entry, self._error(429, 1073, "Превышено ограничение на одновременное количество запросов",
                                   {**headers, "X-RateLimit-Remaining": str(max(0, BUDGET_UNITS - used)),
                                    "X-Lognex-Retry-After": "100", "X-Lognex-Reset": "100"})
            if injected is not None or used + weight > BUDGET_UNITS:
                self.refused += injected is None
                reset = injected if injected is not None else self._reset_ms(now, weight, used)
                entry = Logged(now, weight, method, route, 429)
                self.log.append(entry)
                return entry, self._error(429, 1049, "Превышено ограничение на количество запросов в единицу времени",
                                   {**headers, "X-RateLimit-Remaining": "0", "X-Lognex-Reset": str(reset),
                                    "X-Lognex-Retry-After": str(reset)})
            self._window.append((now, weight))
            self._in_flight += 1
            self.max_in_flight_seen = max(self.max_in_flight_seen, self._in_flight)
            entry = Logged(now, weight, method, route, 200)
            self.log.append(entry)
            return entry, None

    def _reset_ms(self, now: float, weight: int, used: int) -> int:
        excess, freed = used + weight - BUDGET_UNITS, 0
        for t, w in self._window:
            freed += w
            if freed >= excess:
                return max(1, int((t + WINDOW_SECONDS - now) * 1000) + 1)
        return int(WINDOW_SECONDS * 1000)

    def _route(self, request: httpx.Request, route: str) -> httpx.Response:
        q = {k: v for k, v in parse_qs(request.url.query.decode() if isinstance(request.url.query, bytes)
                                       else str(request.url.query), keep_blank_values=True).items()}
        method = request.method
        if method == "GET" and route == "/entity/assortment":
            if request.headers.get("X-Lognex-Remap-Beta-Feature") != "assortmentWithoutStock":
                return self._error(410, 1015, "Старый эндпоинт ассортимента в фейке не поддерживается")
            return self._assortment(q)
        if method == "GET" and route == "/report/stock/all/current":
            return self._stock(q)
        parts = route.strip("/").split("/")
        if method == "GET" and len(parts) == 3 and parts[0] == "entity" and parts[1] in ("product", "variant"):
            with self._lock:
                row = (self.products if parts[1] == "product" else self.variants).get(parts[2])
            return self._answer(200, row) if row else self._error(404, 1021, f"Объект с типом '{parts[1]}' и "
                                                                             f"идентификатором '{parts[2]}' не найден")
        if method == "GET" and route in ("/entity/store", "/entity/organization", "/entity/counterparty",
                                         "/context/companysettings/pricetype"):
            return self._directory(route)
        if route == "/entity/customerorder/metadata" and method == "GET":
            return self._answer(200, {"meta": {"href": f"{self.base}/entity/customerorder/metadata"},
                                      "states": [self._state(n) for n in STATES]})
        if route == "/entity/customerorder" and method == "GET":
            return self._find_orders(q)
        if route == "/entity/customerorder" and method == "POST":
            return self._create_order(request)
        if method == "PUT" and len(parts) == 3 and parts[:2] == ["entity", "customerorder"]:
            return self._update_order(parts[2], request)
        return self._error(404, 1002, f"Неопознанный путь: {route}")

    def _state(self, name: str) -> dict:
        sid = str(uuid.uuid5(uuid.NAMESPACE_URL, name))
        return {"meta": {"href": f"{self.base}/entity/customerorder/metadata/states/{sid}", "type": "state",
                         "mediaType": "application/json"}, "id": sid, "name": name, "stateType": "Regular",
                "entityType": "customerorder", "color": 15106326}

    def _filters(self, q: dict) -> tuple[str | None, set[bool], str | None]:
        updated_since, archived, external = None, set(), None
        for part in ";".join(q.get("filter", [])).split(";"):
            if part.startswith("updated>="):
                updated_since = part[len("updated>="):]
            elif part.startswith("archived="):
                archived.add(part.endswith("true"))
            elif part.startswith("externalCode="):
                external = part[len("externalCode="):]
        return updated_since, archived or {False}, external

    def _assortment(self, q: dict) -> httpx.Response:
        try:
            limit = int(q.get("limit", ["1000"])[0])
            offset = int(q.get("offset", ["0"])[0])
        except ValueError:
            return self._error(400, 1040, "Неверно заданы параметры запроса")
        if not 1 <= limit <= 1000:
            return self._error(400, 1040, "Параметр limit должен быть от 1 до 1000")
        since, archived, _ = self._filters(q)
        since_t = parse_msk(since) if since else None
        with self._lock:
            rows = []
            for row in list(self.products.values()):
                rows.append(row)
                if row["variantsCount"]:
                    rows += [v for v in self.variants.values() if v["product"]["meta"]["href"] == row["meta"]["href"]]
        rows = [r for r in rows if r.get("archived", False) in archived
                and (since_t is None or parse_msk(r["updated"]) >= since_t)]
        page = rows[offset:offset + limit]
        meta = {"href": f"{self.base}/entity/assortment", "type": "assortment", "mediaType": "application/json",
                "size": len(rows), "limit": limit, "offset": offset}
        if offset + limit < len(rows):
            meta["nextHref"] = f"{self.base}/entity/assortment?limit={limit}&offset={offset + limit}"
        if offset > 0:
            meta["previousHref"] = f"{self.base}/entity/assortment?limit={limit}&offset={max(0, offset - limit)}"
        return self._answer(200, {"context": {"employee": {"meta": {"href": f"{self.base}/context/employee"}}},
                                  "meta": meta, "rows": page})

    def _stock(self, q: dict) -> httpx.Response:
        kind = q.get("stockType", ["stock"])[0]
        if kind not in ("stock", "freeStock", "reserve"):
            return self._error(400, 1041, f"Неверное значение '{kind}' параметра 'stockType'")
        since = q.get("changedSince", [None])[0]
        with self._lock:
            reserve = self.reserves()

            def value(item_id: str) -> float:
                stock = self.stock.get(item_id, 0.0)
                return {"stock": stock, "reserve": reserve.get(item_id, 0.0),
                        "freeStock": stock - reserve.get(item_id, 0.0)}[kind]

            if since is None:
                rows = [{"assortmentId": i, kind: value(i)} for i in set(self.stock) | set(reserve) if value(i)]
            else:
                since_t = parse_msk(since)
                now = datetime.now(timezone.utc)
                if since_t is None or since_t > now + timedelta(seconds=5) or now - since_t > timedelta(hours=24):
                    return self._error(400, 1014, f"Неверное значение '{since}' параметра фильтрации 'changedSince'")
                rows = [{"assortmentId": i, kind: value(i)} for i, t in self.stock_changed.items() if t >= since_t]
        return self._answer(200, rows)

    def reserves(self) -> dict[str, float]:
        """Units reserved by customer orders (positions' ``reserve``), orders cancelled excepted."""
        out: dict[str, float] = {}
        cancelled = self._state(STATES[-1])["meta"]["href"]
        for order in self.orders.values():
            if (order.get("state") or {}).get("meta", {}).get("href") == cancelled:
                continue
            for p in order["positions"]["rows"]:
                item_id = p["assortment"]["meta"]["href"].rsplit("/", 1)[-1]
                out[item_id] = out.get(item_id, 0.0) + float(p.get("reserve") or 0)
        return out

    def _directory(self, route: str) -> httpx.Response:
        if route.endswith("pricetype"):
            return self._answer(200, [{"meta": {"href": f"{self.base}/context/companysettings/pricetype/{p['id']}",
                                                "type": "pricetype"}, **p} for p in (PRICE_TYPE, WHOLESALE_PRICE_TYPE)])
        kind = route.rsplit("/", 1)[-1]
        name = {"store": "Основной склад", "organization": "ИП Иванова", "counterparty": "Розничный покупатель"}[kind]
        oid = {"store": STORE_ID, "organization": ORG_ID, "counterparty": AGENT_ID}[kind]
        return self._answer(200, {"meta": {"href": f"{self.base}{route}", "size": 1, "limit": 100, "offset": 0},
                                  "rows": [{"meta": self._meta(kind, oid), "id": oid, "name": name}]})

    def _find_orders(self, q: dict) -> httpx.Response:
        _, _, external = self._filters(q)
        with self._lock:
            rows = [o for o in self.orders.values() if external is None or o["externalCode"] == external]
        return self._answer(200, {"meta": {"href": f"{self.base}/entity/customerorder", "size": len(rows),
                                           "limit": 1000, "offset": 0}, "rows": rows[:1000]})

    def _create_order(self, request: httpx.Request) -> httpx.Response:
        try:
            body = json.loads(request.content or b"null")
            assert isinstance(body, dict)
        except (ValueError, AssertionError):
            return self._error(400, 2016, "Ошибка формата JSON")
        for field in ("organization", "agent"):
            if not (body.get(field) or {}).get("meta", {}).get("href"):
                return self._error(412, 3000, f"Ошибка сохранения объекта: поле '{field}' не может быть пустым")
        positions = body.get("positions") or []
        if len(positions) > 1000:
            return self._error(413, 1044, "Превышено ограничение на количество позиций")
        for p in positions:
            href = (p.get("assortment") or {}).get("meta", {}).get("href", "")
            item_id = href.rsplit("/", 1)[-1]
            if item_id not in self.products and item_id not in self.variants:
                return self._error(412, 1021, f"Объект с идентификатором '{item_id}' не найден")
        oid = str(uuid.uuid4())
        state = body.get("state") or {"meta": self._state(STATES[0])["meta"]}
        with self._lock:
            name = f"{len(self.orders) + 1:05d}"
            row = {"meta": self._meta("customerorder", oid), "id": oid, "name": body.get("name") or name,
                   "externalCode": body.get("externalCode") or uuid.uuid4().hex[:22], "moment": _now_msk()[:19],
                   "applicable": True, "organization": body["organization"], "agent": body["agent"],
                   "store": body.get("store"), "state": state, "description": body.get("description", ""),
                   "shipmentAddress": body.get("shipmentAddress", ""),
                   "sum": sum(float(p.get("price", 0)) * float(p.get("quantity", 0)) for p in positions),
                   "positions": {"meta": {"href": f"{self.base}/entity/customerorder/{oid}/positions",
                                          "size": len(positions)}, "rows": positions}}
            self.orders[oid] = row
            self._touch_positions(row)
        return self._answer(200, row)

    def _touch_positions(self, order: dict) -> None:
        now = datetime.now(timezone.utc)
        for p in order["positions"]["rows"]:
            self.stock_changed[p["assortment"]["meta"]["href"].rsplit("/", 1)[-1]] = now

    def _update_order(self, oid: str, request: httpx.Request) -> httpx.Response:
        try:
            body = json.loads(request.content or b"null")
        except ValueError:
            return self._error(400, 2016, "Ошибка формата JSON")
        with self._lock:
            row = self.orders.get(oid)
            if row is None:
                return self._error(404, 1021, f"Объект с типом 'customerorder' и идентификатором '{oid}' не найден")
            if "state" in body:
                href = body["state"]["meta"]["href"]
                if not any(self._state(n)["meta"]["href"] == href for n in STATES):
                    return self._error(412, 11002, "Ошибка инициализации статуса")
                row["state"] = {"meta": body["state"]["meta"]}
                self._touch_positions(row)
        return self._answer(200, row)

    def state_name(self, order: dict) -> str | None:
        href = (order.get("state") or {}).get("meta", {}).get("href")
        return next((n for n in STATES if self._state(n)["meta"]["href"] == href), None)


def demo_fake(items: int = 0) -> FakeMoysklad:
    """The fake the demo points at: a small perfume catalog of its own (plus ``items`` generated)."""
    fake = FakeMoysklad()
    for name, price, stock in (("Масло лаванды 10 мл", 45_000, 12), ("Свеча «Сандал»", 89_000, 5),
                               ("Мыло ручной работы «Мята»", 32_000, 0), ("Диффузор «Бергамот»", 159_000, 3)):
        fake.add_product(name, price=price, stock=stock, folder="МойСклад", description="Из МоегоСклада")
    if items:
        fake.seed_catalog(items)
    return fake


def control(fake: FakeMoysklad):
    """The standalone fake's handler, with a control path for a benchmark in another process:
    ``POST /__fake__/change?n=N`` (N items get a new price and stock), ``GET /__fake__/stats``."""
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/__fake__/change":
            return httpx.Response(200, json={"changed": fake.change_many(int(request.url.params.get("n", "1")))})
        if request.url.path == "/__fake__/stats":
            ok = [e for e in fake.log if e.status != 429]
            return httpx.Response(200, json={"requests": len(ok), "refused": fake.refused,
                                             "max_window_units": fake.max_window_units(),
                                             "max_in_flight": fake.max_in_flight_seen})
        return fake.handle(request)

    return handle


def main() -> None:  # pragma: no cover
    import argparse

    from integrations.fakeserver import LocalServer

    parser = argparse.ArgumentParser(description="A fake MoySklad JSON API 1.2 on a local port")
    parser.add_argument("--port", type=int, default=8091)
    parser.add_argument("--items", type=int, default=0)
    parser.add_argument("--token-kind", default="user", choices=["user", "solution"])
    args = parser.parse_args()
    fake = demo_fake()
    fake.token_kind = args.token_kind
    if args.items:
        fake.seed_catalog(args.items)
    server = LocalServer(control(fake), port=args.port)
    print(f"fake MoySklad on {server.base_url}{PREFIX} (token {DEMO_TOKEN!r})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":  # pragma: no cover
    main()
