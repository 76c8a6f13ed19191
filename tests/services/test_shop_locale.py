"""The shop's time zone and language (SE1) are shop settings with the environment as the default:
the owner changes them (validated, audited), and every shop day and default language follows at once
in this process and within a few seconds in another."""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from smo_app.models.audit import AuditEntry
from smo_app.models.orders import Order
from smo_app.models.shop import ShopSetting
from smo_app.models.staff import Role
from smo_app.services.core import shop_config, shop_locale
from smo_app.services.core.errors import PermissionDenied, ValidationFailed
from smo_app.services.customers.registration import register_telegram_user
from smo_app.services.sales import order_admin
from smo_app.services.staff import accounts as staff_service
from tests.commerce_factories import SYSTEM, make_product, place, variant_id
from tests.factories import make_customer, make_staff


def _set(session, actor, **changes):
    return shop_config.update_config(session, actor=actor, changes=changes)


def test_the_owner_sets_time_zone_and_language_and_each_change_is_audited(session):
    # given a shop on the environment's defaults (Moscow, Russian)
    owner = make_staff(session, Role.owner).actor()
    assert shop_locale.shop_locale(session) == shop_locale.ShopLocale("Europe/Moscow", "ru")
    cfg = shop_config.read_config(session, actor=owner)
    assert (cfg.shop_timezone, cfg.language) == ("Europe/Moscow", "ru")
    # when the owner saves the page unchanged, nothing is stored or audited (the environment stays the default)
    _set(session, owner, shop_timezone="Europe/Moscow", language="ru")
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "settings.change")).all() == []
    # when she moves the shop to Vladivostok and English
    _set(session, owner, shop_timezone="Asia/Vladivostok", language="en")
    # then the effective values change at once, and the audit log has each change old → new
    assert shop_locale.shop_tz(session) == ZoneInfo("Asia/Vladivostok") and shop_locale.shop_language(session) == "en"
    entries = session.exec(select(AuditEntry).where(AuditEntry.action == "settings.change")).all()
    assert {(e.entity_id, e.before["value"], e.after["value"]) for e in entries} == {
        ("shop_timezone", "Europe/Moscow", "Asia/Vladivostok"), ("language", "ru", "en")}


@pytest.mark.parametrize("changes, field", [({"shop_timezone": "Mars/Olympus"}, "shop_timezone"),
                                            ({"shop_timezone": ""}, "shop_timezone"),
                                            ({"language": "de"}, "language"),
                                            ({"referral_tiers": [(0, 5), (0, 7)]}, "referral_tiers"),
                                            ({"referral_tiers": [(3, 101)]}, "referral_tiers")])
def test_a_bad_time_zone_language_or_tier_is_refused_and_changes_nothing(session, changes, field):
    owner = make_staff(session, Role.owner).actor()
    with pytest.raises(ValidationFailed) as err:
        _set(session, owner, cashback_pct=9, **changes)
    assert err.value.code == "settings.invalid" and err.value.errors[0]["field"].split(".")[0] == field
    session.rollback()
    cfg = shop_config.get_config(session)
    assert (cfg.cashback_pct, cfg.shop_timezone, cfg.language) == (7, "Europe/Moscow", "ru")


def test_only_the_owner_changes_them(session):
    with pytest.raises(PermissionDenied):
        _set(session, make_staff(session, Role.admin).actor(), shop_timezone="Asia/Tokyo")


def test_referral_tiers_are_editable_and_kept_in_order(session):
    owner = make_staff(session, Role.owner).actor()
    cfg = _set(session, owner, referral_tiers=[(10, 9), (0, 4)])
    assert cfg.referral_tiers == [(0, 4), (10, 9)]
    assert shop_config.get_config(session).referral_tiers == [(0, 4), (10, 9)]


def test_order_dates_follow_the_shop_time_zone(session):
    # given an order placed at 22:30 UTC on 1 January (already 2 January in Moscow)
    vid = variant_id(make_product(session, qty=3))
    order = place(session, make_customer(session).id, {vid: 1})
    row = session.get(Order, order.id)
    row.created_at = datetime(2030, 1, 1, 22, 30, tzinfo=timezone.utc)
    session.add(row)
    session.commit()

    def listed(day: date) -> list[int]:
        return [r.id for r in order_admin.list_orders(session, actor=SYSTEM, tab="all", date_from=day, date_to=day).rows]

    # then in Moscow it is an order of 2 January
    assert listed(date(2030, 1, 2)) == [order.id] and listed(date(2030, 1, 1)) == []
    # when the owner moves the shop to New York, it is an order of 1 January
    _set(session, make_staff(session, Role.owner).actor(), shop_timezone="America/New_York")
    assert listed(date(2030, 1, 1)) == [order.id] and listed(date(2030, 1, 2)) == []


def test_new_staff_and_customers_speaking_another_language_get_the_shop_language(session):
    # given a shop whose language the owner set to English
    _set(session, make_staff(session, Role.owner).actor(), language="en")
    # when a manager is added without a language, and a German-speaking Telegram user starts the bot
    manager = staff_service.create_staff(session, actor=SYSTEM, username="mgr_en", full_name="M", role=Role.manager,
                                         password="manager-pass-1")
    german = register_telegram_user(session, telegram_id=777001, username="hans", full_name="Hans", language="de")
    russian = register_telegram_user(session, telegram_id=777002, username="olga", full_name="Olga", language="ru")
    # then both speak English, while a Russian-speaking customer keeps Russian
    assert manager.language == "en"
    assert (german.customer.language, russian.customer.language) == ("en", "ru")


def test_another_process_s_change_is_seen_after_the_cache_expires(session, monkeypatch):
    # given the time zone read (and cached) in this process
    clock = [1000.0]
    monkeypatch.setattr(shop_locale.time, "monotonic", lambda: clock[0])
    assert shop_locale.shop_tz(session) == ZoneInfo("Europe/Moscow")
    # when another process (the bot sidecar, another web worker) changes it in the database
    session.add(ShopSetting(key="shop_timezone", value="Asia/Tokyo"))
    session.commit()
    # then this process keeps the cached value for a few seconds, then reads the new one
    clock[0] += shop_locale.TTL_SECONDS / 2
    assert shop_locale.shop_tz(session) == ZoneInfo("Europe/Moscow")
    clock[0] += shop_locale.TTL_SECONDS
    assert shop_locale.shop_tz(session) == ZoneInfo("Asia/Tokyo")
    # and an unusable stored value falls back to the environment's instead of breaking every screen
    session.get(ShopSetting, "shop_timezone").value = "Nowhere/Land"
    session.commit()
    shop_locale.invalidate()
    assert shop_locale.shop_tz(session) == ZoneInfo("Europe/Moscow")
