"""Parcel weight rule and delivery quotes with the "manager will calculate" fallback."""
from __future__ import annotations

import httpx
import pytest
from sqlmodel import select

from integrations.cdek.client import CdekClient
from integrations.cdek.fake import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, FakeCdek
from integrations.http import RetryPolicy
from smo_app.models.outbox import Outbox
from smo_app.models.staff import Role, Staff
from smo_app.services.core.errors import DomainError
from smo_app.services.delivery.parcel import parcel_for
from smo_app.services.delivery.quotes import pickup_points, quote_delivery
from tests.factories import make_staff


def test_parcel_weight_is_goods_plus_filler_per_five_items_plus_ten_percent_plus_the_box():
    # given 6 items weighing 150 g each (900 g of goods)
    parcel = parcel_for([(150, 4), (150, 2)])
    # then filler is 2 × 40 g (two started groups of five), wrapping 90 g, load 1070 g → box M (200 g)
    assert (parcel.items, parcel.goods_g, parcel.filler_g, parcel.wrapping_g) == (6, 900, 80, 90)
    assert parcel.box.name == "M"
    assert parcel.weight_g == 900 + 80 + 90 + 200


def test_a_light_parcel_goes_in_the_small_box_and_wrapping_rounds_up():
    parcel = parcel_for([(15, 1)])
    assert parcel.wrapping_g == 2 and parcel.filler_g == 40 and parcel.box.name == "S"
    assert parcel.weight_g == 15 + 40 + 2 + 100


def test_an_empty_or_negative_parcel_is_refused():
    with pytest.raises(ValueError):
        parcel_for([])
    with pytest.raises(ValueError):
        parcel_for([(-1, 2)])


def _port(fake: FakeCdek) -> CdekClient:
    return CdekClient(base_url="http://cdek.test", client_id=DEMO_CLIENT_ID, client_secret=DEMO_CLIENT_SECRET,
                      transport=httpx.MockTransport(fake.handle), sleep=lambda s: None,
                      policy=RetryPolicy(attempts=2, backoff=0))


def _staff_with_telegram(session, role=Role.owner, telegram_id=500_000_001):
    staff = make_staff(session, role)
    row = session.get(Staff, staff.id)
    row.telegram_id = telegram_id
    session.add(row)
    session.commit()
    return staff


def test_a_quote_from_the_provider_is_priced_with_the_parcel_weight(session):
    fake = FakeCdek()
    quote = quote_delivery(session, port=_port(fake), lines=[(150, 6)], kind="pickup_point",
                           from_city_code=44, to_city_code=137)
    assert quote.status == "quoted" and quote.tariff_code == 136
    assert quote.price_minor == 36000 and quote.period_min == 2
    assert fake.bodies[-1]["packages"][0]["weight"] == quote.weight_g == 1270


def test_when_the_provider_fails_the_manager_calculates_and_staff_are_alerted_once(session):
    # given an owner with Telegram linked, and CDEK answering 503 to everything
    _staff_with_telegram(session)
    fake = FakeCdek()
    fake.fail_next(100, 503)
    # when two customers ask for a courier quote
    quotes = [quote_delivery(session, port=_port(fake), lines=[(100, 1)], kind="courier", from_city_code=44,
                             to_address="Москва, ул. Тверская, 1") for _ in range(2)]
    # then both get "the manager will calculate delivery", and the owner got one alert, not two
    assert [q.status for q in quotes] == ["manager", "manager"]
    assert quotes[0].reason == "provider_failed" and quotes[0].price_minor is None
    alerts = session.exec(select(Outbox).where(Outbox.kind == "delivery_quote_failed")).all()
    assert len(alerts) == 1 and alerts[0].chat_id == 500_000_001


def test_without_a_provider_the_manager_calculates_and_nobody_is_alerted(session):
    _staff_with_telegram(session)
    quote = quote_delivery(session, port=None, lines=[(100, 1)], kind="courier", from_city_code=44, to_city_code=44)
    assert quote.status == "manager" and quote.reason == "not_configured"
    assert session.exec(select(Outbox)).all() == []
    assert pickup_points(None, city_code=44) == []


def test_an_address_the_provider_does_not_know_is_for_the_manager_without_an_alert(session):
    _staff_with_telegram(session)
    quote = quote_delivery(session, port=_port(FakeCdek()), lines=[(100, 1)], kind="courier", from_city_code=44,
                           to_address="Деревня Простоквашино")
    assert quote.status == "manager" and quote.reason == "rejected"
    assert session.exec(select(Outbox)).all() == []


def test_a_quote_needs_a_destination_and_something_to_ship(session):
    with pytest.raises(DomainError) as err:
        quote_delivery(session, port=None, lines=[(100, 1)], kind="courier", from_city_code=44)
    assert err.value.code == "delivery.destination_required"
    with pytest.raises(DomainError) as err:
        quote_delivery(session, port=None, lines=[], kind="courier", from_city_code=44, to_city_code=44)
    assert err.value.code == "delivery.empty_parcel"


def test_pickup_points_fall_back_to_an_empty_list_when_the_provider_fails():
    fake = FakeCdek()
    assert len(pickup_points(_port(fake), city_code=137)) == 2
    fake.fail_next(10, 500)
    assert pickup_points(_port(fake), city_code=137) == []


def test_a_fresh_quote_is_reused_and_a_failure_is_not_kept(session):
    # given the provider quoted a parcel (the checkout's delivery step)
    fake = FakeCdek()
    port = _port(fake)
    ask = dict(port=port, kind="pickup_point", from_city_code=44, to_city_code=137)
    first = quote_delivery(session, lines=[(150, 6)], **ask)
    asked = len(fake.bodies)
    # when the order is placed with the same parcel moments later
    again = quote_delivery(session, lines=[(150, 6)], **ask)
    # then the price is the one quoted and the provider is not asked a second time
    assert again == first and len(fake.bodies) == asked
    # a different parcel is asked for
    heavier = quote_delivery(session, lines=[(150, 7)], **ask)
    assert len(fake.bodies) == asked + 1 and heavier.weight_g > first.weight_g
    # and a provider that failed is asked again next time, not remembered as failing
    fake.fail_next(2, 503)  # both attempts of the client's retry policy
    failed = quote_delivery(session, lines=[(90, 1)], **ask)
    recovered = quote_delivery(session, lines=[(90, 1)], **ask)
    assert (failed.status, recovered.status) == ("manager", "quoted")
