"""The broadcasts page: a photo uploaded from the page, the draft previewed as Telegram shows it,
and progress that tells sent, blocked and not sent (cancelled) apart."""
from __future__ import annotations

import io

from PIL import Image

from smo_app.models.staff import Role
from smo_app.services.staff import auth
from tests.factories import PASSWORD, make_customer, make_staff
from tests.services.test_image_hosting import local_store  # noqa: F401  (the image port on a temporary folder)
from tests.ui.test_ops_states import _Upload
from tests.ui.support import _call, _state


def _page(db):
    from smo_app.state.broadcasts import BroadcastsState

    make_staff(db, Role.manager, username="mia")
    s = _state(BroadcastsState)
    s.bo_token = auth.sign_in_password(db, username="mia", password=PASSWORD).token
    _call(s, "load")
    return s


def test_the_draft_is_previewed_as_telegram_shows_it(db):
    s = _page(db)
    # given nothing typed: no bubble yet
    assert s.preview_html == "" and s.preview_problem == ""
    # when the manager types Telegram HTML with a link and a script
    _call(s, "set_draft_text", 'Hello <b>friends</b>\n<a href="https://shop.example">shop</a> <i>now</i>')
    _call(s, "set_draft_button_text", "Open")
    _call(s, "set_draft_button_url", "https://shop.example")
    # then the preview is the bold text, a checked link and the line break, and no problem is named
    assert "<b>friends</b>" in s.preview_html and "<br>" in s.preview_html
    assert '<a href="https://shop.example" target="_blank" rel="noopener">shop</a>' in s.preview_html
    assert s.preview_problem == ""
    # when the text has a tag Telegram refuses, it shows as plain text and the problem is named
    _call(s, "set_draft_text", '<script>alert(1)</script> <b>x</b>')
    assert "<script" not in s.preview_html and "&lt;script" not in s.preview_html
    assert "<script>" in s.preview_problem and "Telegram" in s.preview_problem
    # a javascript: link never becomes clickable
    _call(s, "set_draft_text", '<a href="javascript:alert(1)">x</a>')
    assert "javascript" not in s.preview_html and 'href="#"' in s.preview_html


def test_an_uploaded_photo_goes_on_the_draft_and_the_broadcast(db, local_store):  # noqa: F811
    from smo_app.models.broadcast import Broadcast

    s = _page(db)
    jpeg = io.BytesIO()
    Image.new("RGB", (320, 200), (200, 30, 30)).save(jpeg, "JPEG")
    # when a file that is not a picture is dropped, the page says so and the draft has no photo
    _call(s, "upload_photo", [_Upload(b"%PDF-1.4 not a picture")])
    assert s.draft_photo == "" and "изображени" in s.message.lower()
    # when a JPEG is uploaded, the preview shows it from the image store
    _call(s, "upload_photo", [_Upload(jpeg.getvalue())])
    assert s.message == "" and s.draft_photo.startswith("/api/uploads/") and s.preview_image == s.draft_photo
    assert local_store.read(s.draft_photo) == jpeg.getvalue()
    # when the draft is created with a caption, the broadcast carries the uploaded photo and the form clears
    _call(s, "set_draft_text", "Новинки")
    photo = s.draft_photo
    _call(s, "create", {"text": "Новинки", "photo": photo, "days": ""})
    assert s.message == "" and s.draft_photo == "" and s.draft_text == ""
    assert db.get(Broadcast, s.lines[0]["id"]).photo == photo
    # a Telegram file id is kept but cannot be drawn in the browser
    _call(s, "set_draft_photo", "AgACAgIAAxkBAAIB")
    assert s.preview_image == ""


def test_progress_names_sent_blocked_and_not_sent_after_cancel(db):
    from sqlmodel import select

    from smo_app.models.outbox import Outbox

    s = _page(db)
    for _ in range(3):
        make_customer(db)
    db.commit()
    _call(s, "create", {"text": "Hello", "days": ""})
    bid = s.lines[0]["id"]
    _call(s, "start", bid)
    first = db.exec(select(Outbox).where(Outbox.broadcast_id == bid).order_by(Outbox.id)).first()
    first.status = "sent"
    db.add(first)
    db.commit()
    db.close()
    # when the broadcast is cancelled with two messages still waiting
    _call(s, "cancel", bid)
    # then its line says one sent, none blocked, two not sent because it was cancelled
    progress = s.lines[0]["progress"]
    assert "отправлено 1 из 3" in progress and "заблокировали бота: 0" in progress
    assert "не отправлено (отменена): 2" in progress and "в очереди: 0" in progress
