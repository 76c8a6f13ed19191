"""The owner issues a staff API token in the backoffice: it is shown once, works against /api/v1,
shows its last use, and stops working when she revokes it."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import shot
from tests.e2e.helpers import make_staff_member, nav, sign_in_backoffice

pytestmark = pytest.mark.e2e


def _get(url: str, secret: str) -> int:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {secret}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            json.loads(r.read())
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_owner_issues_uses_and_revokes_an_api_token(new_page, app_url, app_db_url):
    # given an owner of the journey's own, signed in
    make_staff_member(app_db_url, "tokens_owner", "tokens-owner-1", full_name="Вера Токенова", role="owner")
    page = new_page()
    sign_in_backoffice(page, "tokens_owner", "tokens-owner-1")
    nav(page).get_by_role("link", name="Токены API").click()
    expect(page.get_by_role("heading", name="Токены API").first).to_be_visible()
    # when she asks for a token without a scope, she is told to tick one and nothing is issued
    page.get_by_label("Название").fill("Бухгалтерия 1С")
    page.get_by_role("button", name="Выпустить токен").click()
    expect(page.get_by_role("alert")).to_have_text("Отметьте хотя бы одно право доступа.")
    expect(page.get_by_role("row", name="Бухгалтерия 1С")).to_have_count(0)
    # when she ticks orders:read and issues it
    page.locator("#scope-orders\\:read").click()
    page.get_by_role("button", name="Выпустить токен").click()
    # then the secret is shown once, in a dialog
    secret_box = page.locator("#token-secret")
    expect(secret_box).to_contain_text("smo_")
    secret = secret_box.inner_text().strip()
    shot(page, "backoffice-api-token-issued")
    # and it reads orders from the API
    assert _get(f"{app_url}/api/v1/orders?tab=all", secret) == 200
    page.get_by_role("button", name="Я сохранил").click()
    expect(secret_box).to_have_count(0)
    # after a reload the secret is nowhere, the token is listed as active with its last use
    page.reload()
    row = page.get_by_role("row", name="Бухгалтерия 1С")
    expect(row).to_contain_text("действует")
    expect(row).to_contain_text("Вера Токенова")
    expect(row).not_to_contain_text("ещё не было")
    assert secret not in page.content()
    shot(page, "backoffice-api-tokens")
    # when she revokes it, it is marked revoked and the API refuses it
    row.get_by_role("button", name="Отозвать").click()
    expect(row).to_contain_text("отозван")
    assert _get(f"{app_url}/api/v1/orders", secret) == 401


def test_owner_subscribes_an_address_to_events(new_page, app_db_url):
    make_staff_member(app_db_url, "hooks_owner", "hooks-owner-1", full_name="Нина Хукова", role="owner")
    page = new_page()
    sign_in_backoffice(page, "hooks_owner", "hooks-owner-1")
    nav(page).get_by_role("link", name="Токены API").click()
    # a bad address is refused with a message
    page.get_by_label("Адрес (URL)").fill("ftp://accounting")
    page.locator("#event-order\\.paid").click()
    page.get_by_role("button", name="Добавить адрес").click()
    expect(page.locator("#hook-error")).to_contain_text("http://")
    # a good one is added; its signing key is shown once
    page.get_by_label("Адрес (URL)").fill("https://accounting.example/hooks")
    page.get_by_role("button", name="Добавить адрес").click()
    expect(page.locator("#token-secret")).to_contain_text("whsec_")
    shot(page, "backoffice-webhook-key")
    page.get_by_role("button", name="Я сохранил").click()
    row = page.get_by_role("row", name="https://accounting.example/hooks")
    expect(row).to_contain_text("order.paid")
    shot(page, "backoffice-webhooks")
    row.get_by_role("button", name="Удалить").click()
    expect(page.get_by_role("row", name="https://accounting.example/hooks")).to_have_count(0)
