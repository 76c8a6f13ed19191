"""Demo bookings (BK1–BK5): a consultation with a deposit (Мария Котова), a candle-making class for
six (the shop), an online scent pick (Андрей Смирнов); their working hours, a holiday and a day off;
bookings in every state — upcoming confirmed, waiting for a deposit, completed with the final price,
cancelled, no-show — and a customer on the waitlist."""
from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, select

from smo_app.models.base import utcnow
from smo_app.models.bookings import BookingService
from smo_app.models.customer import Customer
from smo_app.models.staff import Staff
from smo_app.services.bookings import availability, booking, calendar, catalog, waitlist
from smo_app.services.core.actor import Actor
from smo_app.services.core.shop_locale import shop_tz

SYSTEM = Actor.system("demo")
PLACE = "Студия на Тверской, 12"


def _staff(session: Session, username: str) -> int | None:
    return session.exec(select(Staff.id).where(Staff.username == username)).first()


def _customer(session: Session, username: str) -> Customer | None:
    return session.exec(select(Customer).where(Customer.username == username)).first()


def _first_slot(session: Session, service_id: int, start: date, *, now, skip: int = 0):
    for offset in range(0, 30):
        slots = availability.day_slots(session, actor=SYSTEM, service_id=service_id, day=start + timedelta(days=offset),
                                       now=now).slots
        if len(slots) > skip:
            return slots[skip].starts_at
    return None


def seed(session: Session) -> None:
    if session.exec(select(BookingService.id)).first() is not None:
        return
    maria, andrey = _staff(session, "manager"), _staff(session, "admin")
    if maria is None or andrey is None:
        return
    consult = catalog.save_service(session, actor=SYSTEM, data=catalog.ServiceIn(
        name="Консультация аромастилиста", description="Подберём аромат для дома или в подарок: 5–7 композиций, "
        "пробники с собой.", price_minor=150000, duration_min=60, step_min=30, buffer_after_min=15,
        format="both", place=PLACE, min_notice_min=120, max_ahead_days=60, deposit_kind="fixed",
        deposit_value=50000, hold_min=20, cancel_free_hours=24, provider_ids=[maria]))
    masterclass = catalog.save_service(session, actor=SYSTEM, data=catalog.ServiceIn(
        name="Мастер-класс: свеча своими руками", description="Соевый воск, хлопковый фитиль, ваш аромат. "
        "Свеча остаётся у вас.", price_minor=350000, duration_min=120, step_min=120, buffer_after_min=30,
        format="offline", place=PLACE, capacity=6, min_notice_min=24 * 60, max_ahead_days=90))
    online = catalog.save_service(session, actor=SYSTEM, data=catalog.ServiceIn(
        name="Онлайн-подбор аромата", description="Видеозвонок 30 минут: расскажите о любимых запахах — "
        "пришлём подборку.", price_minor=90000, duration_min=30, step_min=30, format="online",
        min_notice_min=60, max_ahead_days=30, provider_ids=[andrey]))
    calendar.set_week(session, actor=SYSTEM, resource=maria,
                      week={d: [(600, 840), (900, 1140)] for d in range(5)})  # Mon–Fri 10–14, 15–19
    calendar.set_week(session, actor=SYSTEM, resource=andrey, week={d: [(660, 1020)] for d in range(6)})  # Mon–Sat 11–17
    calendar.set_week(session, actor=SYSTEM, resource=0, week={2: [(1080, 1260)], 5: [(720, 1080)], 6: [(720, 1080)]})
    tz = shop_tz(session)
    now = utcnow()
    today = now.astimezone(tz).date()
    calendar.set_day(session, actor=SYSTEM, resource=None, day=date(today.year + 1, 1, 1), kind="off", note="Новый год")
    calendar.set_day(session, actor=SYSTEM, resource=maria, day=today + timedelta(days=9), kind="off", note="Отпуск")
    people = {u: _customer(session, u) for u in ("anna_aroma", "dmitry_k", "candle_lover", "igor_p", "natalia_v")}
    if any(c is None for c in people.values()):
        return

    def book(service, customer, *, start, at_now, skip=0, **kw):
        when = _first_slot(session, service.id, start, now=at_now, skip=skip)
        if when is None:
            return None
        return booking.book(session, actor=SYSTEM, service_id=service.id, starts_at=when, contact_name=customer.full_name,
                            contact_phone=customer.phone, customer_id=customer.id, now=at_now, **kw)

    # upcoming: Анна's online pick, Дмитрий's consultation waiting for its deposit, Игорь and Наталья at the class
    anna = book(online, people["anna_aroma"], start=today + timedelta(days=1), at_now=now)
    when = _first_slot(session, consult.id, today + timedelta(days=1), now=now, skip=2)
    if when is not None:  # booked in the Mini App: held while the deposit is due
        dmitry = people["dmitry_k"]
        booking.book(session, actor=Actor.customer(dmitry.id), service_id=consult.id, starts_at=when, format="online",
                     contact_name=dmitry.full_name, contact_phone=dmitry.phone, now=now)
    for u in ("igor_p", "natalia_v"):
        book(masterclass, people[u], start=today + timedelta(days=2), at_now=now)
    # the past: a completed consultation, a no-show, a cancelled online pick
    past = now - timedelta(days=14)
    done = book(online, people["candle_lover"], start=today - timedelta(days=12), at_now=past)
    if done is not None:
        booking.complete(session, actor=SYSTEM, booking_id=done.id, final_price_minor=90000, now=now)
    missed = book(online, people["igor_p"], start=today - timedelta(days=11), at_now=past)
    if missed is not None:
        booking.mark_no_show(session, actor=SYSTEM, booking_id=missed.id, now=now)
    cancelled = book(online, people["natalia_v"], start=today + timedelta(days=3), at_now=now)
    if cancelled is not None:
        booking.cancel(session, actor=SYSTEM, booking_id=cancelled.id, reason="Клиент перенёс поездку", now=now)
    # Екатерина waits for an online pick on Анна's day
    if anna is not None:
        waitlist.join(session, actor=Actor.customer(people["candle_lover"].id), service_id=online.id, day=anna.local_day)
