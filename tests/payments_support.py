"""Shared set-up for payment tests: a shop with stock, an order to pay, providers on their fakes."""
from __future__ import annotations

import httpx
import pytest
from sqlmodel import Session, func, select

from integrations.http import RetryPolicy, idempotency_key
from integrations.stripe.client import StripeClient
from integrations.stripe.fake import DEMO_API_KEY, DEMO_WEBHOOK_SECRET, FakeStripe
from integrations.yookassa.client import YooKassaClient
from integrations.yookassa.fake import DEMO_SECRET_KEY, DEMO_SHOP_ID, FakeYooKassa
from smo_app.models.staff import Staff
from smo_app.services.core.actor import Actor
from smo_app.services.payments import providers
from smo_app.settings import get_settings
from tests.commerce_factories import make_product, place, variant_id
from tests.factories import make_customer, make_staff

METHODS = "yookassa,stripe,telegram,stars,manual"
FAST = RetryPolicy(attempts=3, backoff=0.0, max_backoff=0.0)


def settings(**overrides):
    return get_settings().model_copy(update={"payment_methods": METHODS, **overrides})


def yookassa(fake: FakeYooKassa | None = None, *, receipts: bool = False, policy: RetryPolicy = FAST,
             timeout: float = 5.0) -> tuple[FakeYooKassa, YooKassaClient]:
    fake = fake or FakeYooKassa()
    client = YooKassaClient(shop_id=DEMO_SHOP_ID, secret_key=DEMO_SECRET_KEY, base_url="http://yookassa.test",
                            receipts=receipts, policy=policy, timeout=timeout, transport=httpx.MockTransport(fake.handle),
                            sleep=lambda s: None)
    return fake, client


def stripe_pair(fake: FakeStripe | None = None, *, policy: RetryPolicy = FAST) -> tuple[FakeStripe, StripeClient]:
    fake = fake or FakeStripe()
    client = StripeClient(api_key=DEMO_API_KEY, webhook_secret=DEMO_WEBHOOK_SECRET, base_url="http://stripe.test",
                          policy=policy, transport=httpx.MockTransport(fake.handle), sleep=lambda s: None)
    return fake, client


def use_fakes() -> tuple[FakeYooKassa, FakeStripe]:
    yoo, yoo_client = yookassa()
    stripe, stripe_client = stripe_pair()
    providers.use_port("yookassa", yoo_client)
    providers.use_port("stripe", stripe_client)
    return yoo, stripe


def shop(session: Session, *, qty: int = 1000, price_minor: int = 100000):
    """A product in stock and a customer; returns (variant id, customer)."""
    vid = variant_id(make_product(session, qty=qty, price_minor=price_minor))
    return vid, make_customer(session)


def order_for(session: Session, vid: int, customer, qty: int = 1, **kwargs):
    return place(session, customer.id, {vid: qty}, **kwargs)


def refunds_of(client, made, *amounts: int) -> list:
    """Refunds of ``amounts`` (minor units) of the provider payment ``made``, each with its own key."""
    return [client.refund(provider_payment_id=made.id, amount_minor=amount, currency="RUB",
                          idempotency_key=idempotency_key("payment.refund", made.id, n))
            for n, amount in enumerate(amounts, 1)]


def count_rows(session: Session, model, *where) -> int:
    """How many rows of ``model`` match, read in a transaction of its own (ended at once)."""
    n = session.exec(select(func.count()).select_from(model).where(*where)).one()
    session.rollback()
    return n


def alerted_admin(session: Session, telegram_id: int = 5_000_000_001):
    """An admin with a linked Telegram account, so staff alerts have someone to reach."""
    admin = make_staff(session, "admin")
    row = session.get(Staff, admin.id)
    row.telegram_id = telegram_id
    session.add(row)
    session.commit()
    return admin


def deliver(session: Session, provider: str, body: bytes, headers: dict | None = None) -> str:
    """A provider's webhook as the edge takes it (``smo_app.api.webhooks``): verified by the port,
    then Stripe's stored and applied in one go, YooKassa's stored first and applied after. Returns
    the outcome: processed, duplicate, failed, dead or disputed (the provider does not confirm it)."""
    from smo_app.api.payments import INLINE_PROVIDERS
    from smo_app.services.integrations import webhooks
    from smo_app.services.payments.notifications import handle_notification

    from integrations.ports.payment import NotificationDisputed
    from smo_app.services.payments.notifications import record_disputed_notice

    headers = headers or {"Content-Type": "application/json"}
    try:
        event_id = providers.require_port(provider).verify_notification(body, headers)
    except NotificationDisputed as exc:  # the edge records it and stores nothing
        record_disputed_notice(session, provider=provider, reference=exc.reference, message=exc.message,
                               disagreed=exc.disagreed, body=body)
        return "disputed"
    if provider in INLINE_PROVIDERS:
        out = webhooks.receive_and_apply(session, provider=provider, event_id=event_id, body=body, headers=headers,
                                         handler=handle_notification)
        return out.outcome if out.received == "stored" else "duplicate"
    received = webhooks.receive(session, provider=provider, event_id=event_id, body=body, headers=headers)
    if received.event.status not in ("received", "failed"):
        return "duplicate"
    done = webhooks.process(session, webhook_event_id=received.event.id, handler=handle_notification)
    return done.outcome if received.outcome == "stored" else "duplicate"


@pytest.fixture
def fakes():
    """YooKassa and Stripe served by their fakes for one test (import it into a test module)."""
    yoo, stripe = use_fakes()
    yield yoo, stripe
    providers.reset_ports()


def customer_of(order) -> Actor:
    """The order's customer, as the actor the Mini App calls with."""
    return Actor.customer(order.customer_id)
