"""The inviter's first-order reward is paid once per friend, even when the friend's orders are paid
at the same moment (threads on separate connections)."""
import threading

from sqlmodel import Session, select

from smo_app.db import make_engine
from smo_app.models.customer import Customer
from smo_app.models.loyalty import LoyaltyEntry, LoyaltyKind
from smo_app.services.sales import orders
from smo_app.services.core.errors import DomainError
from tests.commerce_factories import SYSTEM, make_product, place, variant_id
from tests.factories import make_customer


def test_four_orders_of_one_friend_paid_at_once_reward_the_inviter_once(engine, session):
    # given an inviter and a friend with four unpaid orders, each above the reward minimum
    vid = variant_id(make_product(session, price_minor=100000, qty=10))
    inviter = make_customer(session)
    friend = make_customer(session, inviter_id=inviter.id)
    order_ids = [place(session, friend.id, {vid: 1}).id for _ in range(4)]
    workers = make_engine(engine.url.render_as_string(hide_password=False), pool_size=4)
    barrier = threading.Barrier(4)
    results: list[str] = []

    def pay(order_id: int) -> None:
        barrier.wait()
        try:
            with Session(workers, expire_on_commit=False) as s:
                orders.mark_paid(s, actor=SYSTEM, order_id=order_id)
            results.append("ok")
        except DomainError as exc:
            results.append(exc.code)
        except Exception as exc:  # noqa: BLE001 - shown in the assertion
            results.append(f"crash:{type(exc).__name__}:{exc}")

    # when the four orders are paid at the same moment
    threads = [threading.Thread(target=pay, args=(oid,)) for oid in order_ids]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    workers.dispose()
    # then every payment went through, and the inviter got exactly one first-order reward
    assert results == ["ok"] * 4
    session.expire_all()
    rewards = session.exec(select(LoyaltyEntry).where(LoyaltyEntry.customer_id == inviter.id,
                                                      LoyaltyEntry.kind == LoyaltyKind.referral_reward.value)).all()
    assert len(rewards) == 1
    assert session.get(Customer, inviter.id).bonus_balance_minor == rewards[0].amount_minor
