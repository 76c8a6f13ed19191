"""Every migration runs up, down, up; and the models agree with the migrations (no drift)."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

import smo_app.models  # noqa: F401
from smo_app import migrations
from smo_app.db import make_engine
from tests import db_support


def _revisions():
    script = ScriptDirectory.from_config(migrations.alembic_config("sqlite://"))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'stairway.db'}"
        return
    reason = db_support.pg_unavailable_reason()
    if reason:
        pytest.skip(reason)
    url = db_support.create_pg_database("smo_stairway", throwaway=True)
    yield url
    db_support.drop_pg_database(url)


@pytest.mark.slow
def test_stairway_every_revision_up_down_up(empty_db_url):
    # given an empty database and the chain of revisions
    revisions = _revisions()
    assert revisions, "no migrations found"
    for revision in revisions:
        # when each revision is applied, rolled back, and applied again
        migrations.upgrade(empty_db_url, revision)
        migrations.downgrade(empty_db_url, "-1")
        migrations.upgrade(empty_db_url, revision)
    # then the database ends at head
    engine = make_engine(empty_db_url)
    try:
        assert migrations.is_current(engine)
    finally:
        engine.dispose()


def test_models_match_migrations(empty_db_url):
    # given a database migrated to head
    migrations.upgrade(empty_db_url)
    engine = make_engine(empty_db_url)
    try:
        with engine.connect() as conn:
            # when autogenerate compares it with the models
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, SQLModel.metadata)
    finally:
        engine.dispose()
    # then there is nothing to migrate
    assert diff == []


def test_upgrade_keeps_existing_shop_data(empty_db_url):
    """A shop created on the first revision upgrades to head with its data intact (SQLite table
    rebuilds must not trip over self-referencing foreign keys)."""
    import sqlalchemy as sa

    # given a database at the first revision with staff and a customer who invited another
    first = _revisions()[0]
    migrations.upgrade(empty_db_url, first)
    engine = make_engine(empty_db_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO customer (id, telegram_id, full_name, language, kind, wholesale_approved, is_tester,"
                " personal_discount_pct, unreachable, first_seen_at, last_seen_at) VALUES"
                " (1, 11, 'Anna', 'ru', 'retail', false, false, 0, false, :t, :t),"
                " (2, 12, 'Dima', 'ru', 'retail', false, false, 5, false, :t, :t)"), {"t": "2026-01-01 10:00:00"})
            conn.execute(sa.text("UPDATE customer SET inviter_id = 1 WHERE id = 2"))
    finally:
        engine.dispose()
    # when it is upgraded to head
    migrations.upgrade(empty_db_url)
    # then the customers and the referral link are still there
    engine = make_engine(empty_db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT id, inviter_id, personal_discount_pct FROM customer ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [(1, None, 0), (2, 1, 5)]
        assert migrations.is_current(engine)
    finally:
        engine.dispose()


def test_upgrade_keeps_promo_uses_made_twice_before_once_per_customer_was_held(empty_db_url):
    """Before revision 0005 a once-per-customer code could be used twice by one customer at the
    same moment; the upgrade keeps both uses and flags the first, so the unique index can be built
    and holds from then on."""
    import sqlalchemy as sa

    # given a database at 0003 where a customer used the once-per-customer code WELCOME twice
    migrations.upgrade(empty_db_url, "0003")
    t = {"t": "2026-01-01 10:00:00"}
    engine = make_engine(empty_db_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO customer (id, telegram_id, full_name, language, kind, wholesale_approved, is_tester,"
                " personal_discount_pct, unreachable, first_seen_at, last_seen_at) VALUES"
                " (1, 11, 'Anna', 'ru', 'retail', false, false, 0, false, :t, :t)"), t)
            conn.execute(sa.text(
                "INSERT INTO promo_code (id, code, pct, used_count, once_per_customer, active, created_at)"
                " VALUES (1, 'WELCOME', 10, 2, true, true, :t)"), t)
            for order_id in (1, 2, 3):
                conn.execute(sa.text(
                    'INSERT INTO "order" (id, customer_id, channel, status, goods_minor, discount_product_minor,'
                    " discount_personal_minor, discount_promo_minor, certificate_minor, bonus_minor, delivery_minor,"
                    " total_minor, cost_minor, delivery_type, delivery_payer, address, contact_name, phone, comment,"
                    " buyer_name, created_at, updated_at) VALUES (:id, 1, 'storefront', 'new', 100, 0, 0, 10, 0, 0,"
                    " 0, 90, 0, 'pickup', 'buyer', '', '', '', '', '', :t, :t)"), {"id": order_id, **t})
            for order_id in (1, 2):
                conn.execute(sa.text(
                    "INSERT INTO promo_use (promo_id, customer_id, order_id, discount_minor, created_at)"
                    " VALUES (1, 1, :o, 10, :t)"), {"o": order_id, **t})
    finally:
        engine.dispose()
    # when it is upgraded to head
    migrations.upgrade(empty_db_url)
    engine = make_engine(empty_db_url)
    try:
        # then both uses are kept, the first one flagged as the customer's once-only use
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT order_id, once_per_customer FROM promo_use ORDER BY id")).all()
        assert [(r[0], bool(r[1])) for r in rows] == [(1, True), (2, False)]
        # and a third once-only use by that customer is refused by the database
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO promo_use (promo_id, customer_id, order_id, discount_minor, once_per_customer,"
                " created_at) VALUES (1, 1, 3, 10, true, :t)"), t)
    finally:
        engine.dispose()
