"""POS approvals answered in Telegram: raw callback_query updates against the fake Bot API."""
from __future__ import annotations

from sqlmodel import select

from smo_app.models.pos import PosApproval, PosRegister
from smo_app.models.staff import Role
from smo_app.services.core.audit import list_entries
from smo_app.services.pos import approvals, cart, shifts
from smo_app.services.staff import accounts
from tests.bot.conftest import callback_update, feed
from tests.commerce_factories import SYSTEM, make_product, variant_id
from tests.factories import make_staff

MANAGER_TG = 6_000_000_000_001  # 64-bit
SELLER_TG = 6_000_000_000_002


def _pending_request(session) -> int:
    reg = session.exec(select(PosRegister)).first() or PosRegister(name="Касса 1")
    session.add(reg)
    session.commit()
    seller = make_staff(session, Role.seller)
    accounts.set_telegram_id(session, actor=SYSTEM, staff_id=seller.id, telegram_id=SELLER_TG)
    shifts.open_shift(session, actor=seller.actor(), register_id=reg.id, float_minor=0)
    vid = variant_id(make_product(session, price_minor=100000, qty=3))
    cart.add_item(session, actor=seller.actor(), register_id=reg.id, variant_id=vid)
    cart.set_line_discount(session, actor=seller.actor(), register_id=reg.id, variant_id=vid, pct=25)
    return approvals.request_approval(session, actor=seller.actor(), register_id=reg.id).id


def _status(session, approval_id: int) -> tuple[str, str]:
    session.expire_all()
    a = session.get(PosApproval, approval_id)
    return a.status, a.decided_by_name


def test_a_manager_approves_with_the_button_and_a_second_press_changes_nothing(settings, session_factory, session,
                                                                                fake_tg):
    # given a pending request and a manager with a linked Telegram
    manager = make_staff(session, Role.manager)
    accounts.set_telegram_id(session, actor=SYSTEM, staff_id=manager.id, telegram_id=MANAGER_TG)
    approval_id = _pending_request(session)
    # when the manager presses Approve, then Deny on the same message
    feed(settings, session_factory, callback_update(MANAGER_TG, f"pa:{approval_id}:yes"),
         callback_update(MANAGER_TG, f"pa:{approval_id}:no"))
    # then the request is approved in the manager's name, once
    assert _status(session, approval_id) == ("approved", manager.full_name)
    answers = fake_tg.calls_of("answerCallbackQuery")
    assert len(answers) == 2
    assert "Разрешено" in answers[0]["params"]["text"]
    assert "уже ответили" in answers[1]["params"]["text"]
    decided = [e for e in list_entries(session, actor=SYSTEM, action="pos.approval_").rows
               if e.action in ("pos.approval_approved", "pos.approval_denied")]
    assert len(decided) == 1 and decided[0].actor_name == manager.full_name
    assert fake_tg.calls_of("editMessageReplyMarkup")  # the buttons are taken off the message


def test_a_manager_denies(settings, session_factory, session, fake_tg):
    manager = make_staff(session, Role.admin)
    accounts.set_telegram_id(session, actor=SYSTEM, staff_id=manager.id, telegram_id=MANAGER_TG)
    approval_id = _pending_request(session)
    feed(settings, session_factory, callback_update(MANAGER_TG, f"pa:{approval_id}:no"))
    assert _status(session, approval_id) == ("denied", manager.full_name)


def test_only_managers_and_above_can_answer(settings, session_factory, session, fake_tg):
    # given a pending request; when a seller (linked) and a stranger press Approve
    approval_id = _pending_request(session)
    feed(settings, session_factory, callback_update(SELLER_TG, f"pa:{approval_id}:yes"),
         callback_update(424242, f"pa:{approval_id}:yes"))
    # then nothing changes and both are told they may not
    assert _status(session, approval_id) == ("pending", "")
    answers = fake_tg.calls_of("answerCallbackQuery")
    assert len(answers) == 2 and all(a["params"].get("show_alert") for a in answers)
