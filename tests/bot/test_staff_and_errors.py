"""Staff commands in the bot (/broadcast, controls, /reset_ui) and the error handling (CO4–CO6, #4.7)."""
from __future__ import annotations

from sqlmodel import select

from bot_sidecar.keyboards import BroadcastCB
from smo_app.models.broadcast import Broadcast
from smo_app.models.error_reports import ErrorReport
from smo_app.models.outbox import Outbox
from smo_app.models.staff import Role, Staff
from tests.bot.conftest import buttons_of, callback_update, feed, message_update
from tests.factories import make_customer, make_staff


def _link_staff(session, role: Role, telegram_id: int) -> Staff:
    out = make_staff(session, role)
    staff = session.get(Staff, out.id)
    staff.telegram_id = telegram_id
    session.add(staff)
    session.commit()
    session.rollback()
    return staff


def test_staff_creates_previews_and_starts_a_broadcast_from_the_bot(settings, session_factory, session, fake_tg):
    # given a manager linked to Telegram and two customers
    _link_staff(session, Role.manager, 4001)
    make_customer(session)
    make_customer(session)
    session.rollback()
    # when the manager sends /broadcast with a segment tag
    feed(settings, session_factory, message_update(4001, "/broadcast #all <b>Big sale</b>", lang="en"))
    # then a draft exists, its preview came to the manager, followed by the controls
    bid = session.exec(select(Broadcast)).one().id
    session.rollback()
    preview, controls = fake_tg.sent(4001)
    assert preview["params"]["text"] == "<b>Big sale</b>"
    assert [x["callback_data"] for x in buttons_of(controls)] == [
        BroadcastCB(action="start", id=bid).pack(), BroadcastCB(action="cancel", id=bid).pack()]
    # when they press Start, then Pause
    feed(settings, session_factory, callback_update(4001, BroadcastCB(action="start", id=bid).pack(), lang="en"),
         callback_update(4001, BroadcastCB(action="pause", id=bid).pack(), lang="en"))
    # then the broadcast is paused with both recipients queued, and the progress was shown
    session.expire_all()
    assert session.get(Broadcast, bid).status == "paused"
    assert len(session.exec(select(Outbox).where(Outbox.broadcast_id == bid)).all()) == 2
    session.rollback()
    edits = fake_tg.calls_of("editMessageText")
    assert "left: 2" in edits[0]["params"]["text"] and "paused" in edits[-1]["params"]["text"]


def test_a_bad_broadcast_command_gets_a_clear_message_and_changes_nothing(settings, session_factory, session,
                                                                          fake_tg):
    # given a manager linked to Telegram
    _link_staff(session, Role.manager, 4003)
    session.rollback()
    # when they tag an audience that does not exist
    feed(settings, session_factory, message_update(4003, "/broadcast #vip Hello"))
    # then they are told in Russian what is wrong, nothing is created, and nobody is alerted as for a crash
    assert fake_tg.sent(4003)[-1]["params"]["text"] == "Неизвестный сегмент аудитории."
    assert session.exec(select(Broadcast)).all() == []
    assert session.exec(select(ErrorReport)).all() == []


def test_photo_broadcast_from_the_bot(settings, session_factory, session, fake_tg):
    _link_staff(session, Role.owner, 4002)
    feed(settings, session_factory, message_update(4002, "/broadcast Look", photo=True))
    b = session.exec(select(Broadcast)).one()
    assert (b.photo, b.text) == ("PHOTO1", "Look")
    assert fake_tg.sent(4002)[0]["method"] == "sendPhoto"


def test_customers_and_sellers_cannot_use_staff_commands(settings, session_factory, session, fake_tg):
    # given a seller (no broadcast permission) and a plain customer
    _link_staff(session, Role.seller, 4003)
    # when they try /broadcast
    feed(settings, session_factory, message_update(4003, "/broadcast hi"), message_update(4004, "/broadcast hi"))
    # then nothing is created; they just get the menu
    assert session.exec(select(Broadcast)).all() == []
    assert "Не понял" in fake_tg.sent(4003)[0]["params"]["text"]


def test_reset_ui_sets_menu_button_and_queues_fresh_menus(settings, session_factory, session, fake_tg):
    # given an admin and three customers
    _link_staff(session, Role.admin, 4005)
    for _ in range(3):
        make_customer(session)
    session.rollback()
    # when the admin sends /reset_ui
    feed(settings, session_factory, message_update(4005, "/reset_ui"))
    # then the bot menu button opens the shop, commands are set, and each customer gets a fresh menu
    [button] = fake_tg.calls_of("setChatMenuButton")
    assert button["params"]["menu_button"]["web_app"]["url"] == "https://shop.example"
    assert len(fake_tg.calls_of("setMyCommands")) == 2
    rows = session.exec(select(Outbox).where(Outbox.kind == "reset_ui")).all()
    assert len(rows) == 3 and all(r.payload["buttons"][0][0]["web_app"] == "https://shop.example" for r in rows)
    assert "3" in fake_tg.sent(4005)[-1]["params"]["text"]


def _break(monkeypatch, owner, name: str, error: Exception) -> None:
    """``owner.name`` raises ``error`` whenever it is called."""
    def fail(*_a, **_k):
        raise error

    monkeypatch.setattr(owner, name, fail)


def _logged(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "bot_sidecar.errors"]


def test_handler_error_is_reported_once_and_user_gets_a_polite_message(settings, session_factory, session, fake_tg,
                                                                      monkeypatch, caplog):
    # given an owner linked to Telegram and a greeting that blows up (inside the /start service)
    owner = _link_staff(session, Role.owner, 4010)
    from smo_app.services.bot import menu

    _break(monkeypatch, menu, "greeting", RuntimeError("greeting exploded"))
    # when two users hit /start
    feed(settings, session_factory, message_update(4011, "/start"), message_update(4012, "/start", lang="en"))
    # then both get a polite message in their language
    assert "Простите" in fake_tg.sent(4011)[-1]["params"]["text"]
    assert "Sorry" in fake_tg.sent(4012)[-1]["params"]["text"]
    # and the error was logged with the update, the user and the FSM state
    first = _logged(caplog)[0]
    assert "user=4011" in first and "state=None" in first and '"text":"/start"' in first
    # and the owner is alerted once for this distinct error within the hour, as a bot error
    alerts = session.exec(select(Outbox).where(Outbox.kind == "error")).all()
    assert len(alerts) == 1 and alerts[0].chat_id == owner.telegram_id
    assert "greeting exploded" in alerts[0].payload["text"] and "Ошибка в боте" in alerts[0].payload["text"]
    assert session.exec(select(ErrorReport)).one().count == 2


def test_a_failure_in_the_handler_itself_is_reported_through_the_seam(settings, session_factory, session, fake_tg,
                                                                      monkeypatch, caplog):
    # given an owner linked to Telegram and a menu the handler's own code cannot draw
    owner = _link_staff(session, Role.owner, 4020)
    from bot_sidecar.handlers import menu

    _break(monkeypatch, menu, "_menu", KeyError("menu layout"))
    # when a user sends /menu
    feed(settings, session_factory, message_update(4021, "/menu", lang="en"))
    # then they get the polite message, and the failure is logged with the update
    assert "Sorry" in fake_tg.sent(4021)[-1]["params"]["text"]
    assert any("user=4021" in m and '"text":"/menu"' in m for m in _logged(caplog))
    # and the owner is told it was the bot, who wrote and where
    [alert] = session.exec(select(Outbox).where(Outbox.kind == "error")).all()
    assert alert.chat_id == owner.telegram_id and "menu layout" in alert.payload["text"]
    assert all(part in alert.payload["text"] for part in ("Ошибка в боте", "telegram user 4021", "@user4021"))


def test_error_reports_again_after_an_hour(session):
    from datetime import timedelta

    from smo_app.models.base import utcnow
    from smo_app.services.messaging.error_reports import note_error

    t0 = utcnow()
    assert note_error(session, key="k", summary="s", now=t0) is True
    assert note_error(session, key="k", summary="s", now=t0 + timedelta(minutes=59)) is False
    assert note_error(session, key="other", summary="s", now=t0 + timedelta(minutes=59)) is True
    assert note_error(session, key="k", summary="s", now=t0 + timedelta(minutes=61)) is True
