"""GET /api/support/photos/<message id>: a customer's support photo, read back from Telegram (the
fake Bot API's getFile and file download), for staff who answer support (a seller is refused by the service), a
photo Telegram no longer has is not found."""
from __future__ import annotations

import pytest
from sqlmodel import select

from integrations.telegram_files.client import TelegramFilesClient
from smo_app import composition
from smo_app.models.support import SupportMessage
from smo_app.services.core.actor import Actor
from smo_app.services.customers.registration import TelegramProfile
from smo_app.services.staff import auth
from smo_app.services.support import tickets
from tests.factories import PASSWORD, make_customer, make_staff
from tests.fakes.telegram_api import FakeTelegram

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


@pytest.fixture
def telegram():
    fake = FakeTelegram(rate=None, chat_rate=None, group_per_minute=None).start()
    composition.use(telegram_files=TelegramFilesClient(token="123:ABC", base_url=fake.base_url))
    yield fake
    composition.reset()
    fake.stop()


def _token(session, role: str) -> str:
    staff = make_staff(session, role)
    return auth.sign_in_password(session, username=staff.username, password=PASSWORD).token


def test_a_manager_sees_the_customers_photo_and_a_seller_does_not(app_client, session, telegram):
    # given a customer's photo on their ticket, which Telegram keeps
    telegram.files["PH-1"] = JPEG
    customer = make_customer(session)
    tickets.customer_writes(session, actor=Actor.customer(customer.id), sender=TelegramProfile(telegram_id=customer.telegram_id),
                            lang="ru", text="Вот", photo_file_id="PH-1")
    message_id = session.exec(select(SupportMessage.id).where(SupportMessage.photo_file_id == "PH-1")).one()
    manager = _token(session, "manager")
    seller = make_staff(session, "seller").actor()
    session.rollback()
    # when the manager opens it: the image itself, read through getFile
    app_client.cookies.set("smo_bo_session", manager)
    got = app_client.get(f"/api/support/photos/{message_id}")
    assert (got.status_code, got.headers["content-type"], got.content) == (200, "image/jpeg", JPEG)
    assert got.headers["x-content-type-options"] == "nosniff"
    assert [c["method"] for c in telegram.calls] == ["getFile", "file"]
    # a photo Telegram no longer has is not found; a seller may not look; nobody signed out either
    telegram.files.clear()
    assert app_client.get(f"/api/support/photos/{message_id}").status_code == 404
    from smo_app.services.core.errors import PermissionDenied
    from smo_app.services.support import admin

    with pytest.raises(PermissionDenied):
        admin.photo(session, actor=seller, message_id=message_id)
    app_client.cookies.clear()
    assert app_client.get(f"/api/support/photos/{message_id}").status_code == 401
