"""The off-site copy of each backup in an S3-compatible bucket (through boto3 against the fake S3,
which speaks S3's REST wire format): the owner's set-up with the secret key kept encrypted and never
shown back, the environment winning, "check connection", the upload recorded on the run, a failed
upload reported without failing the backup, and old remote copies pruned."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from pydantic import SecretStr
from sqlmodel import select

from integrations.fakeserver import LocalServer
from integrations.s3.fake import FakeS3
from smo_app.models.audit import AuditEntry
from smo_app.models.shop import ShopSetting
from smo_app.services.backup import offsite, runs
from smo_app.services.core.errors import DomainError, PermissionDenied, ValidationFailed
from smo_app.settings import get_settings
from tests.factories import make_staff

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def folders(tmp_path, monkeypatch):
    monkeypatch.setattr(runs, "backups_dir", lambda: tmp_path / "backups")
    monkeypatch.setattr(runs, "uploads_dir", lambda: tmp_path / "uploads")
    return tmp_path


@pytest.fixture
def s3():
    fake = FakeS3(bucket="shop-backups", access_key="AKIDBACKUP")
    with LocalServer(fake.handle) as server:
        fake.url = server.base_url
        yield fake


def _set_up(session, owner, s3, **over):
    values = {"endpoint": s3.url, "bucket": "shop-backups", "region": "ru-central1", "access_key": "AKIDBACKUP",
              "secret_key": "s3cr3t-backup-key", **over}
    return offsite.save_offsite(session, actor=owner, values=values)


def test_the_owner_sets_up_a_bucket_and_each_backup_is_uploaded_there(session, s3):
    # given the owner's bucket set up on the backups screen
    owner = make_staff(session, "owner").actor()
    out = _set_up(session, owner, s3)
    # then it is on, the secret key is set but never shown back, and it is stored encrypted
    assert out.configured
    secret = {f.name: f for f in out.fields}["secret_key"]
    assert secret.set and secret.value == "" and not secret.from_env
    assert "s3cr3t-backup-key" not in str(session.get(ShopSetting, offsite.KEY).value)
    # and the change is audited without the keys
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "backup.offsite_changed")).one()
    assert "s3cr3t" not in str(entry.after) and "AKIDBACKUP" not in str(entry.after)
    assert "secret_key" in entry.after["fields_changed"]
    # when a backup is made
    run = runs.run_backup(session, actor=owner, now=NOW)
    # then the archive is in the bucket under backups/<file name>, and the history says where
    [key] = [k for k in s3.objects if k.startswith("backups/smo-backup-")]
    name = key.removeprefix("backups/")
    assert run.status == "ok" and run.uploaded_to == f"s3://shop-backups/backups/{name}" and run.upload_error is None
    assert s3.objects[key][0] == (folders_path := runs.backups_dir() / name).read_bytes() and folders_path.exists()
    assert runs.list_runs(session, actor=owner)[0].uploaded_to == run.uploaded_to


def test_a_failed_upload_is_reported_and_the_backup_stays_good(session, s3):
    # given a bucket set up with an access key the storage does not know
    owner = make_staff(session, "owner").actor()
    _set_up(session, owner, s3, access_key="AKIDWRONG")
    # when a backup is made
    run = runs.run_backup(session, actor=owner, now=NOW)
    # then the backup is done and downloadable, and the history says why it is not in the bucket
    assert run.status == "ok" and run.downloadable and run.uploaded_to is None
    assert "InvalidAccessKeyId" in run.upload_error
    assert not s3.objects


def test_no_bucket_no_upload(session):
    owner = make_staff(session, "owner").actor()
    assert not offsite.get_offsite(session, actor=owner).configured
    run = runs.run_backup(session, actor=owner, now=NOW)
    assert run.status == "ok" and run.uploaded_to is None and run.upload_error is None


def test_check_connection_lists_and_puts_a_tiny_object_with_what_is_typed(session, s3):
    owner = make_staff(session, "owner").actor()
    s3.objects["backups/smo-backup-20261201-033000-1.zip"] = (b"x", {})
    values = {"endpoint": s3.url, "bucket": "shop-backups", "access_key": "AKIDBACKUP", "secret_key": "k-123"}
    # when the owner checks the typed set-up (not saved)
    out = offsite.check_offsite(session, actor=owner, values=values)
    # then they learn it works and how many backups are there; the probe is cleaned up; nothing is saved
    assert out.archives == 1 and out.where == "s3://shop-backups/backups/"
    assert ("PUT", "/shop-backups/backups/.smo-check") in s3.calls and "backups/.smo-check" not in s3.objects
    assert session.get(ShopSetting, offsite.KEY) is None
    # a wrong bucket is the storage's own answer, in words
    with pytest.raises(DomainError) as refused:
        offsite.check_offsite(session, actor=owner, values={**values, "bucket": "no-such"})
    assert refused.value.code == "backup.offsite.check_failed" and "NoSuchBucket" in refused.value.params["error"]
    # and an incomplete set-up is refused before any call
    with pytest.raises(DomainError) as incomplete:
        offsite.check_offsite(session, actor=owner, values={"bucket": "shop-backups"})
    assert incomplete.value.code == "backup.offsite.incomplete"


def test_bad_input_changes_nothing_and_only_the_owner_sets_it(session, s3):
    owner = make_staff(session, "owner").actor()
    with pytest.raises(ValidationFailed) as bad:
        _set_up(session, owner, s3, endpoint="storage.example")
    assert bad.value.code == "backup.offsite.endpoint_invalid"
    with pytest.raises(ValidationFailed) as bad_bucket:
        _set_up(session, owner, s3, bucket="Shop Backups")
    assert bad_bucket.value.code == "backup.offsite.bucket_invalid"
    assert session.get(ShopSetting, offsite.KEY) is None
    cashier = make_staff(session, "seller").actor()
    with pytest.raises(PermissionDenied):
        _set_up(session, cashier, s3)


def test_the_environment_wins_and_is_shown_as_set_there(session, s3):
    owner = make_staff(session, "owner").actor()
    _set_up(session, owner, s3, bucket="typed-bucket")
    env = get_settings().model_copy(update={"backup_s3_bucket": "shop-backups",
                                            "backup_s3_secret_key": SecretStr("from-env-key")})
    out = offsite.get_offsite(session, actor=owner, settings=env)
    fields = {f.name: f for f in out.fields}
    assert fields["bucket"].value == "shop-backups" and fields["bucket"].from_env
    assert fields["secret_key"].from_env and fields["secret_key"].value == ""
    assert not fields["endpoint"].from_env
    assert offsite.configured(session, env)["secret_key"] == "from-env-key"


def test_old_remote_copies_are_pruned_by_the_kept_days_never_the_newest(session, s3):
    # given copies in the bucket from 20 and 3 days ago, and something else of the owner's
    owner = make_staff(session, "owner").actor()
    _set_up(session, owner, s3)
    old = (NOW - timedelta(days=20)).strftime("%Y%m%d-%H%M%S")
    recent = (NOW - timedelta(days=3)).strftime("%Y%m%d-%H%M%S")
    for key in (f"backups/smo-backup-{old}-1.zip", f"backups/smo-backup-{recent}-2.zip", "backups/notes.txt"):
        s3.objects[key] = (b"x", {})
    # when a backup is made with 14 kept days (the default)
    runs.run_backup(session, actor=owner, now=NOW)
    # then the 20-day-old copy is gone, the recent one, the new one and the stranger stay
    keys = sorted(s3.objects)
    assert f"backups/smo-backup-{old}-1.zip" not in keys
    assert f"backups/smo-backup-{recent}-2.zip" in keys and "backups/notes.txt" in keys and len(keys) == 3
    # and the newest is kept whatever its age
    store = offsite.store_for(session)
    assert offsite.prune_remote(store, keep_days=1, now=NOW + timedelta(days=400)) == 1
    assert len([k for k in s3.objects if k.startswith("backups/smo-backup-")]) == 1
