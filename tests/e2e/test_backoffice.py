"""Backoffice journeys in a real browser against the app in prod mode."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from smo_app import routes
from smo_app.i18n import t
from tests.e2e.conftest import shot
from tests.e2e.helpers import nav, sign_in_backoffice, sign_in_owner

pytestmark = pytest.mark.e2e

# the owner may open every area the backoffice lists, in the sidebar's order
AREA_NAV = [t("ui.nav.dashboard", "ru")] + [t(f"ui.nav.{a.key}", "ru") for a in routes.AREAS]


def test_owner_signs_in_and_sees_the_backoffice(new_page):
    # given the owner on the sign-in page
    page = new_page()
    # when she signs in with her password
    sign_in_owner(page)
    # then the dashboard greets her with her role, and every working area is in the navigation
    expect(page.get_by_role("heading", name=re.compile("^Здравствуйте"))).to_contain_text("Ольга Владимировна")
    expect(page.locator("#staff-role")).to_have_text("Владелец")
    expect(nav(page).get_by_role("link")).to_have_text(AREA_NAV)
    shot(page, "backoffice-dashboard")
    # and nothing on the way is a placeholder
    expect(page.get_by_text("в разработке")).to_have_count(0)
    # and signing out ends the session: the backoffice asks to sign in again
    page.get_by_role("button", name="Выйти").click()
    expect(page).to_have_url(re.compile(r"/admin/login/?$"))
    page.goto("/admin")
    expect(page).to_have_url(re.compile(r"/admin/login/?$"))


def test_wrong_password_shows_the_message_and_is_audited(new_page, app_db_url):
    # given the admin's account
    page = new_page()
    # when someone types a wrong password
    sign_in_backoffice(page, "admin", "not-the-password")
    # then the translated message is shown and nobody is signed in
    expect(page.get_by_role("alert")).to_have_text("Неверный логин или пароль.")
    expect(page).to_have_url(re.compile(r"/admin/login/?$"))
    # and the owner finds the failed sign-in in the audit log
    owner = new_page()
    sign_in_owner(owner)
    nav(owner).get_by_role("link", name="Журнал действий").click()
    expect(owner.get_by_role("table")).to_be_visible()
    owner.get_by_label("Кто").fill("admin")
    owner.get_by_role("button", name="Показать").click()
    failed = owner.locator(".audit-row", has_text="Неудачная попытка входа")
    expect(failed.first).to_be_visible()
    expect(failed.first).to_contain_text("admin")
    shot(owner, "backoffice-audit")
    # the action filter narrows it to failed sign-ins only
    owner.get_by_label("Кто").fill("")
    owner.get_by_role("combobox", name="Действие").click()
    owner.get_by_role("option", name="Неудачная попытка входа").click()
    owner.get_by_role("button", name="Показать").click()
    expect(owner.locator(".audit-row").first).to_contain_text("Неудачная попытка входа")
    expect(owner.locator(".audit-row", has_not_text="Неудачная попытка входа")).to_have_count(0)
    # the date filter works in shop time: today keeps it, tomorrow onwards finds nothing
    today = datetime.now(ZoneInfo("Europe/Moscow")).date()
    owner.get_by_label("С даты").fill(today.isoformat())
    owner.get_by_role("button", name="Показать").click()
    expect(failed.first).to_be_visible()
    owner.get_by_label("С даты").fill((today + timedelta(days=1)).isoformat())
    owner.get_by_role("button", name="Показать").click()
    expect(owner.locator(".audit-row")).to_have_count(0)
    expect(owner.get_by_text("Ничего не найдено — сбросьте фильтры или расширьте период.")).to_be_visible()
    # (and it is really in the database)
    engine = create_engine(app_db_url)
    with engine.connect() as conn:
        n = conn.execute(text("select count(*) from audit_entry where action='auth.sign_in_failed' and actor_name='admin'")).scalar()
    engine.dispose()
    assert n >= 1


def test_five_failures_lock_the_account_with_a_clear_message(new_page):
    page = new_page()
    sign_in_backoffice(page, "manager", "wrong-1")
    error = page.get_by_role("alert")
    expect(error).to_have_text("Неверный логин или пароль.")
    for i in range(2, 6):
        page.get_by_label("Пароль").fill(f"wrong-{i}")
        page.get_by_role("button", name="Войти").click()
        if i < 5:
            expect(error).to_have_text("Неверный логин или пароль.")
    expect(error).to_have_text("Слишком много неудачных попыток. Вход заблокирован на 15 мин.")
    # even the right password is refused while locked
    page.get_by_label("Пароль").fill("manager-demo-1")
    page.get_by_role("button", name="Войти").click()
    expect(error).to_contain_text("заблокирован")
    expect(page).to_have_url(re.compile(r"/admin/login/?$"))
    # the owner sets a new password, which lifts the lock
    owner = new_page()
    sign_in_owner(owner)
    owner.goto("/admin/staff")
    row = owner.get_by_role("row", name="Мария Котова")
    expect(row).to_contain_text("заблокирован")
    row.get_by_role("button", name="Новый пароль").click()
    owner.get_by_role("dialog").get_by_label("Пароль").fill("manager-new-2")
    owner.get_by_role("button", name="Сохранить").click()
    expect(row).to_contain_text("активен")
    sign_in_backoffice(page, "manager", "manager-new-2")
    expect(page.get_by_role("heading", name=re.compile("^Здравствуйте"))).to_contain_text("Мария Котова")


def test_not_signed_in_goes_to_the_sign_in_page(new_page):
    page = new_page()
    page.goto("/admin/staff")
    expect(page).to_have_url(re.compile(r"/admin/login/?$"))
    expect(page.get_by_role("button", name="Войти")).to_be_visible()


def test_navigation_follows_the_role_and_a_page_above_it_is_forbidden(new_page):
    # given the shop's admin signed in
    page = new_page()
    sign_in_backoffice(page, "admin", "admin-demo-1")
    expect(page.get_by_role("heading", name=re.compile("^Здравствуйте"))).to_be_visible()
    # then she sees staff and audit
    expect(nav(page).get_by_role("link", name="Сотрудники")).to_be_visible()
    expect(nav(page).get_by_role("link", name="Журнал действий")).to_be_visible()
    # and on the staff page she cannot touch the owner's account
    page.goto("/admin/staff")
    owner_row = page.get_by_role("row", name="Ольга Владимировна")
    expect(owner_row).to_be_visible()
    expect(owner_row.get_by_role("button")).to_have_count(0)


def test_owner_manages_staff(new_page):
    page = new_page()
    sign_in_owner(page)
    nav(page).get_by_role("link", name="Сотрудники").click()
    rows = page.get_by_role("table").get_by_role("row")
    # (the header row shows before the staff list has loaded: count once the owner's row is there)
    expect(page.get_by_role("row", name="Ольга Владимировна")).to_be_visible()
    rows_before = rows.count()
    shot(page, "backoffice-staff")
    # bad input: a seller with a 3-digit PIN is refused with a translated message, nothing changes
    page.get_by_label("Логин").fill("kira")
    page.get_by_label("Имя").fill("Кира Новикова")
    page.get_by_label("PIN-код (для кассы)").fill("123")
    page.get_by_role("button", name="Добавить").click()
    expect(page.get_by_role("alert")).to_have_text("PIN-код — от 4 до 6 цифр.")
    expect(rows).to_have_count(rows_before)
    # a good PIN creates her
    page.get_by_label("PIN-код (для кассы)").fill("7777")
    page.get_by_role("button", name="Добавить").click()
    row = page.get_by_role("row", name="Кира Новикова")
    expect(row).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    # reset her PIN
    row.get_by_role("button", name="Новый PIN").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("PIN-код (для кассы)").fill("88")
    dialog.get_by_role("button", name="Сохранить").click()
    expect(dialog.get_by_role("alert")).to_have_text("PIN-код — от 4 до 6 цифр.")
    dialog.get_by_label("PIN-код (для кассы)").fill("8888")
    dialog.get_by_role("button", name="Сохранить").click()
    expect(page.get_by_text("PIN-код для Кира Новикова изменён.")).to_be_visible()
    # deactivate, then reactivate
    row.get_by_role("button", name="Отключить").click()
    expect(row).to_contain_text("отключён")
    page.mouse.move(0, 0)  # toasts stay while the pointer is over them, and they cover the row's buttons
    expect(page.locator("[data-sonner-toast]")).to_have_count(0, timeout=15000)
    row.get_by_role("button", name="Включить").click()
    expect(row).to_contain_text("активен")
    # promoting the seller to admin asks for her password in the same dialog (a seller has none)
    page.mouse.move(0, 0)
    expect(page.locator("[data-sonner-toast]")).to_have_count(0, timeout=15000)
    row.get_by_role("combobox", name="Роль").click()
    page.get_by_role("option", name="Администратор").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Новая роль для Кира Новикова")
    dialog.get_by_label("Пароль для входа в панель (у сотрудника его ещё нет)").fill("short")
    dialog.get_by_role("button", name="Сохранить").click()
    expect(dialog.get_by_role("alert")).to_have_text("Пароль должен быть не короче 8 символов.")
    dialog.get_by_label("Пароль для входа в панель (у сотрудника его ещё нет)").fill("kira-admin-123")
    dialog.get_by_role("button", name="Сохранить").click()
    expect(dialog).to_have_count(0)
    expect(row.get_by_role("combobox", name="Роль")).to_have_text("Администратор")
    # making her owner asks for confirmation with the owner's own password: a wrong one changes nothing
    row.get_by_role("combobox", name="Роль").click()
    page.get_by_role("option", name="Владелец").click()
    expect(dialog).to_contain_text("Владелец может всё")
    dialog.get_by_label("Ваш пароль").fill("not-my-password")
    dialog.get_by_role("button", name="Сохранить").click()
    expect(dialog.get_by_role("alert")).to_have_text("Пароль не подошёл — введите свой пароль владельца.")
    dialog.get_by_label("Ваш пароль").fill("owner-demo-1")
    dialog.get_by_role("button", name="Сохранить").click()
    expect(dialog).to_have_count(0)
    expect(row).to_contain_text("Владелец")
    shot(page, "backoffice-staff-owner-confirmed")
    # removing an owner asks the same
    page.mouse.move(0, 0)
    expect(page.locator("[data-sonner-toast]")).to_have_count(0, timeout=15000)
    row.get_by_role("button", name="Отключить").click()
    expect(dialog).to_contain_text("Отключить владельца Кира Новикова")
    dialog.get_by_label("Ваш пароль").fill("owner-demo-1")
    dialog.get_by_role("button", name="Отключить").click()
    expect(row).to_contain_text("отключён")
    # and the audit log reads it in words: who, whom, from which role to which
    nav(page).get_by_role("link", name="Журнал действий").click()
    entry = page.locator(".audit-row", has_text="Изменена роль сотрудника").first
    expect(entry).to_contain_text("Сотрудник Кира Новикова")
    expect(entry).to_contain_text("Роль: Администратор → Владелец")
    expect(entry).to_contain_text("Ольга Владимировна")
    shot(page, "backoffice-audit-in-words")


def test_admin_creates_and_starts_a_broadcast_and_sees_it_waiting_offline(new_page, app_db_url):
    # given the admin in the backoffice (no bot token: messages wait in the outbox)
    # (the demo manager's password is changed by the lockout test, so the admin runs this journey)
    page = new_page()
    sign_in_backoffice(page, "admin", "admin-demo-1")
    nav(page).get_by_role("link", name="Рассылки").click()
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
    engine = create_engine(app_db_url)
    with engine.connect() as conn:  # every demo customer who may get a broadcast
        audience = conn.execute(text("SELECT count(*) FROM customer WHERE telegram_id IS NOT NULL "
                                     "AND NOT unreachable")).scalar_one()
    engine.dispose()
    assert audience >= 10
    expect(row.locator("[id^=bcast-progress]")).to_contain_text(f"отправлено 0 из {audience}")
    expect(row.locator("[id^=bcast-progress]")).to_contain_text(f"в очереди: {audience}")
    expect(page.locator("tr", has_text="рассылка").first).to_contain_text("ждёт")
    shot(page, "backoffice-broadcasts")
    # and pausing keeps the messages waiting
    row.get_by_role("button", name="Пауза").click()
    expect(row).to_contain_text("на паузе")
