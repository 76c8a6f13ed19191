"""The demo shop's providers (``make run``): YooKassa, Stripe, CDEK and DaData fakes on one local port;
the YooKassa payment page is local (never yoomoney.ru) and its "pay" tells the shop; a real shop never
talks to a fake."""
from __future__ import annotations

import json
from types import SimpleNamespace

import httpx
import pytest

from integrations import cdek, dadata, stripe, yookassa
from integrations.demo_fakes import DemoProviders, NotInDemoMode, serve
from integrations.fakeserver import LocalServer
from integrations.ports.payment import CreatePayment
from smo_app.services.delivery.addresses import suggest_addresses
from smo_app.settings import Settings


def _settings(**kw) -> Settings:
    return Settings(**{"secret_key": "x" * 40, **kw})


def test_the_fakes_refuse_to_start_outside_demo_mode():
    with pytest.raises(NotInDemoMode):
        serve(SimpleNamespace(demo=False, public_url="http://localhost:3000"), port=0)


def test_a_real_shop_never_builds_a_client_on_the_fakes_even_if_their_url_is_set():
    # given a shop outside demo mode whose environment names the demo fakes and asks for them
    real = _settings(demo=False, demo_fakes_url="http://127.0.0.1:8090", yookassa_mode="fake", stripe_mode="fake",
                     cdek_mode="fake", dadata_mode="fake")
    # then no provider is built on a fake
    assert [m.from_settings(real) for m in (yookassa, stripe, cdek, dadata)] == [None, None, None, None]


def test_the_demo_pays_through_a_local_payment_page_and_the_shop_is_told():
    told: list[tuple[str, dict]] = []
    server = LocalServer(lambda r: providers.handle(r)).start()
    providers = DemoProviders(page_url=server.base_url, shop_url="http://shop.test")
    providers.yookassa._post = lambda url, body: told.append((url, json.loads(body)))
    try:
        demo = _settings(demo=True, demo_fakes_url=server.base_url, cdek_mode="fake", dadata_mode="fake")
        client = yookassa.from_settings(demo)
        made = client.create_payment(CreatePayment(
            payment_id=7, order_id=3, amount_minor=150000, currency="RUB", description="Заказ №3",
            return_url="http://shop.test/orders/3", idempotency_key="demo-7"))
        # the confirmation URL is the fake's own page, on the local port
        assert made.confirmation_url.startswith(f"{server.base_url}/checkout/")
        page = httpx.get(made.confirmation_url)
        assert page.status_code == 200 and "Оплатить" in page.text and "1500.00" in page.text
        # when the newcomer presses "pay"
        back = httpx.post(f"{made.confirmation_url}/pay")
        # then they go back to the shop, the payment is paid and the shop's webhook got the notice
        assert back.status_code == 303 and back.headers["location"] == "http://shop.test/orders/3"
        assert client.get_payment(made.id).status == "succeeded"
        assert told == [("http://shop.test/api/payments/yookassa/webhook", told[0][1])]
        assert told[0][1]["event"] == "payment.succeeded" and told[0][1]["object"]["id"] == made.id
        # and the same server answers courier quotes and address suggestions
        assert cdek.from_settings(demo) is not None and dadata.from_settings(demo) is not None
        assert suggest_addresses(dadata.from_settings(demo), query="новосибирск")[0].data.city == "Новосибирск"
    finally:
        server.stop()


def test_the_demo_pays_by_stripe_on_a_local_checkout_page_and_the_shop_gets_a_signed_event():
    told: list[tuple[str, bytes, dict]] = []
    server = LocalServer(lambda r: providers.handle(r)).start()
    providers = DemoProviders(page_url=server.base_url, shop_url="http://shop.test")
    providers.stripe._post = lambda url, body, headers: told.append((url, body, headers))
    try:
        client = stripe.from_settings(_settings(demo=True, demo_fakes_url=server.base_url, stripe_mode="fake"))
        made = client.create_payment(CreatePayment(
            payment_id=8, order_id=4, amount_minor=70000, currency="RUB", description="Заказ №4",
            return_url="http://shop.test/", idempotency_key="demo-8"))
        # the Checkout Session's page is the fake's own, on the local port (never checkout.stripe.com)
        assert made.confirmation_url == f"{server.base_url}/c/pay/{made.id}"
        page = httpx.get(made.confirmation_url)
        assert page.status_code == 200 and "Оплатить" in page.text and "700.00 RUB" in page.text
        # when the newcomer presses "pay" (twice: the second press changes nothing)
        back = httpx.post(f"{made.confirmation_url}/pay")
        again = httpx.post(f"{made.confirmation_url}/pay")
        # then they go back to the shop, the session is paid and the shop's webhook got one event,
        # signed with the demo webhook secret the shop's client checks
        assert back.status_code == again.status_code == 303 and back.headers["location"] == "http://shop.test/"
        assert client.get_payment(made.id).status == "succeeded"
        [(url, body, headers)] = told
        assert url == "http://shop.test/api/payments/stripe/webhook"
        assert client.verify_notification(body, headers).startswith("evt_")
        notice = client.parse_notification(body, headers)
        assert (notice.kind, notice.payment.id, notice.payment.payment_id) == ("payment.succeeded", made.id, 8)
    finally:
        server.stop()


def test_cancelling_on_the_stripe_page_expires_the_session_and_tells_the_shop():
    told: list[bytes] = []
    server = LocalServer(lambda r: providers.handle(r)).start()
    providers = DemoProviders(page_url=server.base_url, shop_url="http://shop.test")
    providers.stripe._post = lambda url, body, headers: told.append(body)
    try:
        client = stripe.from_settings(_settings(demo=True, demo_fakes_url=server.base_url, stripe_mode="fake"))
        made = client.create_payment(CreatePayment(payment_id=9, order_id=5, amount_minor=100, currency="RUB",
                                                   return_url="http://shop.test/", idempotency_key="demo-9"))
        assert httpx.post(f"{made.confirmation_url}/cancel").status_code == 303
        assert client.get_payment(made.id).status == "canceled"
        assert [json.loads(b)["type"] for b in told] == ["checkout.session.expired"]
        assert "Оплатить" not in httpx.get(made.confirmation_url).text  # nothing left to press
    finally:
        server.stop()


def test_the_demo_serves_an_openai_compatible_assistant_beside_stripe():
    from integrations.openai_compat import connect

    # given the demo's providers on one port
    with LocalServer(DemoProviders(page_url="http://x", shop_url="http://shop").handle) as server:
        # when the support assistant asks a question there
        reply = connect(server.base_url + "/v1", "demo", "demo-ai-key", 5.0).complete(
            messages=[{"role": "user", "content": "Есть свечи?"}],
            tools=[{"type": "function", "function": {"name": "find_products", "parameters": {"type": "object"}}}])
    # then the chat fake answered (not Stripe's /v1/)
    assert [c.name for c in reply.tool_calls] == ["find_products"]
