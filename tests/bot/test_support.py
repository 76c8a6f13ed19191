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


# -- operators in the staff supergroup's topics ----------------------------------------------------
GROUP = -1001234567890


def _topic_update(uid: int, thread_id: int, text: str = "", *, photo: str | None = None) -> dict:
    from tests.bot.conftest import _ids, user
    import time

    msg = {"message_id": next(_ids), "date": int(time.time()), "message_thread_id": thread_id,
           "is_topic_message": True, "chat": {"id": GROUP, "type": "supergroup", "title": "Support", "is_forum": True},
           "from": user(uid, name="Op")}
    if photo:
        msg["photo"] = [{"file_id": photo, "file_unique_id": photo, "width": 90, "height": 90}]
    else:
        msg["text"] = text
        if text.startswith("/"):
            msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"update_id": next(_ids), "message": msg}


def _with_group(session, *operator_ids: int) -> None:
    from smo_app.services.support import settings as support_settings

    owner = make_staff(session, Role.owner)
    support_settings.save_settings(session, actor=owner.actor(), faq="", ai_base_url="", ai_model="",
                                   chat_id=str(GROUP), timeout_min=15)
    for uid in operator_ids:
        member = make_staff(session, Role.manager)
        session.get(Staff, member.id).telegram_id = uid
    session.commit()
    session.rollback()


def test_a_customers_photo_reaches_their_topic_and_the_operators_reply_reaches_them(settings, session_factory, session,
                                                                                   engine, fake_tg):
    # given the staff supergroup and an operator
    _with_group(session, 9_500_000_001)
    uid = 8_200_000_001
    # when a customer sends a photo and asks for a person
    feed(settings, session_factory, message_update(uid, "Разбилось при доставке", photo=True, name="Вера",
                                                   username="vera"),
         message_update(uid, "Позовите оператора", name="Вера", username="vera"))
    _deliver(settings, session_factory, engine)
    # then their topic was created with their name and @username, a note went first, then the copies
    [thread] = list(fake_tg.topics)
    assert fake_tg.topics[thread] == "Вера @vera"
    in_group = fake_tg.sent(GROUP)
    assert [c["method"] for c in in_group] == ["sendMessage", "copyMessage", "copyMessage"]
    assert all(int(c["params"]["message_thread_id"]) == thread for c in in_group)
    assert "просит человека" in in_group[0]["params"]["text"]
    assert int(in_group[1]["params"]["from_chat_id"]) == uid
    # when the operator answers in the topic with text and a photo
    feed(settings, session_factory, _topic_update(9_500_000_001, thread, "Пришлём замену завтра"),
         _topic_update(9_500_000_001, thread, photo="OPERATOR-PHOTO"))
    _deliver(settings, session_factory, engine)
    # then the customer got both from the bot, in order, without the operator's name
    to_customer = fake_tg.sent(uid)[-2:]
    assert (to_customer[0]["params"]["text"], to_customer[1]["params"]["photo"]) == ("Пришлём замену завтра",
                                                                                      "OPERATOR-PHOTO")
    session.expire_all()
    assert session.exec(select(SupportTicket)).one().state == "operator"
    session.rollback()
    # and a later message of the customer is copied into the same topic
    feed(settings, session_factory, message_update(uid, "Спасибо!", name="Вера", username="vera"))
    _deliver(settings, session_factory, engine)
    last = fake_tg.sent(GROUP)[-1]
    assert last["method"] == "copyMessage" and int(last["params"]["message_thread_id"]) == thread
    assert len(fake_tg.calls_of("createForumTopic")) == 1


def test_close_in_the_topic_closes_the_ticket_and_strangers_are_ignored(settings, session_factory, session, engine,
                                                                        fake_tg):
    _with_group(session, 9_500_000_002)
    uid = 8_200_000_002
    feed(settings, session_factory, message_update(uid, "/operator"))
    _deliver(settings, session_factory, engine)
    [thread] = list(fake_tg.topics)
    # when someone who is not staff writes in the topic, then the operator sends /close
    feed(settings, session_factory, _topic_update(7_777, thread, "я не сотрудник"),
         _topic_update(9_500_000_002, thread, "/close"))
    _deliver(settings, session_factory, engine)
    # then only the operator's /close counted: the ticket is closed, the customer and the topic told
    session.expire_all()
    ticket = session.exec(select(SupportTicket)).one()
    assert ticket.state == "closed"
    session.rollback()
    texts = _texts(fake_tg, uid)
    assert "я не сотрудник" not in texts and texts[-1].startswith("Обращение закрыто")
    assert fake_tg.sent(GROUP)[-1]["params"]["text"] == f"✅ Обращение #{ticket.id} закрыто."


def test_two_operators_answering_at_once_both_reach_the_customer_in_order(settings, session_factory, session, engine,
                                                                          fake_tg):
    _with_group(session, 9_500_000_003, 9_500_000_004)
    uid = 8_200_000_003
    feed(settings, session_factory, message_update(uid, "/operator"))
    _deliver(settings, session_factory, engine)
    [thread] = list(fake_tg.topics)
    # when two operators answer in the topic at the same moment (concurrent updates)
    import asyncio

    from bot_sidecar.dispatcher import create_dispatcher
    from bot_sidecar.telegram import make_reply_bot

    async def both() -> None:
        bot = make_reply_bot(settings)
        dp = create_dispatcher(settings, session_factory=session_factory)
        try:
            await asyncio.gather(dp.feed_raw_update(bot, update=_topic_update(9_500_000_003, thread, "Ответ первого")),
                                 dp.feed_raw_update(bot, update=_topic_update(9_500_000_004, thread, "Ответ второго")))
        finally:
            await bot.session.close()

    asyncio.run(both())
    _deliver(settings, session_factory, engine)
    # then the customer got both, in the order the shop recorded them
    session.expire_all()
    recorded = [m.text for m in session.exec(select(SupportMessage).where(SupportMessage.author == "operator")
                                             .order_by(SupportMessage.id)).all()]
    session.rollback()
    assert sorted(recorded) == ["Ответ второго", "Ответ первого"]
    assert _texts(fake_tg, uid)[-2:] == recorded


# -- the AI answer streamed as a draft --------------------------------------------------------------
def test_the_ai_answer_streams_as_one_draft_then_arrives_as_a_message(settings, session_factory, session, engine,
                                                                      fake_tg, monkeypatch):
    from integrations.fakeserver import LocalServer
    from integrations.openai_compat.fake import FakeOpenAI
    from bot_sidecar.handlers import support as support_handlers
    from smo_app.services.support import settings as support_settings
    from smo_app.services.support.ai_keys import RING

    monkeypatch.setattr(support_handlers, "DRAFT_EVERY", 0.0)  # every streamed piece shows
    fake_ai = FakeOpenAI()
    with LocalServer(fake_ai.handle) as server:
        owner = make_staff(session, Role.owner)
        support_settings.save_settings(session, actor=owner.actor(), faq="", ai_base_url=server.base_url + "/v1",
                                       ai_model="llama-3.3-70b-versatile", chat_id="", timeout_min=15,
                                       new_keys="key-1")
        make_product(session, name="Свеча Жасмин с очень длинным названием", price_minor=70000, qty=5)
        session.rollback()
        uid = 8_300_000_001
        # when a customer asks
        feed(settings, session_factory, message_update(uid, "Есть свеча жасмин?"))
    RING.forget()
    # then the answer was previewed with sendMessageDraft, always the same non-zero draft id …
    drafts = fake_tg.calls_of("sendMessageDraft")
    assert len(drafts) > 1 and all(d["status"] == 200 for d in drafts)
    assert len({int(d["params"]["draft_id"]) for d in drafts}) == 1 and int(drafts[0]["params"]["draft_id"]) != 0
    assert len(drafts[-1]["params"]["text"]) > len(drafts[0]["params"]["text"])
    # … and then made permanent with sendMessage through the outbox
    assert fake_tg.sent(uid) == []
    _deliver(settings, session_factory, engine)
    [final] = fake_tg.sent(uid)
    assert final["method"] == "sendMessage" and "в наличии 5" in final["params"]["text"]
    assert final["params"]["text"] == drafts[-1]["params"]["text"]
    assert final["mono"] > drafts[-1]["mono"]


# -- without a supergroup: operators' private chats --------------------------------------------------
def test_without_a_group_an_operator_takes_the_ticket_and_relays_in_their_private_chat(settings, session_factory,
                                                                                      session, engine, fake_tg):
    # given two linked managers and no supergroup
    first, second = make_staff(session, Role.manager), make_staff(session, Role.manager)
    session.get(Staff, first.id).telegram_id = 9_700_000_001
    session.get(Staff, second.id).telegram_id = 9_700_000_002
    session.commit()
    session.rollback()
    uid = 8_400_000_001
    # when a customer sends a photo and asks for a person
    feed(settings, session_factory, message_update(uid, "Вот чек", photo=True, name="Лев", username="lev"),
         message_update(uid, "/operator"))
    _deliver(settings, session_factory, engine)
    # then both managers got the alert with "take it"
    alert = fake_tg.sent(9_700_000_001)[-1]
    [take] = buttons_of(alert)
    assert take["callback_data"].startswith("sup:take:")
    # when both press it: the first gets it, the second is told
    feed(settings, session_factory, callback_update(9_700_000_001, take["callback_data"]),
         callback_update(9_700_000_002, take["callback_data"]))
    _deliver(settings, session_factory, engine)
    answers = fake_tg.calls_of("answerCallbackQuery")
    assert answers[-1]["params"].get("text", "").startswith("Это обращение уже взял")
    mine = fake_tg.sent(9_700_000_001)
    assert "Лев @lev" in mine[-2]["params"]["text"] and mine[-1]["method"] == "copyMessage"
    # when the operator writes in their private chat, and the customer answers
    feed(settings, session_factory, message_update(9_700_000_001, "Спасибо, вернём деньги сегодня"))
    feed(settings, session_factory, message_update(uid, "Отлично", name="Лев", username="lev"))
    _deliver(settings, session_factory, engine)
    # then the customer got it from the bot, and their answer was copied to the operator
    assert _texts(fake_tg, uid)[-1] == "Спасибо, вернём деньги сегодня"
    assert fake_tg.sent(9_700_000_001)[-1]["method"] == "copyMessage"
    # and /close in the private chat closes it
    feed(settings, session_factory, message_update(9_700_000_001, "/close"))
    _deliver(settings, session_factory, engine)
    session.expire_all()
    assert session.exec(select(SupportTicket)).one().state == "closed"
    session.rollback()
    assert _texts(fake_tg, uid)[-1].startswith("Обращение закрыто")
    # and a manager holding nothing who writes text gets the menu as before
    feed(settings, session_factory, message_update(9_700_000_002, "привет"))
    assert "Не понял" in fake_tg.sent(9_700_000_002)[-1]["params"]["text"]


def test_a_day_without_an_operator_gives_the_customer_the_assistant_again(settings, session_factory, session, engine,
                                                                          fake_tg):
    from datetime import timedelta

    from bot_sidecar.scheduler import Jobs
    from smo_app.models.base import utcnow

    make_product(session, name="Свеча Сандал", price_minor=60000, qty=2)
    session.rollback()
    uid = 8_500_000_001
    # given a customer who asked for a person, and nobody answered for a day
    feed(settings, session_factory, message_update(uid, "/operator"))
    later = utcnow() + timedelta(hours=25)
    assert Jobs(settings, session_factory, holder="t", clock=lambda: later).support_idle() == 1
    # when they write again
    feed(settings, session_factory, message_update(uid, "Есть свеча сандал?"))
    _deliver(settings, session_factory, engine)
    # then the assistant answers them
    assert "Свеча Сандал" in _texts(fake_tg, uid)[-1]
    session.expire_all()
    assert session.exec(select(SupportTicket)).one().state == "ai"
    session.rollback()
