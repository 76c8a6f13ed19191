"""POS and storefront shells, the seller's forbidden backoffice, the language switch."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import shot
from tests.e2e.helpers import sign_in_pos

pytestmark = pytest.mark.e2e


def test_seller_signs_in_to_the_pos_by_pin(new_page):
    # given the shop tablet (1024×768 landscape)
    page = new_page(1024, 768)
    page.goto("/pos/login")
    for username in ("owner", "admin", "seller", "seller2"):
        expect(page.locator(f".seller-tile[data-username='{username}']")).to_be_visible()
    expect(page.locator(".seller-tile[data-username='manager']")).to_have_count(0)  # no PIN, no POS
    shot(page, "pos-login")
    # when the seller types a wrong PIN, then the right one
    page.locator(".seller-tile[data-username='seller']").click()
    for d in "9999":
        page.locator(f"#pin-{d}").click()
    page.locator("#pin-enter").click()
    expect(page.locator("#pos-error")).to_have_text("Неверный логин или пароль.")
    for d in "4444":
        page.locator(f"#pin-{d}").click()
    shot(page, "pos-pin")
    page.locator("#pin-enter").click()
    # then the POS shell shows him, with the shift closed
    expect(page).to_have_url(re.compile(r"/pos/?$"))
    expect(page.locator("#pos-seller")).to_have_text("Сергей Иванов")
    expect(page.locator("#shift-state")).to_have_text("Смена закрыта")
    expect(page.locator("#building")).to_contain_text("Продажи")
    shot(page, "pos-shell")
    # and sign-out returns to the tiles
    page.locator("#pos-sign-out").click()
    expect(page).to_have_url(re.compile(r"/pos/login/?$"))
    page.goto("/pos")
    expect(page).to_have_url(re.compile(r"/pos/login/?$"))


def test_seller_opening_a_backoffice_url_gets_forbidden(new_page):
    # given a seller signed in on the POS
    page = new_page(1024, 768)
    sign_in_pos(page, "seller2", "5555")
    expect(page.locator("#pos-seller")).to_have_text("Светлана Орлова")
    # when she opens backoffice pages by URL
    for url in ("/admin/staff", "/admin", "/admin/audit"):
        page.goto(url)
        # then she gets "forbidden" with a way back to the POS, never the page
        expect(page.locator("#forbidden")).to_have_text("Доступ запрещён")
        expect(page.locator("#staff-table")).to_have_count(0)
        expect(page.locator("#sidebar")).to_have_count(0)
    shot(page, "forbidden")
    page.locator("#forbidden-back").click()
    expect(page).to_have_url(re.compile(r"/pos/?$"))


def test_language_switch_changes_the_ui_text(new_page):
    # given the sign-in page in Russian (the default)
    page = new_page()
    page.goto("/admin/login")
    expect(page.get_by_text("Вход в бэк-офис")).to_be_visible()
    # when English is chosen
    page.locator("#lang-en").click()
    # then the text is English, and stays so after a reload
    expect(page.get_by_text("Backoffice sign-in")).to_be_visible()
    expect(page.locator("#login-submit")).to_have_text("Sign in")
    page.reload()
    expect(page.locator("#login-submit")).to_have_text("Sign in")
    # and errors come in English too
    page.locator("#username").fill("admin")
    page.locator("#password").fill("wrong-password")
    page.locator("#login-submit").click()
    expect(page.locator("#login-error")).to_have_text("Wrong username or password.")
    # and the backoffice follows
    page.locator("#username").fill("owner")
    page.locator("#password").fill("owner-demo-1")
    page.locator("#login-submit").click()
    expect(page.locator("#nav-staff")).to_have_text("Staff")
    expect(page.locator("#staff-role")).to_have_text("Owner")
    page.locator("#lang-ru").click()
    expect(page.locator("#nav-staff")).to_have_text("Сотрудники")


def test_storefront_shell_in_a_plain_browser(new_page):
    page = new_page(390, 844)
    page.goto("/")
    expect(page.locator("#shop-name")).to_have_text("Аромалавка")  # the shop's name from its settings
    expect(page.locator("#catalog-soon")).to_contain_text("Каталог скоро появится")
    for tab in ("catalog", "cart", "orders", "profile"):
        expect(page.locator(f"#tab-{tab}")).to_be_visible()
    shot(page, "storefront")
    page.locator("#tab-cart").click()
    expect(page.get_by_text("Корзина появится вместе с задачей о витрине.")).to_be_visible()
    page.locator("#lang-en").click()
    expect(page.locator("#tab-cart")).to_contain_text("Cart")


def test_storefront_uses_the_telegram_theme_inside_telegram(new_page):
    page = new_page(390, 844)
    page.add_init_script(
        "window.Telegram = {WebApp: {initData: '', themeParams: {bg_color: '#112233', text_color: '#fafafa',"
        " button_color: '#ff8800', hint_color: '#999999'}, initDataUnsafe: {user: {id: 1, language_code: 'en'}},"
        " ready() {}, expand() {}}};"
    )
    page.goto("/")
    expect(page.locator("#shop-name")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("data-telegram", "1")
    expect(page.locator("#bottom-nav")).to_have_css("background-color", "rgb(17, 34, 51)")
    # and a Telegram user with English gets English until they choose otherwise
    expect(page.locator("#tab-cart")).to_contain_text("Cart")
    page.locator("#lang-ru").click()
    expect(page.locator("#tab-cart")).to_contain_text("Корзина")
    page.reload()
    expect(page.locator("#tab-cart")).to_contain_text("Корзина")
