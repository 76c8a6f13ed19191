"""The Support area's state: the queue with its counts, a conversation with the photo marked, a reply
that goes to the customer's outbox, close; the owner's settings with a refusal on its field; a
manager sees no settings — as Reflex runs the handlers, against a migrated SQLite file."""
from __future__ import annotations

import pytest
from sqlmodel import select

from smo_app.models.outbox import Outbox
from smo_app.models.staff import Role
from smo_app.services.core.actor import Actor
from smo_app.services.customers.registration import TelegramProfile
from smo_app.services.staff import auth
from smo_app.services.support import tickets
from tests.factories import PASSWORD, make_customer, make_staff
from tests.ui.support import _call, _state

rx = pytest.importorskip("reflex")


def _signed_in(db, role=Role.manager, username="mira"):
    from smo_app.state.support import SupportState

    make_staff(db, role, username=username)
    s = _state(SupportState)
    s.bo_token = auth.sign_in_password(db, username=username, password=PASSWORD).token
    _call(s, "load")
    return s


def _escalated(db):
    customer = make_customer(db, full_name="Вера", username="vera")
    sender = TelegramProfile(telegram_id=customer.telegram_id, username="vera", full_name="Вера")
    tickets.customer_writes(db, actor=Actor.customer(customer.id), sender=sender, lang="ru", text="Вот", photo_file_id="P1")
    tickets.customer_writes(db, actor=Actor.customer(customer.id), sender=sender, lang="ru", topic="operator")
    return customer


def test_a_manager_opens_a_waiting_ticket_answers_and_closes_it(db):
    # given a ticket waiting for an operator, with a photo
    customer = _escalated(db)
    s = _signed_in(db)
    assert s.counts["needs_operator"] == 1 and not s.can_settings
    assert [line.customer for line in s.lines] == ["Вера @vera"]
    # when the manager opens it
    _call(s, "open_ticket", s.lines[0].id)
    assert s.ticket["state"] == "needs_operator" and s.ticket["customer_url"].endswith(f"?customer={customer.id}")
    [photo] = [m.photo for m in s.conversation if m.author == "customer" and m.photo]
    assert photo.startswith("/api/support/photos/")
    # an empty reply is refused in the form; a real one reaches the customer's outbox
    _call(s, "reply", {"text": "  "})
    assert s.reply_error
    _call(s, "reply", {"text": "Заменим бесплатно"})
    assert s.reply_error == "" and s.ticket["state"] == "operator" and s.conversation[-1].who == "Test Manager"
    db.expire_all()
    assert "Заменим бесплатно" in [r.payload.get("text") for r in db.exec(select(Outbox).where(
        Outbox.chat_id == customer.telegram_id)).all()]
    db.rollback()  # SQLite: the test's transaction holds the write lock; let the screen write
    # and closes it: the archive holds it
    _call(s, "close_ticket")
    assert s.ticket["state"] == "closed" and not s.can_reply
    _call(s, "show_tab", "closed")
    assert [line.id for line in s.lines] == [s.ticket["id"]]


def test_the_owner_saves_the_settings_and_sees_a_refusal_on_its_field(db):
    s = _signed_in(db, Role.owner, "olga")
    assert s.can_settings
    _call(s, "save_settings", {"faq": "Доставка: 1–2 дня.", "ai_base_url": "", "ai_model": "", "chat_id": "12",
                               "timeout_min": "15", "ai_keys": ""})
    assert s.form_field == "chat_id" and s.form_error.startswith("Номер группы")
    _call(s, "save_settings", {"faq": "Доставка: 1–2 дня.", "ai_base_url": "", "ai_model": "", "chat_id": "",
                               "timeout_min": "30", "ai_keys": "key-1"})
    assert s.form_error == ""
    assert (s.stored["faq"], s.stored["timeout_min"], s.stored["ai_keys_count"]) == ("Доставка: 1–2 дня.", "30", "1")
