"""The MoySklad JSON API 1.2 client (httpx), implementing :class:`~integrations.ports.erp.ErpPort`.

Wire facts (MoySklad's API docs, ``moysklad/api-remap-1.2-doc``): Bearer token; every request says
``Accept-Encoding: gzip`` (MoySklad answers 415 otherwise); lists page with ``limit`` ≤ 1000 and
``offset`` (``meta.size`` is the total, ``meta.nextHref`` the next page); the assortment is
``GET /entity/assortment`` with ``X-Lognex-Remap-Beta-Feature: assortmentWithoutStock`` (no stock
fields: stock comes from ``GET /report/stock/all/current``, weight 5, with ``changedSince`` for what
changed in the last 24 h, zeros included); dates are Moscow time ``yyyy-MM-dd HH:mm:ss``; prices are
kopecks; errors are ``{"errors": [{"error", "code", …}]}``; a 429 carries ``X-Lognex-Retry-After``
and ``X-Lognex-Reset`` (milliseconds); our own writes carry ``X-Lognex-WebHook-DisableByPrefix``
so MoySklad does not echo them back to our webhook.

Every request goes through the token's one :class:`~integrations.moysklad.limiter.WeightedLimiter`.
Retries: 429 waits the time MoySklad names (the whole token waits), 5xx and network errors back off
exponentially; a request that keeps failing gives up after ``attempts`` tries, far below the 200
identical failures that make MoySklad switch a token off.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import httpx
from pydantic_core import from_json

from integrations.http import (
    ProviderAuthError, ProviderProtocolError, ProviderRejected, ProviderUnavailable, make_timeout,
)
from integrations.moysklad.limiter import WeightedLimiter, limiter_for, max_window_units, request_weight
from integrations.ports.erp import (
    ErpCallStats, ErpChange, ErpDirectory, ErpItem, ErpOrder, ErpOrderIn, ErpPrice, ErpRef, ErpStock,
)

log = logging.getLogger(__name__)

DEFAULT_BASE = "https://api.moysklad.ru/api/remap/1.2"
MSK = ZoneInfo("Europe/Moscow")
PAGE_LIMIT = 1000
BETA_HEADER = {"X-Lognex-Remap-Beta-Feature": "assortmentWithoutStock"}
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
ITEM_TYPES = ("product", "variant", "service", "bundle")


def msk(moment: datetime) -> str:
    """A moment as MoySklad writes it (Moscow time, seconds)."""
    return moment.astimezone(MSK).strftime("%Y-%m-%d %H:%M:%S")


def parse_msk(value: str | None) -> datetime | None:
    if not value:
        return None
    try:  # the usual shape, read fast ("2026-12-01 10:15:00.123"): a page has a thousand of them
        moment = datetime.fromisoformat(value) if len(value) >= 16 and value[10] == " " else None
    except ValueError:
        moment = None
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=MSK).astimezone(timezone.utc)
    for fmt in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=MSK).astimezone(timezone.utc)
        except ValueError:
            continue
    return None


def _errors_text(body) -> str | None:
    if isinstance(body, dict) and isinstance(body.get("errors"), list) and body["errors"]:
        first = body["errors"][0]
        if isinstance(first, dict):
            return f"{first.get('code', '')}: {first.get('error', '')}".strip(": ")
    return None


def _ms(value: str | None) -> float | None:
    try:
        return max(0.0, float(value) / 1000.0) if value not in (None, "") else None
    except ValueError:
        return None


class MoyskladClient:
    provider = "moysklad"

    def __init__(self, *, token: str, base_url: str = DEFAULT_BASE, token_kind: str = "user",
                 timeout: float = 30.0, attempts: int = 6, backoff: float = 0.5,
                 transport: httpx.BaseTransport | None = None, limiter: WeightedLimiter | None = None,
                 webhook_prefix: str | None = None, today: Callable[[], date] = date.today,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.token_kind = token_kind
        self._http = httpx.Client(timeout=make_timeout(timeout), transport=transport, follow_redirects=False,
                                  headers={"User-Agent": "smo/1", "Accept": "application/json;charset=utf-8",
                                           "Accept-Encoding": "gzip", "Authorization": f"Bearer {token}"},
                                  limits=httpx.Limits(max_connections=8, max_keepalive_connections=8))
        self.limiter = limiter or limiter_for(token, self.base_url)
        self.attempts = attempts
        self.backoff = backoff
        self.webhook_prefix = webhook_prefix
        self._today = today
        self._sleep = sleep
        self._stats_lock = threading.Lock()
        self._sent: list[tuple[float, int]] = []
        self._stats = ErpCallStats()
        self._states: dict[str, dict] | None = None

    def close(self) -> None:
        self._http.close()

    # ---- transport ------------------------------------------------------------------------------
    def _url(self, path: str) -> str:
        return path if path.startswith("http") else self.base_url + path

    def request(self, method: str, path: str, *, params: dict | None = None, json_body: object | None = None,
                headers: dict | None = None, idempotent: bool | None = None) -> httpx.Response:
        """One logical request through the limiter, retried as the module docstring says; returns the
        final response below 500 (429 excepted) or raises :class:`ProviderUnavailable`."""
        url = self._url(path)
        weight = request_weight(httpx.URL(url).path, token_kind=self.token_kind, today=self._today())
        idempotent = method in ("GET", "PUT", "DELETE") if idempotent is None else idempotent
        extra = dict(headers or {})
        if method != "GET" and self.webhook_prefix:
            extra["X-Lognex-WebHook-DisableByPrefix"] = self.webhook_prefix
        content = json.dumps(json_body, ensure_ascii=False).encode() if json_body is not None else None
        if content is not None:
            extra["Content-Type"] = "application/json;charset=utf-8"
        last = ""
        status: int | None = None
        for attempt in range(1, self.attempts + 1):
            with self.limiter.slot(weight) as started:
                self._count(started, weight)
                try:
                    response = self._http.request(method, url, params=params, content=content, headers=extra)
                except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                    response, last, status = None, f"{type(exc).__name__}", None
                except httpx.TransportError as exc:
                    if not idempotent:
                        raise ProviderUnavailable(self.provider, f"{method} {path}: {type(exc).__name__}",
                                                  code="integration.timeout") from exc
                    response, last, status = None, f"{type(exc).__name__}", None
            if response is not None:
                status = response.status_code
                if status not in RETRY_STATUSES:
                    return response
                last = f"HTTP {status}"
            if status == 429:
                wait = (_ms(response.headers.get("X-Lognex-Retry-After"))
                        or _ms(response.headers.get("X-Lognex-Reset")) or 1.0)
                with self._stats_lock:
                    self._stats.throttled += 1
                log.info("moysklad: 429 on %s %s, the token waits %.2f s", method, path, wait)
                self.limiter.hold(wait)
            else:
                if status is not None:
                    with self._stats_lock:
                        self._stats.server_errors += 1
                wait = min(8.0, self.backoff * (2 ** (attempt - 1)))
                log.info("moysklad: %s on %s %s, retry %d in %.2f s", last, method, path, attempt, wait)
                if attempt < self.attempts:
                    self.limiter.hold(wait)
        raise ProviderUnavailable(self.provider, f"{method} {path}: {last} after {self.attempts} tries", status=status,
                                  code="integration.rate_limited" if status == 429 else None)

    def _count(self, started: float, weight: int) -> None:
        with self._stats_lock:
            self._stats.requests += 1
            self._stats.units += weight
            self._sent.append((started, weight))

    def take_stats(self) -> ErpCallStats:
        with self._stats_lock:
            out = self._stats.model_copy(update={"max_window_units": max_window_units(self._sent)})
            self._stats, self._sent = ErpCallStats(), []
        return out

    def _json(self, response: httpx.Response, *, allow_404: bool = False):
        if allow_404 and response.status_code == 404:
            return None
        if response.status_code >= 400:
            try:
                body = from_json(response.content)
            except ValueError:
                body = response.text[:300]
            message = _errors_text(body) or f"HTTP {response.status_code}"
            error = ProviderAuthError if response.status_code in (401, 403) else ProviderRejected
            raise error(self.provider, message, status=response.status_code, detail=body)
        try:
            return from_json(response.content)  # pydantic's JSON reader: twice as fast as the json module
        except ValueError as exc:
            raise ProviderProtocolError(self.provider, f"not JSON (HTTP {response.status_code})") from exc

    def get(self, path: str, **kw):
        return self._json(self.request("GET", path, **kw))

    # ---- assortment -----------------------------------------------------------------------------
    def assortment(self, *, updated_since: datetime | None = None, include_archived: bool = True,
                   together: int = 1) -> Iterator[list[ErpItem]]:
        filters = []
        if updated_since is not None:
            filters.append(f"updated>={msk(updated_since)}")
        if include_archived:
            filters += ["archived=true", "archived=false"]
        params = {"limit": PAGE_LIMIT, "offset": 0}
        if filters:
            params["filter"] = ";".join(filters)
        first = self._page(params)
        size = int((first.get("meta") or {}).get("size") or 0)
        offsets = list(range(PAGE_LIMIT, size, PAGE_LIMIT))
        if not offsets:
            yield self._items(first)
            return
        # the other pages are known now: ask for them all before the caller sees the first one (the
        # limiter keeps them within 5 in flight and the window, and starts them in order), while the
        # caller works on the pages already here; the fetching threads only fetch (a thread reading
        # rows into items would start no request meanwhile), the pages are read into items as they
        # are handed on: those in by the time the caller asks for more in one list (up to
        # ``together``), in order
        with ThreadPoolExecutor(max_workers=4, thread_name_prefix="moysklad-page") as pool:
            futures = deque(pool.submit(self._page, {**params, "offset": off}) for off in offsets)
            try:
                yield self._items(first)
                while futures:
                    batch, taken = self._items(futures.popleft().result()), 1
                    while taken < together and futures and futures[0].done() and futures[0].exception() is None:
                        batch += self._items(futures.popleft().result())
                        taken += 1
                    yield batch
            finally:
                for future in futures:
                    future.cancel()

    def _items(self, body: dict) -> list[ErpItem]:
        return [self._item(r) for r in body.get("rows") or []]

    def _page(self, params: dict) -> dict:
        body = self.get("/entity/assortment", params=params, headers=BETA_HEADER)
        if not isinstance(body, dict) or not isinstance(body.get("rows"), list):
            raise ProviderProtocolError(self.provider, "assortment: rows were expected")
        return body

    def _item(self, row: dict) -> ErpItem:
        meta = row.get("meta") or {}
        kind = meta.get("type") or "product"
        if kind not in ITEM_TYPES:
            kind = "product"
        parent = ((row.get("product") or {}).get("meta") or {}).get("href")
        prices = []
        for p in row.get("salePrices") or []:
            pt = p.get("priceType") or {}
            try:
                prices.append(ErpPrice(price_type=pt.get("name") or "", price_type_id=pt.get("id"),
                                       minor=int(round(float(p.get("value") or 0)))))
            except (TypeError, ValueError):
                continue
        barcodes = [str(v) for b in row.get("barcodes") or [] if isinstance(b, dict) for v in b.values() if v]
        chars = ", ".join(str(c.get("value")) for c in row.get("characteristics") or [] if c.get("value"))
        try:
            weight = int(round(float(row.get("weight") or 0) * 1000))  # MoySklad keeps kilograms
        except (TypeError, ValueError):
            weight = 0
        try:
            return ErpItem(id=row["id"], type=kind, name=str(row.get("name") or "")[:200], code=row.get("code"),
                           article=row.get("article"), description=str(row.get("description") or ""),
                           archived=bool(row.get("archived")), updated=parse_msk(row.get("updated")),
                           barcodes=barcodes, prices=prices, weight_g=max(0, weight),
                           parent_id=parent.rstrip("/").rsplit("/", 1)[-1] if parent else None,
                           variant_label=chars[:64], variants_count=int(row.get("variantsCount") or 0),
                           folder=str(row.get("pathName") or ""))
        except (KeyError, ValueError) as exc:
            raise ProviderProtocolError(self.provider, f"assortment row without {exc}") from exc

    def item(self, item_type: str, item_id: str) -> ErpItem | None:
        if item_type not in ITEM_TYPES:
            return None
        body = self._json(self.request("GET", f"/entity/{item_type}/{item_id}"), allow_404=True)
        return self._item(body) if isinstance(body, dict) else None

    # ---- stock ----------------------------------------------------------------------------------
    def stock(self, *, store_id: str | None = None, changed_since: datetime | None = None,
              stock_type: str = "freeStock") -> list[ErpStock]:
        """``freeStock`` (default): physical stock less reserves — the shop's pushed orders are
        reserves there, so they are not counted twice."""
        params: dict = {"stockType": stock_type}
        if store_id:
            params["filter"] = f"storeId={store_id}"
        if changed_since is not None:
            floor = datetime.now(timezone.utc) - timedelta(hours=24) + timedelta(minutes=1)
            params["changedSince"] = msk(max(changed_since, floor))  # MoySklad looks back 24 h at most
        body = self.get("/report/stock/all/current", params=params)
        if not isinstance(body, list):
            raise ProviderProtocolError(self.provider, "stock report: a list was expected")
        out = []
        for row in body:
            if isinstance(row, dict) and row.get("assortmentId"):
                value = row.get(stock_type)
                out.append(ErpStock(item_id=row["assortmentId"], qty=float(value) if value is not None else 0.0))
        return out

    # ---- directory (settings screen) ------------------------------------------------------------
    def directory(self) -> ErpDirectory:
        def refs(path: str, **params) -> list[ErpRef]:
            body = self.get(path, params={"limit": 100, **params})
            rows = body.get("rows") if isinstance(body, dict) else body
            return [ErpRef(id=r["id"], name=str(r.get("name") or r["id"]), href=(r.get("meta") or {}).get("href"))
                    for r in rows or [] if isinstance(r, dict) and r.get("id")]

        return ErpDirectory(stores=refs("/entity/store"), organizations=refs("/entity/organization"),
                            price_types=refs("/context/companysettings/pricetype"),
                            counterparties=refs("/entity/counterparty"))

    # ---- customer orders ------------------------------------------------------------------------
    def _meta(self, kind: str, obj_id: str) -> dict:
        return {"meta": {"href": f"{self.base_url}/entity/{kind}/{obj_id}", "type": kind,
                         "mediaType": "application/json"}}

    def _order(self, row: dict) -> ErpOrder:
        state = (row.get("state") or {}).get("name")
        if state is None and (row.get("state") or {}).get("meta"):
            href = row["state"]["meta"].get("href", "")
            state = next((name for name, s in (self._states or {}).items() if s["meta"].get("href") == href), None)
        return ErpOrder(id=row["id"], external_code=str(row.get("externalCode") or ""), name=str(row.get("name") or ""),
                        state=state)

    def find_order(self, external_code: str) -> ErpOrder | None:
        body = self.get("/entity/customerorder", params={"filter": f"externalCode={external_code}", "limit": 1})
        rows = (body or {}).get("rows") or []
        return self._order(rows[0]) if rows else None

    def create_order(self, order: ErpOrderIn) -> ErpOrder:
        payload: dict = {
            "externalCode": order.external_code,
            "organization": self._meta("organization", order.organization_id),
            "agent": self._meta("counterparty", order.agent_id),
            # reserved: the units stay out of MoySklad's free stock until shipped there
            "positions": [{"quantity": line.qty, "reserve": line.qty, "price": line.price_minor,
                           "discount": line.discount_pct, "assortment": self._meta(line.item_type, line.item_id)}
                          for line in order.lines],
            "description": order.description[:4096],
        }
        if order.name:
            payload["name"] = order.name[:255]
        if order.store_id:
            payload["store"] = self._meta("store", order.store_id)
        if order.shipment_address:
            payload["shipmentAddress"] = order.shipment_address[:255]
        if order.state:
            state = self._state(order.state)
            if state is not None:
                payload["state"] = {"meta": state["meta"]}
        # not retried on a timeout: the next push looks the order up by externalCode first
        response = self.request("POST", "/entity/customerorder", json_body=payload, idempotent=False)
        return self._order(self._json(response))

    def _state(self, name: str) -> dict | None:
        if self._states is None:
            body = self.get("/entity/customerorder/metadata")
            self._states = {s.get("name"): s for s in (body or {}).get("states") or [] if isinstance(s, dict)}
        return self._states.get(name)

    def set_order_state(self, order_id: str, state: str) -> ErpOrder:
        found = self._state(state)
        if found is None:
            raise ProviderRejected(self.provider, f"no customer order status named {state!r}", code="erp.state_unknown")
        response = self.request("PUT", f"/entity/customerorder/{order_id}", json_body={"state": {"meta": found["meta"]}})
        return self._order(self._json(response))

    # ---- webhooks -------------------------------------------------------------------------------
    def parse_webhook(self, body: bytes) -> list[ErpChange]:
        try:
            data = json.loads(body or b"null")
            events = data["events"]
            return [ErpChange(href=e["meta"]["href"], type=e["meta"].get("type", ""), action=e["action"],
                              updated_fields=list(e.get("updatedFields") or []), account_id=e.get("accountId"))
                    for e in events]
        except (ValueError, KeyError, TypeError) as exc:
            raise ProviderProtocolError(self.provider, "webhook: events[].meta.href and action were expected") from exc

    def owns(self, href: str) -> bool:
        """Only objects of our own API base are fetched (a webhook names nothing else)."""
        return href.startswith(self.base_url + "/")
