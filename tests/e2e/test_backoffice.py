"""Backoffice journeys in a real browser against the app in prod mode."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from tests.e2e.conftest import shot
from tests.e2e.helpers import sign_in_backoffice, sign_in_owner

pytestmark = pytest.mark.e2e

AREA_NAV = ["orders", "catalog", "warehouse", "customers", "promotions", "broadcasts", "support", "bookings",
            "analytics", "settings", "audit", "staff"]


def test_owner_signs_in_and_sees_the_backoffice(new_page):
    # given the owner on the sign-in page
    page = new_page()
    # when she signs in with her password
    sign_in_owner(page)
    # then the dashboard greets her with her role, and every area is in the navigation
    expect(page.locator("#greeting")).to_contain_text("Ольга Владимировна")
    expect(page.locator("#staff-role")).to_have_text("Владелец")
    for key in AREA_NAV:
        expect(page.locator(f"#nav-{key}")).to_be_visible()
    shot(page, "backoffice-dashboard")
    # and an area not built yet says so honestly
    page.locator("#nav-orders").click()
    expect(page.locator("#building")).to_contain_text("в разработке")
    expect(page.locator("#building")).to_contain_text("OR1–OR9")
    # and signing out ends the session: the backoffice asks to sign in again
    page.locator("#sign-out").click()
    expect(page).to_have_url(re.compile(r"/admin/login/?$"))
    page.goto("/admin")
    expect(page).to_have_url(re.compile(r"/admin/login/?$"))


def test_wrong_password_shows_the_message_and_is_audited(new_page, app_db_url):
    # given the admin's account
    page = new_page()
    # when someone types a wrong password
    sign_in_backoffice(page, "admin", "not-the-password")
    # then the translated message is shown and nobody is signed in
    expect(page.locator("#login-error")).to_have_text("Неверный логин или пароль.")
    expect(page).to_have_url(re.compile(r"/admin/login/?$"))
    # and the owner finds the failed sign-in in the audit log
    owner = new_page()
    sign_in_owner(owner)
    owner.locator("#nav-audit").click()
    expect(owner.locator("#audit-table")).to_be_visible()
    owner.locator("#audit-actor").fill("admin")
    owner.locator("#audit-apply").click()
    failed = owner.locator(".audit-row", has_text="auth.sign_in_failed")
    expect(failed.first).to_be_visible()
    expect(failed.first).to_contain_text("admin")
    shot(owner, "backoffice-audit")
    # the action filter narrows it to failed sign-ins only
    owner.locator("#audit-actor").fill("")
    owner.locator("#audit-action").click()
    owner.get_by_role("option", name="auth.sign_in_failed").click()
    owner.locator("#audit-apply").click()
    expect(owner.locator(".audit-row").first).to_contain_text("auth.sign_in_failed")
    expect(owner.locator(".audit-row", has_not_text="auth.sign_in_failed")).to_have_count(0)
    # the date filter works in shop time: today keeps it, tomorrow onwards finds nothing
    today = datetime.now(ZoneInfo("Europe/Moscow")).date()
    owner.locator("#audit-from").fill(today.isoformat())
    owner.locator("#audit-apply").click()
    expect(failed.first).to_be_visible()
    owner.locator("#audit-from").fill((today + timedelta(days=1)).isoformat())
    owner.locator("#audit-apply").click()
    expect(owner.locator(".audit-row")).to_have_count(0)
    expect(owner.get_by_text("Записей нет.")).to_be_visible()
    # (and it is really in the database)
    engine = create_engine(app_db_url)
    with engine.connect() as conn:
        n = conn.execute(text("select count(*) from audit_entry where action='auth.sign_in_failed' and actor_name='admin'")).scalar()
    engine.dispose()
    assert n >= 1


def test_five_failures_lock_the_account_with_a_clear_message(new_page):
    page = new_page()
    sign_in_backoffice(page, "manager", "wrong-1")
    expect(page.locator("#login-error")).to_have_text("Неверный логин или пароль.")
    for i in range(2, 6):
        page.locator("#password").fill(f"wrong-{i}")
        page.locator("#login-submit").click()
        if i < 5:
            expect(page.locator("#login-error")).to_have_text("Неверный логин или пароль.")
    expect(page.locator("#login-error")).to_have_text("Слишком много неудачных попыток. Вход заблокирован на 15 мин.")
    # even the right password is refused while locked
    page.locator("#password").fill("manager-demo-1")
    page.locator("#login-submit").click()
    expect(page.locator("#login-error")).to_contain_text("заблокирован")
    expect(page).to_have_url(re.compile(r"/admin/login/?$"))
    # the owner sets a new password, which lifts the lock
    owner = new_page()
    sign_in_owner(owner)
    owner.goto("/admin/staff")
    row = owner.locator("#staff-row-manager")
    expect(row).to_contain_text("заблокирован")
    row.get_by_role("button", name="Новый пароль").click()
    owner.locator("#reset-secret-input").fill("manager-new-2")
    owner.locator("#reset-secret-save").click()
    expect(row).to_contain_text("активен")
    sign_in_backoffice(page, "manager", "manager-new-2")
    expect(page.locator("#greeting")).to_contain_text("Мария Котова")


def test_not_signed_in_goes_to_the_sign_in_page(new_page):
    page = new_page()
    page.goto("/admin/staff")
    expect(page).to_have_url(re.compile(r"/admin/login/?$"))
    expect(page.locator("#login-submit")).to_be_visible()


def test_navigation_follows_the_role_and_a_page_above_it_is_forbidden(new_page):
    # given the shop's admin signed in
    page = new_page()
    sign_in_backoffice(page, "admin", "admin-demo-1")
    expect(page.locator("#greeting")).to_be_visible()
    # then she sees staff and audit but not the owner's settings
    expect(page.locator("#nav-staff")).to_be_visible()
    expect(page.locator("#nav-audit")).to_be_visible()
    expect(page.locator("#nav-settings")).to_have_count(0)
    # and opening the settings by URL shows "forbidden", not the page
    page.goto("/admin/settings")
    expect(page.locator("#forbidden")).to_have_text("Доступ запрещён")
    expect(page.locator("#building")).to_have_count(0)
    # and on the staff page she cannot touch the owner's account
    page.goto("/admin/staff")
    owner_row = page.locator("#staff-row-owner")
    expect(owner_row).to_be_visible()
    expect(owner_row.get_by_role("button")).to_have_count(0)


def test_owner_manages_staff(new_page):
    page = new_page()
    sign_in_owner(page)
    page.locator("#nav-staff").click()
    expect(page.locator("#staff-table")).to_be_visible()
    rows_before = page.locator("#staff-table tbody tr").count()
    shot(page, "backoffice-staff")
    # bad input: a seller with a 3-digit PIN is refused with a translated message, nothing changes
    page.locator("#staff-username").fill("kira")
    page.locator("#staff-full-name").fill("Кира Новикова")
    page.locator("#staff-pin").fill("123")
    page.locator("#staff-add").click()
    expect(page.locator("#staff-form-error")).to_have_text("PIN-код — от 4 до 6 цифр.")
    expect(page.locator("#staff-table tbody tr")).to_have_count(rows_before)
    # a good PIN creates her
    page.locator("#staff-pin").fill("7777")
    page.locator("#staff-add").click()
    row = page.locator("#staff-row-kira")
    expect(row).to_be_visible()
    expect(page.locator("#staff-form-error")).to_have_count(0)
    # reset her PIN
    row.get_by_role("button", name="Новый PIN").click()
    page.locator("#reset-secret-input").fill("88")
    page.locator("#reset-secret-save").click()
    expect(page.locator("#reset-secret-error")).to_have_text("PIN-код — от 4 до 6 цифр.")
    page.locator("#reset-secret-input").fill("8888")
    page.locator("#reset-secret-save").click()
    expect(page.get_by_text("PIN-код для Кира Новикова изменён.")).to_be_visible()
    # deactivate, then reactivate
    row.get_by_role("button", name="Отключить").click()
    expect(row).to_contain_text("отключён")
    row.get_by_role("button", name="Включить").click()
    expect(row).to_contain_text("активен")
    # making a seller an admin is refused (a seller has no password): a translated message, nothing changes
    page.locator("#staff-row-seller2").get_by_role("combobox").click()
    page.get_by_role("option", name="Администратор").click()
    expect(page.get_by_text("Для этой роли нужен пароль.")).to_be_visible()
    expect(page.locator("#staff-row-seller2").get_by_role("combobox")).to_have_text("Продавец")


def test_admin_creates_and_starts_a_broadcast_and_sees_it_waiting_offline(new_page):
    # given the admin in the backoffice (no bot token: messages wait in the outbox)
    # (the demo manager's password is changed by the lockout test, so the admin runs this journey)
    page = new_page()
    sign_in_backoffice(page, "admin", "admin-demo-1")
    page.locator("#nav-broadcasts").click()
    # when they write a broadcast for all customers and creates the draft
    page.locator("#bcast-text").fill("<b>Неделя лаванды</b>: −15% на масла")
    page.locator("#bcast-create").click()
    expect(page.locator("#bcast-notice")).to_contain_text("Черновик рассылки создан")
    row = page.locator("tr", has_text="Неделя лаванды").first
    expect(row).to_contain_text("черновик")
    # and a test message to themself asks them to link Telegram first (bad input changes nothing)
    row.get_by_role("button", name="Себе").click()
    expect(page.locator("#bcast-error")).to_contain_text("привяжите свой Telegram")
    # and they start it
    row.get_by_role("button", name="Запустить").click()
    # then it runs, every demo customer is waiting in the outbox, and progress shows what is left
    expect(row).to_contain_text("идёт")
    expect(row).to_contain_text("Все клиенты")
    expect(row.locator("[id^=bcast-progress]")).to_contain_text("0/10 · 0 · 0 · 10")
    expect(page.locator("tr", has_text="broadcast").first).to_contain_text("ждёт")
    shot(page, "backoffice-broadcasts")
    # and pausing keeps the messages waiting
    row.get_by_role("button", name="Пауза").click()
    expect(row).to_contain_text("на паузе")
