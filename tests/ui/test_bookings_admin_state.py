"""The Bookings screen's state: a manager creates a service, sets hours, books a caller by phone on a
day, sees it on the month and the day's list, completes it with the final price — and a refusal
shows on the form it came from. As Reflex runs the handlers, against a migrated SQLite file."""
from __future__ import annotations

from datetime import timedelta

import pytest

from smo_app.models.staff import Role
from smo_app.services.staff import auth
from tests.factories import PASSWORD, make_staff
from tests.ui.support import _call, _state

rx = pytest.importorskip("reflex")


def _signed_in(db):
    from smo_app.state.bookings_admin import BookingsAdminState

    make_staff(db, Role.manager, username="maria", full_name="Мария Котова")
    s = _state(BookingsAdminState)
    s.bo_token = auth.sign_in_password(db, username="maria", password=PASSWORD).token
    _call(s, "load")
    return s


def test_a_manager_sets_up_a_service_books_a_caller_and_completes_it(db):
    s = _signed_in(db)
    # a service with a bad price is refused on the form
    _call(s, "edit_service", "new")
    _call(s, "save_service", {"name": "Консультация", "price": "abc", "place": "Студия"})
    assert s.form_error.startswith("Сумма не распознана") and s.editing == "new"
    maria = next(c.id for c in s.staff if c.label == "Мария Котова")
    _call(s, "toggle_provider", maria, True)
    _call(s, "save_service", {"name": "Консультация", "price": "1500", "place": "Студия", "duration": "60",
                              "step": "30"})
    assert s.form_error == "" and [(r.name, r.providers) for r in s.services] == [("Консультация", "Мария Котова")]
    # her hours: every day 10–19; a typo is refused
    _call(s, "pick_resource", maria)
    _call(s, "save_week", {str(d): "10:00-19:00" for d in range(7)} | {"6": "10-19"})
    assert s.hours_error.startswith("Часы работы")
    _call(s, "save_week", {str(d): "10:00-14:00, 15:00-19:00" for d in range(7)})
    assert s.week["0"] == "10:00-14:00, 15:00-19:00"
    # a day off is listed with its day as a person writes it (the form sends the ISO day)
    off = s.shop_today() + timedelta(days=20)
    _call(s, "add_day", {"day": off.isoformat(), "kind": "off", "hours": "", "note": ""})
    assert s.hours_error == "" and [d["day_text"] for d in s.special_days] == [f"{off:%d.%m.%Y}"]
    # a caller is booked two days ahead at 11:00
    day = (s.shop_today() + timedelta(days=2)).isoformat()
    _call(s, "pick_day", day)
    assert s.day_text == ".".join(reversed(day.split("-")))  # the day's heading as a person writes it
    assert s.new_slots[:3] == ["10:00", "10:30", "11:00"] and "14:00" not in s.new_slots
    _call(s, "create", {"time": "11:00", "name": "Звонок", "phone": "123"})
    assert s.new_error == "Укажите номер телефона."
    _call(s, "create", {"time": "11:00", "name": "Звонок", "phone": "+7 916 000-11-22"})
    assert s.new_error == "" and [(r.time, r.who, r.state) for r in s.rows] == [("11:00", "Звонок", "confirmed")]
    assert "11:00" not in s.new_slots
    assert next(c.count for c in s.cells if c.iso == day) == 1
    # completed with the final price
    _call(s, "complete", {"row_id": str(s.rows[0].id), "price": "1800"})
    assert s.rows[0].state == "completed" and s.rows[0].final_price.replace("\xa0", " ") == "1 800 ₽"
    # a double tap on "done" gets the first tap's answer, not a refusal beside it
    again = _call(s, "complete", {"row_id": str(s.rows[0].id), "price": "1800"})
    assert "error" not in str(again).lower() and s.rows[0].state == "completed"


def test_a_manager_sees_a_deposit_transfer_screenshot_and_confirms_or_rejects_it(db):
    from smo_app.models.base import utcnow
    from smo_app.services.bookings import booking, deposit_proofs
    from smo_app.services.core.actor import Actor
    from tests.booking_support import PHONE, make_service, next_week
    from tests.factories import make_customer

    # given two customers' bookings waiting for their deposits, each with a transfer screenshot sent
    service = make_service(db, deposit_kind="fixed", deposit_value=50000, hold_min=15)
    held = []
    for hhmm in ("10:00", "12:00"):
        me = Actor.customer(make_customer(db).id)
        b = booking.book(db, actor=me, service_id=service.id, starts_at=next_week(hhmm), contact_name="Анна",
                         contact_phone=PHONE, now=utcnow())
        deposit_proofs.submit_deposit_proof(db, actor=me, booking_id=b.id, filename="p.png",
                                            content=b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
        held.append(b)
    db.rollback()
    s = _signed_in(db)
    _call(s, "pick_day", held[0].local_day.isoformat())
    # then the day's list shows both waiting for review, with the screenshot to open
    assert [(r.review, r.proof_url) for r in s.rows] == [(True, f"/api/booking-proofs/{b.id}") for b in held]
    # a rejection without a reason is refused; with one, the booking is cancelled
    _call(s, "reject_proof", {"row_id": str(held[1].id), "note": ""})
    assert [r.state for r in s.rows] == ["pending", "pending"]
    _call(s, "reject_proof", {"row_id": str(held[1].id), "note": "Перевод не найден"})
    _call(s, "confirm_proof", held[0].id)
    assert [(r.state, r.review) for r in s.rows] == [("confirmed", False), ("cancelled", False)]
