"""Browser journey: the owner backs the shop up from the backoffice, downloads the archive, and sets
the daily time, the kept days and a passphrase — bad input is named and changes nothing."""
from __future__ import annotations

import zipfile

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import shot
from tests.e2e.helpers import nav, sign_in_owner

pytestmark = pytest.mark.e2e


def test_the_owner_backs_up_downloads_and_sets_the_daily_backup(new_page, tmp_path):
    # given the owner in the backoffice
    page = new_page()
    sign_in_owner(page)
    nav(page).get_by_role("link", name="Резервные копии").click()
    expect(page.get_by_role("heading", name="Резервные копии").first).to_be_visible()
    # the demo shop backs up daily at 03:30
    expect(page.locator("#backup-daily_at")).to_have_value("03:30")
    before = page.locator("tr.backup-run").count()
    # when they press "back up now" (twice, quickly: one backup)
    page.locator("#backup-now").dblclick()
    # then a finished backup is on top of the history, with its size and contents
    first = page.locator("tr.backup-run").first
    expect(first).to_contain_text("готово", timeout=30_000)
    expect(first).to_contain_text("записей")
    expect(page.locator("#backup-now")).to_be_enabled()
    page.wait_for_timeout(1500)  # a second backup, had the double tap made one, would be listed by now
    assert page.locator("tr.backup-run").count() == before + 1
    # and it downloads as the archive
    with page.expect_download() as download:
        first.get_by_role("link", name="Скачать").click()
    saved = tmp_path / "backup.zip"
    download.value.save_as(saved)
    assert "manifest.json" in zipfile.ZipFile(saved).namelist()
    shot(page, "backoffice-backups")
    # when they type a time that is not one, days that are not a number and a too short passphrase:
    # each is named, nothing saved
    page.locator("#backup-daily_at").fill("25:00")
    page.locator("#backup-save").click()
    expect(page.locator("#backup-form-error")).to_contain_text("ЧЧ:ММ")
    page.locator("#backup-daily_at").fill("04:15")
    page.locator("#backup-keep_days").fill("abc")
    page.locator("#backup-save").click()
    expect(page.locator("#backup-form-error")).to_contain_text("целое число дней")
    page.locator("#backup-keep_days").fill("30")
    page.locator("#backup-passphrase").fill("short")
    page.locator("#backup-save").click()
    expect(page.locator("#backup-form-error")).to_contain_text("не короче 8")
    page.reload()
    expect(page.locator("#backup-keep_days")).to_have_value("14")
    expect(page.locator("#backup-daily_at")).to_have_value("03:30")
    expect(page.locator("#backup-passphrase-state")).to_contain_text("не задан")
    # when they save good settings with a passphrase
    page.locator("#backup-keep_days").fill("30")
    page.locator("#backup-passphrase").fill("long enough passphrase")
    page.locator("#backup-save").click()
    expect(page.get_by_text("Настройки сохранены.")).to_be_visible()
    # then they stay after a reload, the passphrase never shown, and the next backup is encrypted
    page.reload()
    expect(page.locator("#backup-keep_days")).to_have_value("30")
    expect(page.locator("#backup-passphrase-state")).to_contain_text("задан")
    expect(page.locator("#backup-passphrase")).to_have_value("")
    page.locator("#backup-now").click()
    expect(page.locator("tr.backup-run").first).to_contain_text("зашифрована", timeout=30_000)


def test_the_owner_sends_backups_to_a_bucket_and_sees_each_upload(new_page):
    from integrations.fakeserver import LocalServer
    from integrations.s3.fake import FakeS3

    fake = FakeS3(bucket="shop-backups", access_key="AKIDBACKUP")
    with LocalServer(fake.handle) as server:
        # given the owner on the backups page, no bucket yet
        page = new_page()
        sign_in_owner(page)
        nav(page).get_by_role("link", name="Резервные копии").click()
        expect(page.locator("#backup-offsite-on")).to_contain_text("Выключено")
        # when they type the bucket's set-up and check the connection (nothing saved yet)
        for name, value in (("endpoint", server.base_url), ("bucket", "shop-backups"), ("region", "ru-central1"),
                            ("access_key", "AKIDBACKUP"), ("secret_key", "s3cr3t-backup-key")):
            page.locator(f"#backup-offsite-{name}").fill(value)
            page.locator(f"#backup-offsite-{name}").blur()
        page.locator("#backup-offsite-check").click()
        expect(page.locator("#backup-offsite-check-result")).to_contain_text("Подключение работает")
        page.locator("#backup-offsite-check").scroll_into_view_if_needed()
        shot(page, "backoffice-backups-offsite-check")
        # and save it
        page.locator("#backup-offsite-save").click()
        expect(page.locator("#backup-offsite-on")).to_contain_text("Включено")
        # then after a reload the secret key is "set" but never shown back
        page.reload()
        expect(page.locator("#backup-offsite-state-secret_key")).to_contain_text("задан")
        expect(page.locator("#backup-offsite-secret_key")).to_have_value("")
        expect(page.locator("#backup-offsite-bucket")).to_have_value("shop-backups")
        # when they back up now, the history says it is in the bucket, and it is there
        page.locator("#backup-now").click()
        expect(page.locator("tr.backup-run").first).to_contain_text("загружена", timeout=30_000)
        assert any(k.startswith("backups/smo-backup-") for k in fake.objects)
        shot(page, "backoffice-backups-offsite")
