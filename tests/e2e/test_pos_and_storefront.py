"""POS and storefront shells, the seller's forbidden backoffice, the language switch."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import shot
from tests.e2e.helpers import name_tablet, nav, pin_key, sign_in_pos

pytestmark = pytest.mark.e2e


def test_seller_signs_in_to_the_pos_by_pin(new_page):
    # given the shop tablet (1024×768 landscape)
    page = new_page(1024, 768)
    page.goto("/pos/login")
    for name in ("Ольга Владимировна", "Андрей Смирнов", "Сергей Иванов", "Светлана Орлова"):
        expect(page.get_by_role("button", name=name)).to_be_visible()
    expect(page.get_by_role("button", name="Мария Котова")).to_have_count(0)  # a manager approves on the tablet, does not sell
    shot(page, "pos-login")
    # when the seller types a wrong PIN, then the right one
    page.get_by_role("button", name="Сергей Иванов").click()
    for d in "9999":
        pin_key(page, d).click()
    page.get_by_role("button", name="Войти").click()
    expect(page.get_by_role("alert")).to_have_text("Неверный логин или пароль.")
    for d in "4444":
        pin_key(page, d).click()
    shot(page, "pos-pin")
    page.get_by_role("button", name="Войти").click()
    # then the POS shell shows him, with the shift closed
    expect(page).to_have_url(re.compile(r"/pos/?$"))
    expect(page.locator("#pos-seller")).to_have_text("Сергей Иванов")
    expect(page.locator("#shift-state")).to_have_text("Смена закрыта")
    # a browser new to the POS names its tablet once, then may open the shift
    name_tablet(page, "Планшет витрины")
    expect(page.get_by_role("button", name="Открыть смену")).to_be_visible()
    shot(page, "pos-shell")
    # and sign-out returns to the tiles
    page.get_by_role("button", name="Выйти").click()
    expect(page).to_have_url(re.compile(r"/pos/login/?$"))
    page.goto("/pos")
    expect(page).to_have_url(re.compile(r"/pos/login/?$"))


def test_seller_opening_a_backoffice_url_gets_forbidden(new_page):
    # given a seller signed in on the POS
    page = new_page(1024, 768)
    sign_in_pos(page, "Светлана Орлова", "5555")
    expect(page.locator("#pos-seller")).to_have_text("Светлана Орлова")
    # when she opens backoffice pages by URL
    for url in ("/admin/staff", "/admin", "/admin/audit"):
        page.goto(url)
        # then she gets "forbidden" with a way back to the POS, never the page
        expect(page.get_by_role("heading", name="Доступ запрещён")).to_be_visible()
        expect(page.get_by_role("table")).to_have_count(0)
        expect(nav(page)).to_have_count(0)
    shot(page, "forbidden")
    page.get_by_role("link", name="Вернуться в кассу").click()
    expect(page).to_have_url(re.compile(r"/pos/?$"))


def test_language_switch_changes_the_ui_text(new_page):
    # given the sign-in page in Russian (the default)
    page = new_page()
    page.goto("/admin/login")
    expect(page.get_by_text("Вход в бэк-офис")).to_be_visible()
    # when English is chosen
    page.get_by_role("radio", name="EN").click()
    # then the text is English, and stays so after a reload
    expect(page.get_by_text("Backoffice sign-in")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.reload()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    # and errors come in English too
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    # and the backoffice follows
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill("owner-demo-1")
    page.get_by_role("button", name="Sign in").click()
    expect(nav(page).get_by_role("link", name="Staff")).to_be_visible()
    expect(page.locator("#staff-role")).to_have_text("Owner")
    page.get_by_role("radio", name="RU").click()
    expect(nav(page).get_by_role("link", name="Сотрудники")).to_be_visible()
