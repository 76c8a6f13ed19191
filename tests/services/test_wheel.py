"""The reward wheel: prizes set up by staff, the draw decided on the server with the configured
odds, one spin per customer per period (held by the database, also under concurrency), the prize
handed out as a promo code or bonuses."""
from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import select

from smo_app.models.audit import AuditEntry
from smo_app.models.customer import Customer
from smo_app.models.promotions import PromoCode
from smo_app.models.staff import Role
from smo_app.models.wheel import WheelSpin
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, PermissionDenied
from smo_app.services.sales import wheel
from smo_app.services.sales import promotions
from tests.factories import actor_of, make_customer, make_staff
from tests.race import outcomes, run_at_once

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=timezone.utc)  # a Wednesday


@pytest.fixture
def prizes(session):
    manager = actor_of(make_staff(session, Role.manager))
    return manager, [
        wheel.save_prize(session, actor=manager, label="10% off", kind="promo", value=10, weight=50),
        wheel.save_prize(session, actor=manager, label="300 bonuses", kind="bonus", value=30000, weight=30),
        wheel.save_prize(session, actor=manager, label="Next time", kind="nothing", value=0, weight=20),
    ]


def test_the_draw_follows_the_odds_within_tolerance():
    # given prizes weighted 50 / 30 / 20 and a seeded random
    items = [wheel.PrizeOut(id=i, label=str(i), kind="nothing", value=0, weight=w, active=True)
             for i, w in ((1, 50), (2, 30), (3, 20))]
    rng = random.Random(20261122)
    # when the wheel turns 20,000 times
    wins = Counter(wheel.draw(items, rng).id for _ in range(20_000))
    # then each prize wins its share within one and a half percentage points
    for prize_id, share in ((1, 0.5), (2, 0.3), (3, 0.2)):
        assert abs(wins[prize_id] / 20_000 - share) < 0.015, wins


@pytest.mark.slow  # 300 spins
def test_spins_hand_out_prizes_with_the_configured_odds(session, prizes):
    # given one customer spinning once a day for 300 days with a seeded random
    manager, (promo, bonus, nothing) = prizes
    customer = make_customer(session)
    actor = Actor.customer(customer.id)
    rng = random.Random(7)
    kinds = Counter(wheel.spin(session, actor=actor, rng=rng, now=NOW + timedelta(days=d), period="day").kind
                    for d in range(300))
    # then the prizes came out in about the configured shares, each one really handed out
    assert abs(kinds["promo"] / 300 - 0.5) < 0.08 and abs(kinds["bonus"] / 300 - 0.3) < 0.08, kinds
    session.expire_all()
    assert session.get(Customer, customer.id).bonus_balance_minor == kinds["bonus"] * 30000
    codes = session.exec(select(PromoCode).where(PromoCode.code.like("WHEEL-%"))).all()
    assert len(codes) == kinds["promo"] and all(c.pct == 10 and c.usage_limit == 1 for c in codes)
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "wheel.spin")).all().__len__() == 300


def test_a_won_promo_code_works_at_checkout_once(session, prizes):
    manager, (promo, bonus, nothing) = prizes
    wheel.save_prize(session, actor=manager, prize_id=bonus.id, label=bonus.label, kind="bonus", value=30000, weight=0)
    wheel.save_prize(session, actor=manager, prize_id=nothing.id, label=nothing.label, kind="nothing", value=0,
                     weight=0)
    customer = make_customer(session)
    won = wheel.spin(session, actor=Actor.customer(customer.id), rng=random.Random(1), now=NOW)
    assert won.kind == "promo" and won.promo_code.startswith("WHEEL-")
    found = promotions.find_promo(session, code=won.promo_code, customer_id=customer.id, now=NOW)
    assert found.pct == 10


def test_one_spin_per_period(session, prizes):
    customer = make_customer(session)
    actor = Actor.customer(customer.id)
    wheel.spin(session, actor=actor, rng=random.Random(1), now=NOW)
    assert not wheel.wheel_view(session, actor=actor, now=NOW + timedelta(days=1)).can_spin
    # a second spin in the same shop-time week is refused and hands out nothing
    with pytest.raises(DomainError) as err:
        wheel.spin(session, actor=actor, rng=random.Random(2), now=NOW + timedelta(days=2))
    assert err.value.code == "wheel.already_spun"
    assert len(session.exec(select(WheelSpin)).all()) == 1
    # next week the wheel turns again
    assert wheel.wheel_view(session, actor=actor, now=NOW + timedelta(days=7)).can_spin
    wheel.spin(session, actor=actor, rng=random.Random(3), now=NOW + timedelta(days=7))


def test_staff_set_up_prizes_with_checked_values(session, prizes):
    manager, _ = prizes
    for kwargs, code in (({"kind": "promo", "value": 0}, "wheel.pct_invalid"),
                         ({"kind": "bonus", "value": 0}, "wheel.bonus_invalid"),
                         ({"kind": "jackpot", "value": 1}, "wheel.kind_invalid"),
                         ({"kind": "nothing", "value": 0, "weight": -1}, "wheel.weight_invalid")):
        with pytest.raises(DomainError) as err:
            wheel.save_prize(session, actor=manager, label="x", **{"weight": 1, **kwargs})
        assert err.value.code == code
    assert len(wheel.list_prizes(session, actor=manager)) == 3
    seller = actor_of(make_staff(session, Role.seller))
    with pytest.raises(PermissionDenied):
        wheel.save_prize(session, actor=seller, label="x", kind="nothing", value=0, weight=1)
    with pytest.raises(PermissionDenied):
        wheel.spin(session, actor=manager)


def test_two_spins_at_the_same_moment_give_one_prize(engine, session, prizes):
    # given a customer who taps "spin" on two devices at once
    customer = make_customer(session)
    actor = Actor.customer(customer.id)
    session.rollback()
    # when both requests reach the server together
    results = run_at_once(engine, [lambda s, i=i: wheel.spin(s, actor=actor, rng=random.Random(i), now=NOW)
                                   for i in range(6)])
    # then exactly one spin counts, the others are told they already spun, and one prize exists
    assert outcomes(results) == {"ok": 1, "wheel.already_spun": 5}, results
    session.expire_all()
    assert len(session.exec(select(WheelSpin).where(WheelSpin.customer_id == customer.id)).all()) == 1
    bonus = session.get(Customer, customer.id).bonus_balance_minor
    codes = session.exec(select(PromoCode).where(PromoCode.code.like("WHEEL-%"))).all()
    assert (bonus > 0) + len(codes) <= 1
