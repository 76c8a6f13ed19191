"""Payment webhooks benchmark (PostgreSQL): 8 concurrent senders, every Stripe event delivered
3 times, through the real path past HTTP — signature verified by the Stripe library, stored raw
once in the inbox, applied once through the order state machine (payment row locked and moved,
order new → paid with its event, subscribers, audit, outbox). Throughput in events per second is
compared with a floor measured in the same run: the same writes (the de-duplicating insert, the
conditional updates, the event, audit and outbox rows) as hand-written SQL in one transaction per
delivery, without the reads, same threads, same database.

Bars: ratio (service events/s ÷ floor events/s) ≥ 0.25; double credits = 0; every order paid.

A last round ("forged") sends every genuine event right after a forged twin — the same event id,
signed with another secret — from the same senders: the forged ones are refused at the edge and
take no inbox slot, so again 0 double credits and 0 orders left unpaid.

Each round seeds fresh orders and runs both, taking turns at going first; the ratio printed is
the median of the rounds' ratios.

Run: .venv/bin/python bench/payments_webhooks.py [orders [rounds]]   (default 300 orders → 900
deliveries per round, 3 rounds)
"""
from __future__ import annotations

import itertools
import json
import os
import statistics
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("SMO_DEMO", "1")

import sqlalchemy as sa  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import Session  # noqa: E402

import smo_app.models  # noqa: E402,F401  (every table)
from smo_app import migrations  # noqa: E402
from smo_app.db import make_engine  # noqa: E402
from smo_app.models.base import utcnow  # noqa: E402
from smo_app.models.customer import Customer  # noqa: E402
from smo_app.models.orders import Order  # noqa: E402
from smo_app.models.payments import Payment  # noqa: E402

RATIO_BAR = 0.25
ROUNDS = 3
SENDERS = 8
COPIES = 3
PG_ADMIN_URL = os.environ.get("SMO_TEST_PG_URL", "postgresql+psycopg://root@127.0.0.1:5432/postgres")
SECRET = "whsec_bench"


def create_database() -> str:
    name = f"smo_bench_pay_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


_TELEGRAM_IDS = itertools.count()


def seed(engine, n: int, tag: str) -> list[tuple[int, int, str, int]]:
    """``n`` new orders, each with a pending Stripe payment: (order id, payment id, intent id, total)."""
    now = utcnow()
    out = []
    with Session(engine, expire_on_commit=False) as s:
        customers = [Customer(telegram_id=8_000_000_000 + next(_TELEGRAM_IDS), full_name=f"B {i}") for i in range(n)]
        s.add_all(customers)
        s.flush()
        orders = [Order(customer_id=c.id, status="new", goods_minor=150000 + i, total_minor=150000 + i,
                        created_at=now, updated_at=now) for i, c in enumerate(customers)]
        s.add_all(orders)
        s.flush()
        payments = [Payment(order_id=o.id, provider="stripe", provider_payment_id=f"pi_{tag}_{o.id}",
                            idempotency_key=f"bench-{tag}-{o.id}", amount_minor=o.total_minor, currency="RUB",
                            created_at=now, updated_at=now) for o in orders]
        s.add_all(payments)
        s.commit()
        out = [(o.id, p.id, p.provider_payment_id, o.total_minor) for o, p in zip(orders, payments)]
    return out


def stripe_event(order_id: int, payment_id: int, intent: str, total: int, *,
                 secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    from integrations.stripe.fake import sign

    body = json.dumps({"id": f"evt_{intent}", "object": "event", "type": "payment_intent.succeeded",
                       "created": int(time.time()), "data": {"object": {
                           "id": intent, "object": "payment_intent", "amount": total, "amount_received": total,
                           "currency": "rub", "status": "succeeded",
                           "metadata": {"order_id": str(order_id), "payment_id": str(payment_id)}}}}).encode()
    return body, {"stripe-signature": sign(body, secret), "content-type": "application/json"}


def deliveries(items: list) -> list:
    """Every event COPIES times, the copies spread so different senders carry the same event."""
    return [item for _ in range(COPIES) for item in items]


def run_pool(jobs: list, work) -> float:
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=SENDERS) as pool:
        for _ in pool.map(work, jobs):
            pass
    return time.perf_counter() - start


def service_sender(url: str):
    """The route's own path past HTTP (verify, then store and apply), on the app's engine for ``url``."""
    import httpx

    from integrations.stripe.client import StripeClient
    from integrations.stripe.fake import FakeStripe
    from smo_app.api import webhooks as webhooks_api
    from smo_app.api.payments import register_payment_sources
    from smo_app.calling import call
    from smo_app.services.integrations import webhooks as inbox
    from smo_app.services.payments import providers
    from smo_app.settings import reset_settings_cache

    os.environ["SMO_DATABASE_URL"] = url
    reset_settings_cache()
    # the app's engine for this URL with the floor's pool (8 senders, no connection churn)
    from smo_app import db as app_db

    app_db.dispose_engines()
    app_db._engines[url] = make_engine(url, pool_size=SENDERS + 2, max_overflow=4)  # noqa: SLF001
    providers.use_port("stripe", StripeClient(api_key="sk_test_bench", webhook_secret=SECRET, base_url="http://stripe.fake",
                                              transport=httpx.MockTransport(FakeStripe().handle)))
    register_payment_sources()
    source = webhooks_api.SOURCES["stripe"]

    def work(event):
        body, headers = event
        try:
            event_id = source.verify(body, headers)
        except webhooks_api.WebhookRejected:
            return  # forged: answered 400, nothing stored
        out = call(inbox.accept, provider=source.provider, event_id=event_id, body=body, headers=headers,
                   handler=source.handler, inline=source.inline)  # the route's own path, through the seam
        if not out.ok or out.value.retry:
            raise RuntimeError(f"delivery failed: {out.error or out.value.outcome}")

    return work


def run_forged_round(work, rows) -> float:
    """Each genuine event preceded by a forged twin (same event id, another secret), COPIES times."""
    events = [item for _ in range(COPIES) for row in rows
              for item in (stripe_event(*row, secret="whsec_forger"), stripe_event(*row))]
    return run_pool(events, work)


def run_service(work, rows) -> float:
    events = deliveries([stripe_event(*row) for row in rows])
    run_pool(events[:SENDERS], work)  # warm the pool and caches (these orders are then replays)
    return run_pool(events, work)


# The floor writes what the service writes for a credited event — the raw event, the payment, the
# order and its event row, the stale-message expiry, the customer's message and the two audit
# entries (one multi-row INSERT, as the service does) — as plain SQL in one transaction, with none
# of the reads. (These orders have no gift certificate: the service writes none, so neither does
# the floor.)
FLOOR_SQL = (
    sa.text("INSERT INTO webhook_event (provider, event_id, body, headers, received_at, status, attempts) "
            "VALUES ('stripe', :eid, :body, '{}', now(), 'processed', 1) "
            "ON CONFLICT (provider, event_id) DO NOTHING RETURNING id"),
    sa.text("UPDATE payment SET status = 'succeeded', paid_at = now(), updated_at = now() "
            "WHERE id = :pid AND status = 'pending'"),
    sa.text('UPDATE "order" SET status = \'paid\', paid_at = now(), updated_at = now() WHERE id = :oid AND status = \'new\''),
    sa.text("INSERT INTO order_event (order_id, from_status, to_status, actor_kind, actor_name, created_at) "
            "VALUES (:oid, 'new', 'paid', 'system', 'floor', now())"),
    sa.text("UPDATE outbox SET status = 'expired' WHERE order_id = :oid AND status = 'pending' AND kind = 'order_placed'"),
    sa.text("INSERT INTO outbox (created_at, lane, kind, chat_id, payload, status, attempts, next_attempt_at, order_id) "
            "VALUES (now(), 'telegram', 'order_status', 1, '{}', 'pending', 0, now(), :oid)"),
    sa.text("INSERT INTO audit_entry (created_at, actor_kind, actor_name, action, entity, entity_id) "
            "VALUES (now(), 'system', 'floor', 'payment.credit', 'payment', :pid), "
            "(now(), 'system', 'floor', 'order.transition', 'order', :oid)"),
)


def run_floor(engine, rows) -> float:
    events = deliveries([(oid, pid, f"evt_{intent}", stripe_event(oid, pid, intent, total)[0].decode())
                         for oid, pid, intent, total in rows])
    insert, pay, order, *rest = FLOOR_SQL

    def work(item):
        oid, pid, eid, body = item
        with engine.begin() as conn:
            if conn.execute(insert, {"eid": eid, "body": body}).first() is None:
                return  # a replay
            if conn.execute(pay, {"pid": pid}).rowcount == 1 and conn.execute(order, {"oid": oid}).rowcount == 1:
                for statement in rest:
                    conn.execute(statement, {"oid": oid, "pid": pid})

    run_pool(events[:SENDERS], work)
    return run_pool(events, work)


def double_credits(engine, order_ids: list[int]) -> tuple[int, int]:
    """(orders credited more than once, orders not paid) among ``order_ids``."""
    with engine.connect() as conn:
        twice = conn.execute(sa.text(
            "SELECT count(*) FROM (SELECT order_id FROM order_event WHERE to_status = 'paid' AND order_id = ANY(:ids) "
            "GROUP BY order_id HAVING count(*) > 1) AS t"), {"ids": order_ids}).scalar_one()
        twice += conn.execute(sa.text(
            "SELECT count(*) FROM (SELECT order_id FROM payment WHERE status = 'succeeded' AND order_id = ANY(:ids) "
            "GROUP BY order_id HAVING count(*) > 1) AS t"), {"ids": order_ids}).scalar_one()
        unpaid = conn.execute(sa.text("SELECT count(*) FROM \"order\" WHERE id = ANY(:ids) AND status <> 'paid'"),
                              {"ids": order_ids}).scalar_one()
    return twice, unpaid


def main() -> int:
    from smo_app import composition

    composition.start()
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else ROUNDS
    try:
        url = create_database()
    except Exception as exc:  # noqa: BLE001
        print(f"SKIP: PostgreSQL not reachable ({type(exc).__name__})")
        return 0
    try:
        migrations.upgrade(url)
        engine = make_engine(url, pool_size=SENDERS + 2, max_overflow=4)
        send = service_sender(url)
        total = n * COPIES
        print(f"deliveries per round: {total} ({n} events × {COPIES}), {SENDERS} concurrent senders, PostgreSQL")
        ratios, svc_ids, floor_ids = [], [], []
        for i in range(rounds):
            # fresh orders every round; floor and service take turns going first (the machine's drift
            # falls on both)
            svc_rows, floor_rows = seed(engine, n, f"svc{i}"), seed(engine, n, f"floor{i}")
            svc_ids += [r[0] for r in svc_rows]
            floor_ids += [r[0] for r in floor_rows]
            if i % 2 == 0:
                floor_s = run_floor(engine, floor_rows)
                service_s = run_service(send, svc_rows)
            else:
                service_s = run_service(send, svc_rows)
                floor_s = run_floor(engine, floor_rows)
            svc_rate, floor_rate = total / service_s, total / floor_s
            ratios.append(svc_rate / floor_rate)
            print(f"round {i + 1}: service {svc_rate:7.1f} events/s   floor (raw SQL) {floor_rate:7.1f} events/s   "
                  f"ratio {ratios[-1]:.2f}")
        forged_rows = seed(engine, n, "forged")
        forged_s = run_forged_round(send, forged_rows)
        f2_twice, f2_unpaid = double_credits(engine, [r[0] for r in forged_rows])
        print(f"forged round: {2 * total} deliveries (each genuine after a forged twin) in {forged_s:.1f} s   "
              f"double credits: {f2_twice}   unpaid: {f2_unpaid}")
        twice, unpaid = double_credits(engine, svc_ids)
        twice, unpaid = twice + f2_twice, unpaid + f2_unpaid
        f_twice, f_unpaid = double_credits(engine, floor_ids)
        ratio = statistics.median(ratios)
        print(f"ratio (median of {rounds} rounds): {ratio:.2f} (bar ≥ {RATIO_BAR})   double credits: {twice} "
              f"(floor {f_twice})   unpaid: {unpaid} (floor {f_unpaid})")
        engine.dispose()
        from smo_app.db import dispose_engines

        dispose_engines()
        ok = ratio >= RATIO_BAR and twice == 0 and unpaid == 0
        print("PASS" if ok else "FAIL")
        return 0 if ok else 1
    finally:
        drop_database(url)


if __name__ == "__main__":
    sys.exit(main())
