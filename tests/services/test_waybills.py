"""CDEK waybills and tracking against the CDEK fake (OAuth, 202 + poll, print, ORDER_STATUS
webhooks), on SQLite and PostgreSQL: a paid order gets its tracking number, the customer is told,
CDEK's statuses move our order through our state machine, refusals become dead letters."""
from __future__ import annotations

import httpx
import pytest
from sqlmodel import select

from integrations.cdek.client import CdekClient
from integrations.cdek.fake import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, FakeCdek
from smo_app import composition
from smo_app.models.integrations import DeadLetter
from smo_app.models.orders import Order
from smo_app.models.outbox import Outbox
from smo_app.models.shipping import Shipment
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError
from smo_app.services.delivery import waybills
from smo_app.services.sales import carrier_status, orders
from tests.commerce_factories import make_product, place, variant_id
from tests.factories import make_customer, make_staff

SYSTEM = Actor.system("test")


@pytest.fixture
def cdek():
    fake = FakeCdek()
    client = CdekClient(base_url="http://cdek.fake", client_id=DEMO_CLIENT_ID, client_secret=DEMO_CLIENT_SECRET,
                        transport=httpx.MockTransport(fake.handle), sleep=lambda s: None)
    composition.use(delivery=client, waybills=client)
    yield fake
    composition.reset()


def _paid_courier_order(session, **place_kw):
    product = make_product(session, name="Свеча", price_minor=90_000, qty=5,
                           variants=[{"label": "", "price_minor": 90_000, "weight_g": 450}])
    customer = make_customer(session, language="ru")
    order = place(session, customer.id, {variant_id(product): 2}, delivery_type="courier",
                  address="Москва, ул. Тверская, 1", contact_name="Анна", phone="+79990001122", **place_kw)
    orders.mark_paid(session, actor=SYSTEM, order_id=order.id)
    return order


def test_paid_cdek_order_gets_a_waybill_tracking_and_moves_to_delivered(session, cdek):
    # given a paid courier order (the after-commit subscriber was queued by the move)
    order = _paid_courier_order(session)
    assert session.exec(select(Outbox).where(Outbox.kind == "ev:cdek.waybill_on_paid")).all()
    # when the task runs: 202 with a uuid, then a poll until the CDEK number appears
    out = waybills.create_waybill(session, order_id=order.id, sleep=lambda s: None)
    # then the tracking number is stored on the order and the customer gets it with the tracking link
    assert out.status == "created" and out.tracking_number
    session.expire_all()
    assert session.get(Order, order.id).tracking_number == out.tracking_number
    [message] = session.exec(select(Outbox).where(Outbox.kind == "order_tracking")).all()
    assert out.tracking_number in message.payload["text"] and "cdek.ru" in message.payload["text"]
    [body] = [o["body"] for o in cdek.orders.values()]
    assert body["tariff_code"] == 137 and body["to_location"]["address"].startswith("Москва")
    assert body["packages"][0]["weight"] == 900 + 40 + 90 + 200  # goods + filler + 10 % wrap + box M (over 1 kg)
    assert (body["packages"][0]["length"], body["packages"][0]["width"]) == (30, 20)
    assert cdek.webhooks and cdek.webhooks[0]["type"] == "ORDER_STATUS"
    # and running it again sends nothing twice
    again = waybills.create_waybill(session, order_id=order.id, sleep=lambda s: None)
    assert again.tracking_number == out.tracking_number and cdek.count("/v2/orders") == 1
    # when CDEK reports the parcel received, then handed over
    entity = session.exec(select(Shipment)).one().entity_uuid
    token = waybills.webhook_token()
    for code in ("RECEIVED_AT_SHIPMENT_WAREHOUSE", "DELIVERED"):
        assert carrier_status.receive_status(session, actor=None, token=token,
                                             body=cdek.status_notice(entity, code)) == "processed"
    # then our order walked paid → processing → shipped → delivered through allowed moves
    found = orders.get_order(session, actor=SYSTEM, order_id=order.id)
    assert found.status == "delivered"
    assert [e.to_status for e in found.events][-3:] == ["processing", "shipped", "delivered"]
    # and a replayed notice changes nothing
    assert carrier_status.receive_status(session, actor=None, token=token,
                                         body=cdek.status_notice(entity, "DELIVERED")) in ("processed", "already")


def test_an_unexpected_status_is_a_dead_letter_and_a_wrong_token_is_refused(session, cdek):
    order = _paid_courier_order(session)
    waybills.create_waybill(session, order_id=order.id, sleep=lambda s: None)
    entity = session.exec(select(Shipment)).one().entity_uuid
    with pytest.raises(DomainError):
        carrier_status.receive_status(session, actor=None, token="forged", body=cdek.status_notice(entity, "DELIVERED"))
    assert carrier_status.receive_status(session, actor=None, token=waybills.webhook_token(),
                                         body=cdek.status_notice(entity, "NOT_DELIVERED")) == "dead"
    assert orders.get_order(session, actor=SYSTEM, order_id=order.id).status == "paid"
    [letter] = session.exec(select(DeadLetter)).all()
    assert letter.reason == "cdek.status_unexpected"


def test_a_cdek_refusal_keeps_the_order_and_becomes_a_dead_letter_with_an_alert(session, cdek):
    owner = make_staff(session)
    from smo_app.models.staff import Staff

    session.get(Staff, owner.id).telegram_id = 7_100_000_001
    session.commit()
    cdek.reject.append(("v2_recipient_phone_invalid", "Invalid recipient phone"))
    order = _paid_courier_order(session)
    out = waybills.create_waybill(session, order_id=order.id, sleep=lambda s: None)
    assert out.status == "failed" and "v2_recipient_phone_invalid" in out.error
    assert orders.get_order(session, actor=SYSTEM, order_id=order.id).status == "paid"
    [letter] = session.exec(select(DeadLetter)).all()
    assert letter.reason == "cdek.waybill_rejected" and letter.reference == str(order.id)
    assert session.exec(select(Outbox).where(Outbox.kind == "waybill_failed")).all()
    # staff fix it and try again: this time CDEK takes it
    retried = waybills.retry_waybill(session, actor=owner.actor(), order_id=order.id)
    assert retried.status == "creating"
    assert waybills.create_waybill(session, order_id=order.id, sleep=lambda s: None).status == "created"


def test_a_provider_outage_is_retried_then_dead_lettered(session, cdek):
    order = _paid_courier_order(session)
    cdek.fail_next(100, 503)
    for _ in range(waybills.POLICY.max_attempts - 1):
        with pytest.raises(Exception):
            waybills.create_waybill(session, order_id=order.id, sleep=lambda s: None)
    out = waybills.create_waybill(session, order_id=order.id, sleep=lambda s: None)
    assert out.status == "failed"
    assert session.exec(select(DeadLetter).where(DeadLetter.reason == "cdek.waybill_failed")).one()


def test_the_waybill_pdf_is_printed_once_and_kept(session, cdek):
    owner = make_staff(session)
    order = _paid_courier_order(session)
    waybills.create_waybill(session, order_id=order.id, sleep=lambda s: None)
    pdf = waybills.waybill_pdf(session, actor=owner.actor(), order_id=order.id)
    assert pdf.startswith(b"%PDF")
    assert waybills.waybill_pdf(session, actor=owner.actor(), order_id=order.id) == pdf
    assert cdek.count("/v2/print/orders") == 1  # printed when the waybill was made, kept since


def test_orders_not_carried_by_cdek_get_no_waybill(session, cdek):
    product = make_product(session, price_minor=10_000, qty=3)
    customer = make_customer(session)
    order = place(session, customer.id, {variant_id(product): 1}, delivery_type="pickup")
    orders.mark_paid(session, actor=SYSTEM, order_id=order.id)
    assert waybills.create_waybill(session, order_id=order.id) is None
    assert cdek.count("/v2/orders") == 0
