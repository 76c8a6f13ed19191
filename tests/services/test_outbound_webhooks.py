"""Outbound webhooks: a subscriber URL gets order.paid, order.status_changed and stock.low as POSTs
signed with HMAC-SHA256 over real HTTP, through the outbox — retried, then dead-lettered."""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import httpx
import pytest
from sqlmodel import Session, select

from integrations.fakeserver import LocalServer
from integrations.webhooks_out import HttpWebhookSender
from smo_app import composition
from smo_app.models.base import utcnow
from smo_app.models.outbox import Outbox, OutboxStatus
from smo_app.models.staff import Role
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import ValidationFailed
from smo_app.services.integrations import outbound_webhooks as webhooks
from smo_app.services.messaging import outbox_delivery, outbox_tasks
from smo_app.services.sales import orders
from smo_app.services.stock import adjustments
from tests.commerce_factories import make_product, place, variant_id
from tests.factories import make_customer, make_staff

SYSTEM = Actor.system("test")


class Subscriber:
    """The subscriber's side: records what it got; ``fail`` answers 500 that many times first."""

    def __init__(self) -> None:
        self.got: list[httpx.Request] = []
        self.fail = 0

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.fail:
            self.fail -= 1
            return httpx.Response(500, text="busy")
        self.got.append(request)
        return httpx.Response(204)


@pytest.fixture
def subscriber():
    sub = Subscriber()
    server = LocalServer(sub.handle).start()
    composition.use(webhooks=HttpWebhookSender(timeout=5))
    yield sub, server.base_url
    composition.reset()
    server.stop()


def _run_all(session, kind=webhooks.TASK_KIND) -> list[str]:
    """The task worker: claim and run every due task of ``kind``; their new statuses."""
    out = []
    for row in session.exec(select(Outbox).where(Outbox.kind == kind, Outbox.status.in_(["pending", "failed"]))).all():
        claimed = outbox_delivery.claim(session, outbox_id=row.id, now=utcnow() + timedelta(days=1))
        if claimed:
            out.append(outbox_tasks.run_claimed(lambda: Session(session.get_bind()), claimed))
    session.expire_all()
    return out


def _verify(request: httpx.Request, secret: str) -> dict:
    stamp = request.headers["X-Smo-Timestamp"]
    expected = "sha256=" + hmac.new(secret.encode(), stamp.encode() + b"." + request.content, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers["X-Smo-Signature"], expected)
    return json.loads(request.content)


def test_a_paid_order_reaches_the_subscriber_signed(session, subscriber):
    sub, url = subscriber
    owner = make_staff(session, Role.owner)
    hook = webhooks.add_webhook(session, actor=owner.actor(), url=f"{url}/hooks/smo", events=["order.paid", "order.status_changed"])
    product = make_product(session, qty=10)
    order = place(session, make_customer(session).id, {variant_id(product): 1})
    orders.mark_paid(session, actor=SYSTEM, order_id=order.id)
    assert _run_all(session) == ["sent", "sent"]
    bodies = {r.headers["X-Smo-Event"]: _verify(r, hook.secret) for r in sub.got}
    assert set(bodies) == {"order.paid", "order.status_changed"}
    assert bodies["order.paid"]["data"] == {"order_id": order.id, "from_status": "new", "to_status": "paid"}
    assert all(r.url.path == "/hooks/smo" for r in sub.got)


def test_low_stock_is_sent_and_a_failing_subscriber_is_retried_then_dead_lettered(session, subscriber):
    sub, url = subscriber
    owner = make_staff(session, Role.owner)
    hook = webhooks.add_webhook(session, actor=owner.actor(), url=url, events=["stock.low"])
    product = make_product(session, qty=10)
    vid = variant_id(product)
    sub.fail = 1
    adjustments.write_off(session, actor=SYSTEM, lines=[{"variant_id": vid, "qty": 10}])
    assert _run_all(session) == ["failed"]  # the subscriber answered 500: retried later
    assert _run_all(session) == ["sent"]
    [got] = sub.got
    body = _verify(got, hook.secret)
    assert got.headers["X-Smo-Event"] == "stock.low" and body["data"]["variant_id"] == vid and body["data"]["qty"] == 0
    # a subscriber that never answers well: dead after the policy's attempts, with the reason kept
    sub.fail = 100
    adjustments.set_quantity(session, actor=SYSTEM, variant_id=vid, qty=10)
    adjustments.write_off(session, actor=SYSTEM, lines=[{"variant_id": vid, "qty": 10}])
    statuses = []
    for _ in range(webhooks.POLICY.max_attempts):
        statuses += _run_all(session)
    assert statuses[-1] == OutboxStatus.dead.value and statuses.count("failed") == webhooks.POLICY.max_attempts - 1
    dead = session.exec(select(Outbox).where(Outbox.kind == webhooks.TASK_KIND, Outbox.status == "dead")).one()
    assert "500" in dead.last_error


def test_a_removed_subscriber_gets_nothing_and_bad_input_is_refused(session, subscriber):
    sub, url = subscriber
    owner = make_staff(session, Role.owner)
    for bad_url, events, code in [("ftp://x", ["stock.low"], "webhooks.url_invalid"),
                                  ("https://a b", ["stock.low"], "webhooks.url_invalid"),
                                  (url, [], "webhooks.events_required"),
                                  (url, ["order.deleted"], "webhooks.events_required")]:
        with pytest.raises(ValidationFailed) as exc:
            webhooks.add_webhook(session, actor=owner.actor(), url=bad_url, events=events)
        assert exc.value.code == code
    hook = webhooks.add_webhook(session, actor=owner.actor(), url=url, events=["order.status_changed"])
    product = make_product(session, qty=10)
    order = place(session, make_customer(session).id, {variant_id(product): 1})
    orders.mark_paid(session, actor=SYSTEM, order_id=order.id)
    webhooks.remove_webhook(session, actor=owner.actor(), webhook_id=hook.webhook.id)
    assert _run_all(session) == ["sent"] and sub.got == []  # done, nothing sent
    assert webhooks.list_webhooks(session, actor=owner.actor()) == []
