"""The backups page's state: the off-site bucket set up (the secret key never sent back to the
browser), a refusal shown in the form, "check connection" in words, and the history saying whether
each backup went to the bucket — as Reflex runs the handlers, against a migrated SQLite file and the
fake S3."""
from __future__ import annotations

import pytest

from integrations.fakeserver import LocalServer
from integrations.s3.fake import FakeS3
from smo_app.models.staff import Role
from smo_app.services.backup import runs
from smo_app.services.staff import auth
from tests.factories import PASSWORD, make_staff
from tests.ui.support import _call, _state

rx = pytest.importorskip("reflex")


@pytest.fixture(autouse=True)
def folders(tmp_path, monkeypatch):
    monkeypatch.setattr(runs, "backups_dir", lambda: tmp_path / "backups")
    monkeypatch.setattr(runs, "uploads_dir", lambda: tmp_path / "uploads")


def _signed_in(db):
    from smo_app.state.backups import BackupsState

    make_staff(db, Role.owner, username="olga")
    s = _state(BackupsState)
    s.bo_token = auth.sign_in_password(db, username="olga", password=PASSWORD).token
    _call(s, "load")
    return s


async def _drain(gen):
    async for _ in gen:
        pass


def test_the_owner_sets_up_the_bucket_checks_it_and_sees_the_upload_in_the_history(db):
    import asyncio

    s = _signed_in(db)
    assert not s.offsite_on and [f["name"] for f in s.offsite] == ["endpoint", "bucket", "region", "access_key",
                                                                     "secret_key"]
    fake = FakeS3(bucket="shop-backups", access_key="AKIDBACKUP")
    with LocalServer(fake.handle) as server:
        form = {"endpoint": server.base_url, "bucket": "Shop Backups", "region": "", "access_key": "AKIDBACKUP",
                "secret_key": "s3cr3t-key"}
        # a bad bucket name is refused in the form, and nothing is on
        _call(s, "save_offsite", form)
        assert s.offsite_error.startswith("Имя бакета") and not s.offsite_on
        # check connection with what was typed (not saved yet)
        for name, value in {**form, "bucket": "shop-backups"}.items():
            _call(s, "remember_offsite", name, value)
        _call(s, "check_offsite")
        assert s.check_ok and s.check_result == "Подключение работает: s3://shop-backups/backups/, копий там: 0."
        # saved: on, the secret key is "set" and its value never comes back
        _call(s, "save_offsite", {**form, "bucket": "shop-backups"})
        assert s.offsite_error == "" and s.offsite_on
        secret = [f for f in s.offsite if f["name"] == "secret_key"][0]
        assert secret["value"] == "" and secret["state"].startswith("задан") and "s3cr3t" not in str(s.offsite)
        # a backup now: the history says it is in the bucket
        asyncio.run(_drain(type(s).event_handlers["back_up_now"].fn(s, s.attempt)))
        assert s.runs[0]["ok"] and s.runs[0]["offsite"] == "загружена" and not s.runs[0]["upload_failed"]
    # the storage gone: the next backup is still good, and the history says why it is not uploaded
    asyncio.run(_drain(type(s).event_handlers["back_up_now"].fn(s, s.attempt)))
    assert s.runs[0]["ok"] and s.runs[0]["upload_failed"] and s.runs[0]["offsite"].startswith("не загружена:")
