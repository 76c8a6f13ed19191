"""The MoySklad client against the fake speaking MoySklad's wire format and enforcing its limits:
gzip, paging, the weighted 3-second window, at most 5 in flight, 429 and 5xx answered per the
headers, never hammering."""
from __future__ import annotations

import threading
import time
from datetime import date, datetime, timedelta, timezone

import httpx
import pytest

from integrations.fakeserver import LocalServer
from integrations.moysklad.client import MoyskladClient
from integrations.moysklad.fake import PREFIX, FakeMoysklad
from integrations.moysklad.limiter import WeightedLimiter, max_window_units, request_weight
from integrations.http import ProviderAuthError


def _client(fake: FakeMoysklad, **kw) -> MoyskladClient:
    return MoyskladClient(token=fake.token, base_url=fake.base, token_kind=fake.token_kind,
                          transport=httpx.MockTransport(fake.handle), limiter=WeightedLimiter(), **kw)


def test_weights_follow_moysklads_schedule():
    assert request_weight("/api/remap/1.2/report/stock/all/current") == 5
    assert request_weight("/api/remap/1.2/entity/assortment", token_kind="solution") == 1
    assert request_weight("/api/remap/1.2/entity/assortment", today=date(2026, 6, 1)) == 2
    assert request_weight("/api/remap/1.2/entity/assortment", today=date(2026, 12, 7)) == 4


def test_a_token_bucket_would_overrun_the_window_the_limiter_never_does():
    # given a limiter on a fake clock
    now = [0.0]
    limiter = WeightedLimiter(clock=lambda: now[0], margin=0.0)
    starts = []
    # when 100 one-unit requests are admitted as fast as it allows (each answered at once; the clock
    # jumps to each wait)
    for _ in range(100):
        while True:
            limiter._expire(now[0])  # noqa: SLF001 - the admission rule itself
            wait = limiter._wait_for(1, now[0])  # noqa: SLF001
            if wait == 0.0:
                break
            now[0] += wait if wait else 0.01
        with limiter.slot(1):
            starts.append((now[0], 1))
    # then no 3-second window holds more than 45 units (a bucket of 45 refilled at 15/s would allow 90)
    assert max_window_units(starts) == 45


def test_requests_say_gzip_and_bearer_and_the_fake_refuses_without():
    fake = FakeMoysklad()
    fake.add_product("Масло", price=45_000, stock=3)
    raw = httpx.Client(transport=httpx.MockTransport(fake.handle)).get(
            f"{fake.base}/entity/assortment", headers={"Accept-Encoding": "identity", "Authorization": f"Bearer {fake.token}"})
    assert raw.status_code == 415 and raw.content == b""
    with pytest.raises(ProviderAuthError):
        list(MoyskladClient(token="wrong", base_url=fake.base, transport=httpx.MockTransport(fake.handle),
                            limiter=WeightedLimiter()).assortment())
    items = [i for page in _client(fake).assortment() for i in page]
    assert [(i.name, i.price(None)) for i in items] == [("Масло", 45_000)]


def test_paging_reads_every_row_once_over_real_http():
    # given 2,500 rows in the fake, served on a local port
    fake = FakeMoysklad(token_kind="solution")
    with LocalServer(fake.handle) as server:
        fake.base = server.base_url + PREFIX
        fake.seed_catalog(2500, with_stock=True)
        client = MoyskladClient(token=fake.token, base_url=fake.base, token_kind="solution", limiter=WeightedLimiter())
        # when the assortment and the stock are read
        ids = [i.id for page in client.assortment() for i in page]
        stock = client.stock()
        client.close()
    # then all rows come once, in three pages, and the stock report is one request
    assert len(ids) == len(set(ids)) == 2500
    assert len(fake.requests("/entity/assortment")) == 3
    assert len(fake.requests("/report/stock")) == 1
    assert {s.item_id for s in stock} <= set(ids) and all(s.qty > 0 for s in stock)
    assert fake.refused == 0


def test_a_429_burst_is_waited_out_per_the_headers_and_the_token_stops_meanwhile():
    fake = FakeMoysklad(token_kind="solution")
    fake.add_product("A", price=100)
    client = _client(fake)
    # given MoySklad answers 429 three times, asking to wait 120 ms
    fake.throttle_next(3, retry_ms=120)
    started = time.monotonic()
    # when the assortment is read
    items = [i for page in client.assortment() for i in page]
    # then it came after waiting at least 3 × 120 ms, with the 429s counted
    assert [i.name for i in items] == ["A"]
    assert time.monotonic() - started >= 0.36
    assert client.take_stats().throttled == 3
    arrivals = [e.at for e in fake.log]
    assert all(b - a >= 0.11 for a, b in zip(arrivals, arrivals[1:]))  # never hammering


def test_a_500_page_is_retried_with_backoff():
    fake = FakeMoysklad(token_kind="solution")
    fake.add_product("A", price=100)
    fake.fail_next(2, 500)
    client = _client(fake, backoff=0.05)
    items = [i for page in client.assortment() for i in page]
    stats = client.take_stats()
    assert [i.name for i in items] == ["A"] and stats.server_errors == 2 and stats.requests == 3


def test_many_callers_of_one_token_stay_within_the_window_and_five_in_flight():
    # given a user token (4 units a request: 11 requests per 3 s) and slow answers
    fake = FakeMoysklad(token_kind="user")
    fake.add_product("A", price=100)
    fake.slow_paths["/entity/product/"] = 0.05
    pid = next(iter(fake.products))
    limiter = WeightedLimiter()
    clients = [MoyskladClient(token=fake.token, base_url=fake.base, token_kind="user", today=lambda: date(2026, 12, 7),
                              transport=httpx.MockTransport(fake.handle), limiter=limiter) for _ in range(3)]
    # when 8 threads fetch 16 objects at once through one limiter
    threads = [threading.Thread(target=lambda c=c: [c.item("product", pid) for _ in range(2)])
               for c in clients for _ in range(3)][:8]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    # then the fake never had to refuse, never saw more than 5 at once, nor more than 45 units in 3 s
    assert len(fake.requests("/entity/product/")) == 16
    assert fake.refused == 0 and fake.max_in_flight_seen <= 5 and fake.max_window_units() <= 45


def test_stock_changed_since_gives_current_balances_zeros_included():
    fake = FakeMoysklad()
    a = fake.add_product("A", price=100, stock=5)
    b = fake.add_product("B", price=100, stock=2)
    fake.stock_changed[a] = fake.stock_changed[b] = datetime.now(timezone.utc) - timedelta(hours=2)
    since = datetime.now(timezone.utc) - timedelta(minutes=10)
    fake.set_stock(b, 0)
    client = _client(fake)
    changed = client.stock(changed_since=since)
    assert [(s.item_id, s.qty) for s in changed] == [(b, 0.0)]
    full = {s.item_id: s.qty for s in client.stock()}
    assert full == {a: 5.0}  # the full report leaves zeros out


def test_webhook_parse_and_only_our_base_is_followed():
    fake = FakeMoysklad()
    body = fake.webhook_body([("product", "abc", "UPDATE")], fields=["name"])
    client = _client(fake)
    [change] = client.parse_webhook(body)
    assert change.object_id == "abc" and change.action == "UPDATE" and change.updated_fields == ["name"]
    assert client.owns(change.href) and not client.owns("https://evil.example/entity/product/abc")


def test_requests_start_in_the_order_they_asked_and_a_heavy_one_is_not_overtaken():
    # given a token whose window has room for one more 5-unit request only once the running one is done
    limiter = WeightedLimiter(budget=5, margin=0.0, window=0.05)
    started: list[str] = []
    release = threading.Event()

    def ask(name: str, weight: int, hold: bool = False) -> None:
        with limiter.slot(weight):
            started.append(name)
            if hold:
                release.wait(5)

    first = threading.Thread(target=ask, args=("running", 5, True))
    first.start()
    while not started:
        time.sleep(0.001)
    # when a stock report (5 units) asks for a slot, then three pages (1 unit each), one after another
    waiting = []
    for name, weight in (("report", 5), ("page 1", 1), ("page 2", 1), ("page 3", 1)):
        waiting.append(threading.Thread(target=ask, args=(name, weight)))
        waiting[-1].start()
        time.sleep(0.02)
    release.set()
    for th in [first, *waiting]:
        th.join(5)
    # then they start in the order they asked: the report first, though each page alone fitted sooner
    assert started == ["running", "report", "page 1", "page 2", "page 3"]


def test_pages_already_fetched_come_together_in_order_and_up_to_the_limit():
    # given 6,000 rows (6 pages) on a solution token
    fake = FakeMoysklad(token_kind="solution")
    fake.seed_catalog(6000, with_stock=False)
    client = MoyskladClient(token=fake.token, base_url=fake.base, token_kind="solution",
                            transport=httpx.MockTransport(fake.handle), limiter=WeightedLimiter())
    # when the caller takes its time over the first page, then asks for the rest, up to 3 pages at once
    lists = []
    for items in client.assortment(together=3):
        lists.append([i.id for i in items])
        if len(lists) == 1:
            deadline = time.monotonic() + 10
            while len(fake.requests("/entity/assortment")) < 6 and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(0.5)  # the last pages are read
    # then every row comes once, in MoySklad's order, the pages already in by then in lists of 3
    assert [i for ids in lists for i in ids] == list(fake.products)
    assert [len(ids) for ids in lists] == [1000, 3000, 2000]
    assert len(fake.requests("/entity/assortment")) == 6
