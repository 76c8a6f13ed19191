"""Rules that must hold on PostgreSQL under concurrency: 64-bit Telegram ids, the last owner, unique names
as domain errors, an append-only audit log held by the database, inviter binding and sign-in lockout.

Each race runs threads on separate connections released together; on SQLite (which serialises writers)
the same tests check the rule still holds."""
import pytest
import sqlalchemy as sa
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import func, select

from smo_app.models.audit import AuditEntry
from smo_app.models.bot import TrackingLink, TrackingVisitor
from smo_app.models.customer import Customer
from smo_app.models.outbox import Outbox
from smo_app.models.staff import Role, Staff
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError
from smo_app.services.customers import registration, tracking
from smo_app.services.messaging import outbox
from smo_app.services.staff import accounts as staff_service
from smo_app.services.staff import auth
from tests.factories import PASSWORD, make_customer, make_staff
from tests.race import outcomes, run_at_once

BIG_USER_ID = 7123456789  # above 2**31: today's Telegram user ids
SUPERGROUP_CHAT_ID = -1001234567890
SYSTEM = Actor.system("test")


def race(engine, session, calls):
    session.rollback()  # the test's own session must not hold SQLite's write lock while the threads run
    return run_at_once(engine, calls)


# --------------------------------------------------------------------------- 64-bit Telegram ids

def test_a_user_with_a_64_bit_telegram_id_can_start_and_is_found_again(session):
    # given a Telegram user whose id does not fit in 32 bits
    # when they press /start
    started = registration.register_telegram_user(session, telegram_id=BIG_USER_ID, username="big", full_name="Big Id",
                                                  language="ru")
    # then they are a customer, found again by that id
    assert started.is_new and started.customer.telegram_id == BIG_USER_ID
    assert registration.get_by_telegram_id(session, BIG_USER_ID).id == started.customer.id


def test_a_tracking_link_counts_a_visitor_with_a_64_bit_id(session):
    # given a tracking link
    tracking.create_link(session, actor=SYSTEM, title="Flyer", code="flyer")
    # when a user with a 64-bit id opens it
    registration.register_telegram_user(session, telegram_id=BIG_USER_ID, username=None, full_name="Big",
                                        language="en", start_param="link_flyer")
    # then the link shows one unique user
    assert [link.unique_users for link in tracking.list_links(session, actor=SYSTEM)] == [1]
    assert session.exec(select(TrackingVisitor.telegram_id)).all() == [BIG_USER_ID]


def test_staff_links_a_64_bit_telegram_id(session):
    # given an owner
    owner = make_staff(session, Role.owner)
    # when she links her Telegram account with a 64-bit id
    out = staff_service.set_telegram_id(session, actor=owner.actor(), staff_id=owner.id, telegram_id=BIG_USER_ID)
    # then it is stored as given
    assert out.telegram_id == BIG_USER_ID
    session.expire_all()
    assert session.get(Staff, owner.id).telegram_id == BIG_USER_ID


def test_a_message_to_a_supergroup_is_queued(session):
    # when a message is queued for a supergroup chat (-100…)
    row = outbox.enqueue_message(session, kind="staff_alert", chat_id=SUPERGROUP_CHAT_ID, text="hello")
    session.commit()
    # then it is waiting with that chat id
    session.expire_all()
    assert session.get(Outbox, row.id).chat_id == SUPERGROUP_CHAT_ID


# --------------------------------------------------------------------------- the last owner

def _fresh_owner_pair(session):
    session.execute(update(Staff).values(is_active=False).execution_options(synchronize_session=False))
    session.commit()
    return make_staff(session, Role.owner), make_staff(session, Role.owner)


@pytest.mark.slow  # twelve races in a row
@pytest.mark.parametrize("how", ["deactivate", "demote"])
def test_two_owners_removing_each_other_at_once_leave_one_owner(engine, session, how):
    def remove(actor_staff, target):
        if how == "deactivate":
            return lambda s: staff_service.set_active(s, actor=actor_staff.actor(), staff_id=target.id, active=False,
                                                      confirm_password=PASSWORD)
        return lambda s: staff_service.change_role(s, actor=actor_staff.actor(), staff_id=target.id, role="admin",
                                                   confirm_password=PASSWORD)

    for _ in range(12):
        # given exactly two active owners
        ann, bob = _fresh_owner_pair(session)
        # when each removes the other at the same moment
        results = race(engine, session, [remove(ann, bob), remove(bob, ann)])
        # then one of them is refused and one active owner remains
        assert sorted(outcomes(results)) == ["ok", "staff.last_owner"], results
        session.expire_all()
        active_owners = session.exec(select(func.count()).select_from(Staff)
                                     .where(Staff.role == "owner", Staff.is_active)).one()
        assert active_owners == 1


# --------------------------------------------------------------------------- unique names

def test_the_same_username_created_at_once_is_taken_not_a_crash(engine, session):
    owner = make_staff(session, Role.owner)

    def create(s):
        return staff_service.create_staff(s, actor=owner.actor(), username="twin", full_name="Twin", role="admin",
                                          password=PASSWORD)

    # when six owners' screens create the same username at once
    results = race(engine, session, [create] * 6)
    # then one account is made and the others hear the name is taken
    assert outcomes(results) == {"ok": 1, "staff.username_taken": 5}, results
    assert session.exec(select(func.count()).select_from(Staff).where(Staff.username == "twin")).one() == 1


def test_the_same_tracking_code_created_at_once_is_taken_not_a_crash(engine, session):
    def create(s):
        return tracking.create_link(s, actor=SYSTEM, title="Flyer", code="flyer")

    results = race(engine, session, [create] * 6)
    assert outcomes(results) == {"ok": 1, "tracking.code_taken": 5}, results


@pytest.mark.parametrize("known", [False, True], ids=["new_user", "known_user"])
def test_concurrent_starts_of_one_user_through_a_link_make_one_customer_and_one_visitor(engine, session, known):
    # given a tracking link (and, in one case, a customer who already started the bot)
    telegram_id = make_customer(session).telegram_id if known else BIG_USER_ID
    tracking.create_link(session, actor=SYSTEM, title="Flyer", code="flyer")

    def start(s):
        return registration.register_telegram_user(s, telegram_id=telegram_id, username="u", full_name="U",
                                                   language="ru", start_param="link_flyer").customer.id

    # when the user's /start through the link arrives six times at once (double taps, retries)
    results = race(engine, session, [start] * 6)
    # then every call answers with the same customer, and the link counts six clicks from one user
    assert outcomes(results) == {"ok": 6}, results
    assert len({value for _, value in results}) == 1
    assert session.exec(select(func.count()).select_from(Customer)).one() == 1
    assert session.exec(select(TrackingLink)).one().clicks == 6
    assert session.exec(select(func.count()).select_from(TrackingVisitor)).one() == 1


# --------------------------------------------------------------------------- append-only audit log

def _one_entry(session):
    make_staff(session, Role.owner)
    return session.exec(select(AuditEntry.id, AuditEntry.action).order_by(AuditEntry.id)).first()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # session.query() on purpose: the legacy bulk path
@pytest.mark.parametrize("attempt", [
    "bulk_update", "bulk_delete", "query_update", "query_delete", "raw_update", "raw_delete",
])
def test_the_database_refuses_to_change_or_remove_audit_entries(session, attempt):
    # given an audit entry
    entry_id, action = _one_entry(session)
    run = {
        "bulk_update": lambda: session.execute(update(AuditEntry).values(action="tampered")),
        "bulk_delete": lambda: session.execute(delete(AuditEntry)),
        "query_update": lambda: session.query(AuditEntry).update({"action": "tampered"}),
        "query_delete": lambda: session.query(AuditEntry).delete(),
        "raw_update": lambda: session.execute(sa.text("UPDATE audit_entry SET action = 'tampered'")),
        "raw_delete": lambda: session.execute(sa.text("DELETE FROM audit_entry")),
    }[attempt]
    # when someone tries to rewrite or remove it, bypassing the ORM object events
    with pytest.raises(IntegrityError, match="append-only"):
        run()
        session.commit()
    session.rollback()
    # then the entry is unchanged
    assert session.exec(select(AuditEntry.action).where(AuditEntry.id == entry_id)).one() == action


# --------------------------------------------------------------------------- inviter binding

def test_two_customers_inviting_each_other_at_once_make_no_cycle(engine, session):
    for _ in range(10):
        # given two customers without an inviter
        ann, bob = ((c.id, c.telegram_id) for c in (make_customer(session), make_customer(session)))

        def start(me, inviter):
            return lambda s: registration.register_telegram_user(
                s, telegram_id=me[1], username=None, full_name="x", language="ru",
                start_param=f"ref{inviter[0]}").inviter_bound

        # when each opens the other's invitation link at the same moment
        results = race(engine, session, [start(ann, bob), start(bob, ann)])
        # then at most one binding happens: nobody ends up inviting themselves through the other
        assert outcomes(results) == {"ok": 2}, results
        assert [value for _, value in results].count(True) == 1
        session.expire_all()
        assert not (session.get(Customer, ann[0]).inviter_id == bob[0] and session.get(Customer, bob[0]).inviter_id == ann[0])


def test_an_inviter_is_bound_once_even_when_two_links_arrive_at_once(engine, session):
    for _ in range(10):
        # given a customer without an inviter and two possible inviters
        friend, one, two = (make_customer(session) for _ in range(3))
        friend_id, friend_tg, one, two = friend.id, friend.telegram_id, one.id, two.id

        def start(inviter):
            return lambda s: registration.register_telegram_user(
                s, telegram_id=friend_tg, username=None, full_name="x", language="ru",
                start_param=f"ref{inviter}").inviter_bound

        # when both invitation links are opened at the same moment
        results = race(engine, session, [start(one), start(two)])
        # then exactly one reports a binding, and that inviter is the one stored
        bound = [value for _, value in results]
        assert bound.count(True) == 1, results
        session.expire_all()
        assert session.get(Customer, friend_id).inviter_id == (one if bound[0] else two)


# --------------------------------------------------------------------------- sign-in lockout

def test_parallel_wrong_passwords_lock_the_account_after_five(engine, session, monkeypatch):
    # given a staff account (and a fast password check, so the guesses really overlap: with argon2 on
    # two cores the threads finish hashing one after another and the race hides)
    make_staff(session, Role.admin, username="target")
    monkeypatch.setattr(auth, "verify_secret", lambda secret, stored: stored is not None and secret == PASSWORD)

    def guess(s):
        return auth.sign_in_password(s, username="target", password="wrong-guess")

    # when twenty wrong passwords arrive at the same moment
    results = race(engine, session, [guess] * 20)
    # then no more than five are checked before the account locks
    counted = outcomes(results)
    assert counted["auth.invalid_credentials"] <= 4 and counted["auth.invalid_credentials"] + counted["auth.locked"] == 20, results
    # and the right password is refused while locked
    with pytest.raises(DomainError) as err:
        auth.sign_in_password(session, username="target", password=PASSWORD)
    assert err.value.code == "auth.locked"


# --------------------------------------------------------------------------- shop settings

def test_two_owners_changing_a_setting_for_the_first_time_at_once_both_succeed(engine, session):
    from smo_app.services.core import shop_config

    owner = make_staff(session, Role.owner)

    def change(pct):
        return lambda s: shop_config.update_config(s, actor=owner.actor(), changes={"cashback_pct": pct}).cashback_pct

    # when two owners set a never-changed setting at the same moment
    results = race(engine, session, [change(pct) for pct in (3, 4, 6, 7)])
    # then each change is applied in turn (none crashes) and the last one stays
    assert outcomes(results) == {"ok": 4}, results
    assert shop_config.get_config(session).cashback_pct in (3, 4, 6, 7)


# --------------------------------------------------------------------------- categories

def test_a_category_whose_products_were_all_deleted_can_be_deleted(session):
    from smo_app.models.catalog import Category, Product
    from smo_app.services.catalog import products as catalog

    # given a category whose only product was deleted
    cat = catalog.create_category(session, actor=SYSTEM, name="Old")
    product = catalog.create_product(session, actor=SYSTEM, name="Gone", base_price_minor=100, category_id=cat.id)
    catalog.delete_product(session, actor=SYSTEM, product_id=product.id)
    # when the owner deletes the category
    catalog.delete_category(session, actor=SYSTEM, category_id=cat.id)
    # then it is gone and the deleted product (kept for past orders) has no category
    session.expire_all()
    assert session.get(Category, cat.id) is None
    assert session.get(Product, product.id).category_id is None


def test_adding_a_product_while_its_category_is_deleted_never_crashes(engine, session):
    from smo_app.models.catalog import Category, Product
    from smo_app.services.catalog import products as catalog

    for i in range(8):
        # given an empty category
        cat_id = catalog.create_category(session, actor=SYSTEM, name=f"Cat {i}").id
        # when one manager adds a product to it while the owner deletes it
        results = race(engine, session, [
            lambda s: catalog.create_product(s, actor=SYSTEM, name="New", base_price_minor=100, category_id=cat_id).id,
            lambda s: catalog.delete_category(s, actor=SYSTEM, category_id=cat_id),
        ])
        # then one of them wins with a clear answer for the other, and no product points at a missing category
        assert [o for o, _ in results] in (["ok", "catalog.category_not_empty"], ["common.not_found", "ok"]), results
        session.expire_all()
        if results[0][0] == "ok":
            assert session.get(Product, results[0][1]).category_id == cat_id
            assert session.get(Category, cat_id) is not None


# --------------------------------------------------------------------------- sessions

def test_signing_out_twice_at_once_is_recorded_once(engine, session):
    # given a signed-in admin
    make_staff(session, Role.admin, username="leaver")
    token = auth.sign_in_password(session, username="leaver", password=PASSWORD).token
    # when two tabs sign out at the same moment
    results = race(engine, session, [lambda s: auth.sign_out(s, token=token)] * 4)
    # then the session is closed and the audit log shows one sign-out
    assert outcomes(results) == {"ok": 4}, results
    assert auth.resolve_session(session, token=token) is None
    assert session.exec(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "auth.sign_out")).one() == 1



def test_archiving_a_tracking_link_twice_at_once_is_recorded_once(engine, session):
    # given a tracking link
    link_id = tracking.create_link(session, actor=SYSTEM, title="Flyer", code="flyer").id
    # when two managers archive it at the same moment
    results = race(engine, session, [lambda s: tracking.archive_link(s, actor=SYSTEM, link_id=link_id).archived] * 4)
    # then it is archived and the audit log shows it once
    assert outcomes(results) == {"ok": 4} and all(value for _, value in results), results
    assert session.exec(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "tracking.archive")).one() == 1
