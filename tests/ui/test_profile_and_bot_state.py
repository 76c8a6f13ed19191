"""Staff profile (Telegram link) and the broadcasts page's bot state, run as Reflex would call the handlers."""
from __future__ import annotations

from smo_app.models.staff import Role
from smo_app.services.messaging import presence
from smo_app.services.staff import auth, telegram_link
from tests.factories import PASSWORD, PIN, make_staff
from tests.ui.support import _call, _state


def test_backoffice_profile_links_and_unlinks_telegram(db):  # noqa: F811
    from smo_app.state.profile import ProfileState

    make_staff(db, Role.manager, username="mia")
    s = _state(ProfileState)
    s.bo_token = auth.sign_in_password(db, username="mia", password=PASSWORD).token
    # given a manager without Telegram opening their profile
    _call(s, "load_backoffice")
    assert s.linked is False
    # when they ask for a code, then they get the command and the deep link for the bot
    _call(s, "get_code")
    assert s.code_command.startswith("/start staff_") and s.code_until
    assert s.deep_link == f"https://t.me/smo_demo_bot?start={s.code_command.split()[1]}"
    # when the bot receives it and they press "check", then the profile shows the link
    telegram_link.bind_telegram(db, code=s.code_command.split("staff_")[1], telegram_id=2_000_000_001)
    _call(s, "refresh")
    assert s.linked is True and s.telegram_id == "2000000001" and s.code_command == ""
    # when they unlink, then it is gone and they are told so
    _call(s, "unlink")
    assert s.linked is False and s.notice and s.message == ""


def test_pos_profile_gives_a_seller_a_code(db):  # noqa: F811
    from smo_app.state.profile import ProfileState

    make_staff(db, Role.seller, username="sam")
    s = _state(ProfileState)
    s.pos_token = auth.sign_in_pin(db, username="sam", pin=PIN).token
    _call(s, "load_pos")
    _call(s, "get_code")
    assert s.message == "" and s.code_command.startswith("/start staff_")


def test_broadcasts_page_says_whether_the_bot_runs_and_polls_only_while_sending(db):  # noqa: F811
    from smo_app.models.customer import Customer
    from smo_app.state.broadcasts import BroadcastsState

    make_staff(db, Role.owner, username="own")
    db.add(Customer(telegram_id=123, full_name="C"))
    db.commit()
    s = _state(BroadcastsState)
    s.bo_token = auth.sign_in_password(db, username="own", password=PASSWORD).token
    # given no bot sidecar: the page says it is not running, nothing is live
    _call(s, "create", {"text": "Hello", "days": ""})
    assert s.bot_state == "not_running" and s.live is False
    # when the draft is started: live, and its progress says it waits for the bot instead of an estimate
    _call(s, "start", s.lines[0]["id"])
    assert s.live is True and "ждёт бота" in s.lines[0]["progress"] and "~" not in s.lines[0]["progress"]
    # when the sidecar beats without a token: offline; with one: online with an estimate
    presence.beat(db, instance="side", mode="offline")
    _call(s, "refresh")
    assert s.bot_state == "offline"
    presence.beat(db, instance="side", mode="online")
    _call(s, "refresh")
    assert s.bot_state == "online" and "~1 s" in s.lines[0]["progress"]
    # and the buttons follow the service's rules for a running broadcast
    line = s.lines[0]
    assert (line["can_start"], line["can_pause"], line["can_resume"], line["can_cancel"]) == (False, True, False, True)
