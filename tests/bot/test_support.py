"""Support in the bot, from raw updates against the fake Bot API: a question is answered through the
outbox from the live catalog, a photo is kept on the ticket, the topic commands and buttons, and
"ask a person" hands the ticket to the staff, who are alerted."""
from __future__ import annotations

from sqlmodel import select

from smo_app.models.staff import Role, Staff
from smo_app.models.support import SupportMessage, SupportTicket
from tests.bot.conftest import buttons_of, callback_update, feed, message_update
from tests.bot.sender_support import nothing_waiting, run_senders
from tests.commerce_factories import make_product, place, variant_id
from tests.factories import make_customer, make_staff


def _deliver(settings, session_factory, engine) -> None:
    run_senders(settings, session_factory, until=nothing_waiting(engine), chat_gap=0.01)


def _texts(fake_tg, chat_id) -> list[str]:
    return [c["params"].get("text") or c["params"].get("caption") or "" for c in fake_tg.sent(chat_id)]


def test_a_question_is_answered_from_the_catalog_through_the_outbox(settings, session_factory, session, engine, fake_tg):
    # given a candle in stock
    make_product(session, name="Свеча Ваниль", price_minor=50000, qty=7)
    session.rollback()
    # when a new customer asks about it
    feed(settings, session_factory, message_update(8_100_000_001, "Сколько стоит свеча ваниль?"))
    # then nothing was sent directly; the outbox delivers the answer with its price and stock
    assert fake_tg.sent(8_100_000_001) == []
    _deliver(settings, session_factory, engine)
    [answer] = _texts(fake_tg, 8_100_000_001)
    assert "Свеча Ваниль" in answer and "в наличии 7" in answer
    assert buttons_of(fake_tg.sent(8_100_000_001)[0])[0]["callback_data"] == "sup:op"


def test_a_photo_reaches_the_ticket_and_ask_a_person_alerts_the_staff(settings, session_factory, session, engine,
                                                                       fake_tg):
    # given a manager with Telegram linked
    manager = make_staff(session, Role.manager)
    session.get(Staff, manager.id).telegram_id = 9_300_000_001
    session.commit()
    session.rollback()
    uid = 8_100_000_002
    # when a customer sends a photo with a caption, then presses "ask a person"
    feed(settings, session_factory, message_update(uid, "Пришло разбитым", photo=True),
         callback_update(uid, "sup:op"))
    _deliver(settings, session_factory, engine)
    # then the photo is on their ticket, the ticket waits for a person, and the manager was alerted
    session.expire_all()
    ticket = session.exec(select(SupportTicket)).one()
    photo = session.exec(select(SupportMessage).where(SupportMessage.photo_file_id.is_not(None))).one()
    assert (ticket.state, photo.ticket_id, photo.text) == ("needs_operator", ticket.id, "Пришло разбитым")
    session.rollback()
    assert "сотруднику магазина" in _texts(fake_tg, uid)[-1]
    [alert] = _texts(fake_tg, 9_300_000_001)
    assert f"#{ticket.id}" in alert and "просит человека" in alert


def test_topic_commands_and_the_order_picker(settings, session_factory, session, engine, fake_tg):
    # given a customer with an order
    customer = make_customer(session, telegram_id=8_100_000_003)
    order = place(session, customer.id, {variant_id(make_product(session, name="Мыло", qty=3)): 1})
    session.rollback()
    # when they send /order and press their order's button
    feed(settings, session_factory, message_update(customer.telegram_id, "/order"))
    _deliver(settings, session_factory, engine)
    picker = [c for c in fake_tg.sent(customer.telegram_id) if "По какому заказу" in c["params"].get("text", "")]
    [button] = buttons_of(picker[0])
    feed(settings, session_factory, callback_update(customer.telegram_id, button["callback_data"]))
    _deliver(settings, session_factory, engine)
    # then the assistant answered with the order's status
    assert f"Заказ №{order.id}: Новый" in _texts(fake_tg, customer.telegram_id)[-1]


def test_the_menus_support_item_offers_the_topics(settings, session_factory, fake_tg):
    feed(settings, session_factory, callback_update(8_100_000_004, "m:support"))
    last = fake_tg.sent(8_100_000_004)[-1]
    assert "Напишите ваш вопрос" in last["params"]["text"]
    assert [b["callback_data"] for b in buttons_of(last)] == ["sup:t:order", "sup:t:delivery", "sup:t:payment", "sup:op"]
