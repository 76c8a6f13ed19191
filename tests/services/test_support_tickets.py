"""Support tickets: a customer's messages open one ticket, the offline assistant answers from live
facts only (never offering what is out of stock), asking for a person or asking twice hands the
ticket to the operators, managers answer and close from the backoffice; one ticket per customer
even when two messages come at once."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from smo_app.models.audit import AuditEntry
from smo_app.models.base import utcnow
from smo_app.models.outbox import Outbox
from smo_app.models.staff import Role, Staff
from smo_app.models.support import SupportMessage, SupportTicket
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, PermissionDenied, ValidationFailed
from smo_app.services.customers.registration import TelegramProfile
from smo_app.services.support import admin, settings as support_settings, tickets
from tests.commerce_factories import make_product, place, variant_id
from tests.factories import make_customer, make_staff

FAQ = ("Доставка: курьером по Москве за 1–2 дня, 300 ₽; бесплатно от 5000 ₽.\n\n"
       "Оплата: картой или по СБП при оформлении заказа.")


def _sender(customer) -> TelegramProfile:
    return TelegramProfile(telegram_id=customer.telegram_id, username=customer.username, full_name=customer.full_name)


def _write(session, customer, text="", **kw):
    return tickets.customer_writes(session, actor=Actor.customer(customer.id), sender=_sender(customer), lang="ru",
                                   text=text, **kw)


def _to(session, chat_id) -> list[str]:
    session.expire_all()
    return [r.payload.get("text", "") for r in session.exec(select(Outbox).where(Outbox.chat_id == chat_id)
                                                           .order_by(Outbox.id)).all()
            if r.kind.startswith("support")]


def _faq(session, owner):
    support_settings.save_settings(session, actor=owner.actor(), faq=FAQ, ai_base_url="", ai_model="", chat_id="",
                                   timeout_min=15)


def test_the_assistant_names_stock_and_never_offers_what_is_out_of_stock(session):
    # given a candle in stock and a diffuser sold out
    make_product(session, name="Свеча Лаванда", price_minor=90000, qty=4)
    make_product(session, name="Диффузор Лаванда", price_minor=150000, qty=0)
    customer = make_customer(session)
    # when the customer asks about lavender
    out = _write(session, customer, "Есть ли у вас что-нибудь с лавандой?")
    # then one answer went to their chat naming both, with their true stock
    assert out.answered_by == "ai"
    [answer] = _to(session, customer.telegram_id)
    assert "Свеча Лаванда — 900 ₽, в наличии 4" in answer.replace("\xa0", " ")
    assert "Диффузор Лаванда — 1 500 ₽, нет в наличии" in answer.replace("\xa0", " ")
    assert "Диффузор Лаванда — 1 500 ₽, в наличии" not in answer.replace("\xa0", " ")


def test_the_assistant_says_when_it_does_not_know_and_offers_a_person(session):
    # given a shop without anything about the question
    customer = make_customer(session)
    # when the customer asks something the shop knows nothing about
    _write(session, customer, "Какая завтра погода на Марсе?")
    # then the answer says so plainly and offers a person
    [answer] = _to(session, customer.telegram_id)
    assert "не знаю ответа" in answer
    row = session.exec(select(Outbox).where(Outbox.chat_id == customer.telegram_id)).one()
    assert row.payload["buttons"][0][0]["callback_data"] == tickets.OPERATOR_CALLBACK


def test_topic_commands_answer_from_the_faq_and_the_customers_orders(session):
    owner = make_staff(session, Role.owner)
    _faq(session, owner)
    customer = make_customer(session)
    product = make_product(session, name="Мыло", qty=5, price_minor=20000)
    order = place(session, customer.id, {variant_id(product): 1})
    # when the customer picks the delivery topic, then asks about their order
    _write(session, customer, topic="delivery")
    tickets.pick_order(session, actor=Actor.customer(customer.id), sender=_sender(customer), order_id=order.id,
                       lang="ru")
    # then the delivery entry came from the FAQ and the order with its status
    delivery, about_order = _to(session, customer.telegram_id)
    assert "курьером по Москве" in delivery and "картой" not in delivery
    assert f"Заказ №{order.id}: Новый" in about_order
    ticket = session.exec(select(SupportTicket)).one()
    assert ticket.order_id == order.id


def test_someone_elses_order_is_not_found(session):
    customer, other = make_customer(session), make_customer(session)
    order = place(session, other.id, {variant_id(make_product(session, qty=2)): 1})
    with pytest.raises(DomainError) as refused:
        tickets.pick_order(session, actor=Actor.customer(customer.id), sender=_sender(customer), order_id=order.id,
                           lang="ru")
    assert refused.value.code == "common.not_found"


def test_messages_continue_one_ticket_and_asking_for_a_person_escalates_once(session):
    manager = make_staff(session, Role.manager)
    session.get(Staff, manager.id).telegram_id = 9_200_000_001
    session.commit()
    customer = make_customer(session)
    # when the customer writes, then asks for a person twice
    _write(session, customer, "Здравствуйте")
    first = _write(session, customer, "Позовите оператора")
    again = _write(session, customer, "Оператор, ау")
    # then it is one ticket, handed over once, and the manager was alerted once
    assert first.ticket_id == again.ticket_id
    assert (first.answered_by, again.answered_by) == ("escalated", "waiting")
    ticket = session.get(SupportTicket, first.ticket_id)
    assert (ticket.state, ticket.escalation_reason) == ("needs_operator", "asked")
    alerts = _to(session, 9_200_000_001)
    assert len(alerts) == 1 and f"#{ticket.id}" in alerts[0]
    assert "сотруднику магазина" in _to(session, customer.telegram_id)[-1]


def test_the_same_question_twice_goes_to_a_person(session):
    customer = make_customer(session)
    _write(session, customer, "Где мой заказ?")
    out = _write(session, customer, "где мой  заказ?")
    assert out.answered_by == "escalated"
    assert session.get(SupportTicket, out.ticket_id).escalation_reason == "repeated"


def test_a_photo_is_kept_on_the_ticket(session):
    customer = make_customer(session)
    out = _write(session, customer, "Вот такой пришёл", photo_file_id="PHOTO-1")
    msg = session.exec(select(SupportMessage).where(SupportMessage.ticket_id == out.ticket_id,
                                                    SupportMessage.author == "customer")).one()
    assert msg.photo_file_id == "PHOTO-1"


def test_a_manager_answers_from_the_web_and_closes(session):
    manager = make_staff(session, Role.manager)
    customer = make_customer(session)
    out = _write(session, customer, "Позовите человека")
    # when the manager looks at the queue, answers and closes
    page = admin.queue(session, actor=manager.actor(), state="needs_operator")
    assert [r.id for r in page.rows] == [out.ticket_id] and page.counts["needs_operator"] == 1
    view = admin.reply(session, actor=manager.actor(), ticket_id=out.ticket_id, text="Здравствуйте! Чем помочь?")
    assert view.ticket.state == "operator" and view.ticket.assigned_to
    closed = admin.close(session, actor=manager.actor(), ticket_id=out.ticket_id)
    # then the customer got the answer and the closing note, and both were audited
    texts = _to(session, customer.telegram_id)
    assert texts[-2:] == ["Здравствуйте! Чем помочь?", "Обращение закрыто. Если остались вопросы — просто напишите сюда."]
    assert closed.ticket.state == "closed" and not closed.can_reply
    ticket = session.get(SupportTicket, out.ticket_id)
    assert ticket.solved_by == "operator" and ticket.first_response_at is not None
    actions = set(session.exec(select(AuditEntry.action)).all())
    assert {"support.reply", "support.close"} <= actions
    # and a new message opens a new ticket
    assert _write(session, customer, "Ещё вопрос").ticket_id != out.ticket_id


def test_sellers_do_not_see_support_and_a_bad_queue_is_refused(session):
    seller = make_staff(session, Role.seller)
    with pytest.raises(PermissionDenied):
        admin.queue(session, actor=seller.actor())
    manager = make_staff(session, Role.manager)
    with pytest.raises(ValidationFailed):
        admin.queue(session, actor=manager.actor(), state="nope")


def test_a_day_without_an_operator_gives_the_ticket_back_to_the_assistant(session):
    customer = make_customer(session)
    out = _write(session, customer, "Позовите человека")
    later = utcnow() + timedelta(hours=25)
    again = _write(session, customer, "Есть свечи?", now=later)
    assert again.ticket_id == out.ticket_id and again.answered_by == "ai"


def test_settings_keep_keys_encrypted_and_refuse_bad_input(session):
    owner = make_staff(session, Role.owner)
    saved = support_settings.save_settings(session, actor=owner.actor(), faq=FAQ, ai_base_url="https://api.groq.com/openai/v1",
                                           ai_model="llama-3.3-70b-versatile", chat_id="-1001234567890",
                                           timeout_min="20", new_keys="k-one, k-two")
    assert (saved.ai_keys_count, saved.chat_id, saved.timeout_min) == (2, -1001234567890, 20)
    assert support_settings.ai_keys(session) == ["k-one", "k-two"]
    from smo_app.models.shop import ShopSetting
    assert "k-one" not in str(session.get(ShopSetting, "support").value)
    with pytest.raises(ValidationFailed) as refused:
        support_settings.save_settings(session, actor=owner.actor(), faq="", ai_base_url="ftp://x", ai_model="",
                                       chat_id="123", timeout_min="0")
    assert {e["field"] for e in refused.value.errors} == {"ai_base_url", "chat_id", "timeout_min"}
    manager = make_staff(session, Role.manager)
    with pytest.raises(PermissionDenied):
        support_settings.read_settings(session, actor=manager.actor())


def test_two_first_messages_at_once_open_one_ticket(pg_engine):
    from tests.race import outcomes, run_at_once

    with Session(pg_engine, expire_on_commit=False) as s:
        customer = make_customer(s)
    results = run_at_once(pg_engine, [lambda s, n=n: _write(s, customer, f"Вопрос {n}").ticket_id for n in range(4)])
    assert outcomes(results) == {"ok": 4}
    assert len({value for _, value in results}) == 1
    with Session(pg_engine) as s:
        assert len(s.exec(select(SupportTicket)).all()) == 1
        assert len(s.exec(select(SupportMessage).where(SupportMessage.author == "customer")).all()) == 4


def test_two_escalations_at_once_hand_over_once(pg_engine):
    from tests.race import outcomes, run_at_once

    with Session(pg_engine, expire_on_commit=False) as s:
        customer = make_customer(s)
        manager = make_staff(s, Role.manager)
        s.get(Staff, manager.id).telegram_id = 9_200_000_002
        s.commit()
        _write(s, customer, "Здравствуйте")
    results = run_at_once(pg_engine, [lambda s: _write(s, customer, topic="operator").answered_by for _ in range(3)])
    assert outcomes(results) == {"ok": 3}
    assert sorted(v for _, v in results) == ["escalated", "waiting", "waiting"]
    with Session(pg_engine) as s:
        assert len(s.exec(select(Outbox).where(Outbox.chat_id == 9_200_000_002)).all()) == 1


def test_the_demo_shop_has_tickets_in_every_state_and_a_photo(session):
    from tests.demo_support import demo_shop

    # given the demo shop
    demo_shop(session)
    owner = session.exec(select(Staff).where(Staff.username == "owner")).one()
    actor = Actor.staff(owner.id, Role.owner)
    # then the Support area shows a ticket in each queue, the waiting one with its photo
    counts = {state: len(admin.queue(session, actor=actor, state=state).rows) for state in admin.QUEUES}
    assert counts == {"needs_operator": 1, "operator": 1, "ai": 1, "closed": 1}
    waiting = admin.queue(session, actor=actor, state="needs_operator").rows[0]
    view = admin.view_ticket(session, actor=actor, ticket_id=waiting.id)
    assert any(m.photo_file_id for m in view.messages)
    anna = admin.view_ticket(session, actor=actor, ticket_id=admin.queue(session, actor=actor, state="ai").rows[0].id)
    assert "Лавандовое поле" in anna.messages[-1].text
    assert "курьером по Москве" in support_settings.current(session).faq


# -- the scheduler's jobs (services.support.jobs) ------------------------------------------------
def test_operator_timeout_alerts_the_admins_once_and_idle_tickets_go_back_to_the_assistant(session):
    from smo_app.services.support import jobs

    admin_staff = make_staff(session, Role.admin)
    session.get(Staff, admin_staff.id).telegram_id = 9_400_000_001
    session.commit()
    customer = make_customer(session)
    start = utcnow()
    out = _write(session, customer, "Позовите человека", now=start)
    # when the jobs run before, after the 15 minutes, and again
    assert jobs.operator_timeouts(session, now=start + timedelta(minutes=10)) == []
    assert jobs.operator_timeouts(session, now=start + timedelta(minutes=16)) == [out.ticket_id]
    assert jobs.operator_timeouts(session, now=start + timedelta(minutes=30)) == []
    # then the admin was alerted once
    [alert] = [text for text in _to(session, 9_400_000_001) if "ждёт оператора дольше" in text]
    assert f"#{out.ticket_id}" in alert and "15 мин" in alert
    # and a day later without an operator's word the ticket is the assistant's again
    assert jobs.idle_back_to_ai(session, now=start + timedelta(hours=23)) == 0
    assert jobs.idle_back_to_ai(session, now=start + timedelta(hours=25)) == 1
    session.expire_all()
    assert session.get(SupportTicket, out.ticket_id).state == "ai"


def test_the_daily_summary_counts_the_day_once(session):
    from zoneinfo import ZoneInfo

    from smo_app.services.support import jobs

    owner = make_staff(session, Role.owner)
    session.get(Staff, owner.id).telegram_id = 9_400_000_002
    session.commit()
    manager = make_staff(session, Role.manager)
    a, b = make_customer(session), make_customer(session)
    start = utcnow()
    first = _write(session, a, "Позовите человека", now=start)
    admin.reply(session, actor=manager.actor(), ticket_id=first.ticket_id, text="Здравствуйте",
                now=start + timedelta(minutes=6))
    admin.close(session, actor=manager.actor(), ticket_id=first.ticket_id)
    second = _write(session, b, "Есть мыло?", now=start)
    admin.close(session, actor=manager.actor(), ticket_id=second.ticket_id)
    tz = ZoneInfo("Europe/Moscow")
    day = start.astimezone(tz).date()
    assert jobs.summary_figures(session, day=day, tz=tz) == {"opened": 2, "by_ai": 1, "by_operator": 1,
                                                              "median_minutes": 6}
    assert jobs.daily_summary(session, day=day, tz=tz) == 1
    assert jobs.daily_summary(session, day=day, tz=tz) == 0
    [summary] = [text for text in _to(session, 9_400_000_002) if "Поддержка за" in text]
    assert "новых обращений — 2" in summary and "через 6 мин" in summary


def test_two_escalations_at_once_make_one_topic(pg_engine):
    from smo_app.models.support import SupportTopic
    from tests.race import outcomes, run_at_once

    with Session(pg_engine, expire_on_commit=False) as s:
        owner = make_staff(s, Role.owner)
        _faq(s, owner)
        support_settings.save_settings(s, actor=owner.actor(), faq="", ai_base_url="", ai_model="",
                                       chat_id="-1001234567890", timeout_min=15)
        customer = make_customer(s)
    # when the customer's "ask a person" arrives twice at the same moment
    results = run_at_once(pg_engine, [lambda s: _write(s, customer, topic="operator").answered_by for _ in range(3)])
    # then one topic is made, and one message creates it
    assert outcomes(results) == {"ok": 3}
    with Session(pg_engine) as s:
        assert len(s.exec(select(SupportTopic)).all()) == 1
        creating = [r for r in s.exec(select(Outbox).where(Outbox.chat_id == -1001234567890)).all()
                    if r.payload.get("forum", {}).get("create")]
        assert len(creating) == 1


def test_without_a_group_an_operator_holds_one_ticket_at_a_time(session):
    from smo_app.services.support import operators

    manager = make_staff(session, Role.manager)
    session.get(Staff, manager.id).telegram_id = 9_800_000_001
    session.commit()
    a, b = make_customer(session), make_customer(session)
    first = _write(session, a, "Позовите человека")
    second = _write(session, b, "Позовите человека")
    assert operators.take(session, actor=manager.actor(), ticket_id=first.ticket_id) == first.ticket_id
    with pytest.raises(DomainError) as refused:
        operators.take(session, actor=manager.actor(), ticket_id=second.ticket_id)
    assert refused.value.code == "support.one_at_a_time"
    # once the first is closed, the next one can be taken
    assert operators.close_private(session, actor=manager.actor()) == first.ticket_id
    assert operators.take(session, actor=manager.actor(), ticket_id=second.ticket_id) == second.ticket_id
    # an operator without Telegram cannot take one
    other = make_staff(session, Role.manager)
    with pytest.raises(DomainError) as unlinked:
        operators.take(session, actor=other.actor(), ticket_id=second.ticket_id)
    assert unlinked.value.code == "support.operator_unlinked"


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # make run is SQLite; the seed is the same on both
def test_under_make_run_the_demo_assistant_answers_through_the_demo_fakes(session, monkeypatch):
    from tests.demo_support import demo_shop
    from smo_app.settings import reset_settings_cache

    monkeypatch.setenv("SMO_DEMO", "1")
    monkeypatch.setenv("SMO_DEMO_FAKES_URL", "http://127.0.0.1:8090")
    reset_settings_cache()
    try:
        demo_shop(session)
        stored = support_settings.current(session)
    finally:
        monkeypatch.delenv("SMO_DEMO_FAKES_URL")
        reset_settings_cache()
    assert (stored.ai_base_url, stored.ai_keys_count) == ("http://127.0.0.1:8090/v1", 1)
    # the seeded tickets were answered before: the one with the assistant has its answer
    owner = session.exec(select(Staff).where(Staff.username == "owner")).one()
    ai_row = admin.queue(session, actor=Actor.staff(owner.id, Role.owner), state="ai").rows[0]
    assert "Лавандовое поле" in ai_row.last_text


def test_a_web_reply_shows_in_the_customers_topic_too(session):
    owner = make_staff(session, Role.owner, full_name="Ольга Владимировна")
    support_settings.save_settings(session, actor=owner.actor(), faq="", ai_base_url="", ai_model="",
                                   chat_id="-1001234567890", timeout_min=15)
    customer = make_customer(session)
    out = _write(session, customer, "Позовите человека")
    admin.reply(session, actor=owner.actor(), ticket_id=out.ticket_id, text="<b>Сейчас</b> посмотрю")
    session.expire_all()
    last = session.exec(select(Outbox).where(Outbox.chat_id == -1001234567890).order_by(Outbox.id.desc())).first()
    assert last.payload["forum"] == {"customer_id": customer.id}
    assert last.payload["text"] == "💬 Ответ из бэк-офиса (Ольга Владимировна):\n<b>Сейчас</b> посмотрю"


def test_a_complaint_naming_a_kind_of_product_is_not_answered_with_the_catalog(session):
    # given candles and the owner's answer about damaged parcels
    owner = make_staff(session, Role.owner)
    support_settings.save_settings(session, actor=owner.actor(), ai_base_url="", ai_model="", chat_id="", timeout_min=15,
                                   faq="Возврат: если товар пришёл с трещиной или повреждённым, пришлите фото — заменим.")
    for scent in ("Лаванда", "Кедр", "Роза"):
        make_product(session, name=f"Свеча {scent}", qty=3)
    customer = make_customer(session)
    # when a customer says theirs came cracked
    _write(session, customer, "Свеча пришла с трещиной, что делать?")
    # then the answer is the owner's, not a list of candles; a question naming one still lists it alone
    [answer] = _to(session, customer.telegram_id)
    assert "пришлите фото" in answer and "Свеча Кедр" not in answer
    _write(session, customer, "Есть свеча кедр?")
    second = _to(session, customer.telegram_id)[-1]
    assert "Свеча Кедр" in second and "Свеча Роза" not in second
