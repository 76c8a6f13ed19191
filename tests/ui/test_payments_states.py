"""The payments page state (owner acts, manager reads) and the Mini App's payment step state."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from sqlmodel import select

from smo_app.models.orders import Order
from smo_app.models.payments import Payment
from smo_app.models.staff import Role
from smo_app.services.core.actor import Actor
from smo_app.services.customers.telegram_init_data import sign_init_data
from smo_app.services.payments import providers
from smo_app.services.payments.core import apply_provider_payment, start_payment
from smo_app.services.sales import orders
from smo_app.services.staff import auth
from smo_app.settings import reset_settings_cache
from tests.commerce_factories import SYSTEM
from tests.factories import PASSWORD, make_staff
from tests.payments_support import order_for, settings, shop, use_fakes
from tests.ui.support import _call, _state

rx = pytest.importorskip("reflex")
BOT_TOKEN = "123456:AAtestTokenOfTheShopBot"


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    monkeypatch.setenv("SMO_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SMO_PAYMENT_METHODS", "yookassa,manual")
    reset_settings_cache()
    yoo, _ = use_fakes()
    yield yoo
    providers.reset_ports()


def _admin_state(db, role: Role, username: str):
    from smo_app.state.payments_admin import PaymentsAdminState

    make_staff(db, role, username=username)
    s = _state(PaymentsAdminState)
    s.bo_token = auth.sign_in_password(db, username=username, password=PASSWORD).token
    s.lang = "en"
    return s


def _late_payment(db):
    from tests.services.test_payments import _paid_fact

    vid, customer = shop(db)
    order = order_for(db, vid, customer)
    payment = start_payment(db, actor=Actor.customer(customer.id), order_id=order.id, provider="yookassa",
                            settings=settings())
    orders.cancel_order(db, actor=SYSTEM, order_id=order.id, reason="late")
    apply_provider_payment(db, provider="yookassa", fact=_paid_fact(payment))
    db.commit()
    return order, payment


def test_an_owner_refunds_a_payment_not_credited_and_a_manager_only_reads(db):
    order, payment = _late_payment(db)
    manager = _admin_state(db, Role.manager, "max")
    _call(manager, "load")
    assert [r["id"] for r in manager.rows] == [payment.id] and manager.rows[0]["status"] == "Not credited"
    assert len(manager.letters) == 1 and not manager.can_manage
    # the letter reads in words: the method's name, the amount as the shop writes it, the order's number
    letter = manager.letters[0]
    assert letter["provider"] == "YooKassa" and letter["detail"].startswith("YooKassa: payment ")
    assert f"order No. {order.id}" in letter["detail"] and "₽" in letter["detail"] and "RUB" not in letter["detail"]
    owner = _admin_state(db, Role.owner, "olga")
    _call(owner, "load")
    assert owner.can_manage and owner.letters[0]["refundable"]
    db.rollback()
    out = _call(owner, "resolve", {"id": str(owner.letters[0]["id"]), "action": "refund", "note": ""})
    assert "Give a reason" in str(out)
    _call(owner, "resolve", {"id": str(owner.letters[0]["id"]), "action": "refund", "note": "paid after cancel"})
    assert owner.letters == [] and owner.rows[0]["status"] == "Refunded"
    _call(owner, "set_status_filter", "succeeded")
    assert owner.rows == []


def test_the_reconciliation_log_shows_the_refunds_a_pass_settled(db, _env):
    from datetime import timedelta

    from smo_app.models.base import utcnow
    from smo_app.models.payments import Refund
    from smo_app.services.messaging.outbox_tasks import Task
    from smo_app.services.payments.refunds import refund_payment, run_refund_task
    from tests.services.test_payments import _paid_fact

    yoo = _env
    yoo.refunds_pending = True
    # given a paid order and a refund YooKassa left pending 15 minutes ago, finished since
    vid, customer = shop(db)
    order = order_for(db, vid, customer)
    payment = start_payment(db, actor=Actor.customer(customer.id), order_id=order.id, provider="yookassa",
                            settings=settings())
    yoo.pay(payment.provider_payment_id)
    apply_provider_payment(db, provider="yookassa", fact=_paid_fact(payment))
    db.commit()
    admin = make_staff(db, Role.admin, username="ada").actor()
    refund = refund_payment(db, actor=admin, order_id=order.id, amount_minor=10000, reason="damaged",
                            now=utcnow() - timedelta(minutes=15))
    run_refund_task(db, Task(id=1, kind="payment.refund", payload={"refund_id": refund.id}, attempts=1))
    db.commit()
    yoo.settle_refund(db.get(Refund, refund.id).provider_refund_id)
    db.rollback()
    # when the owner runs reconciliation from the page
    owner = _admin_state(db, Role.owner, "olga")
    _call(owner, "run_reconcile")
    # then the log's newest pass shows one refund checked and settled
    assert (owner.runs[0]["refunds_checked"], owner.runs[0]["refunds_done"], owner.runs[0]["errors"]) == (1, 1, 0)


def _init_data(user_id: int) -> str:
    return sign_init_data({"user": json.dumps({"id": user_id, "first_name": "Olga", "language_code": "ru"}),
                           "auth_date": str(int(datetime.now(timezone.utc).timestamp()))}, bot_token=BOT_TOKEN)


def _on_payment_step(db, telegram_id: int):
    """A customer signed in through Telegram, on the payment step of their new order: (state, order)."""
    from smo_app.models.customer import Customer
    from smo_app.state.storefront_payment import StorefrontPaymentState

    s = _state(StorefrontPaymentState)
    _call(s.parent_state, "sign_in_with_telegram", _init_data(telegram_id))
    customer = db.exec(select(Customer).where(Customer.telegram_id == telegram_id)).one()
    vid, _ = shop(db)
    order = order_for(db, vid, customer)
    db.rollback()
    _call(s, "open_payment", order.id)
    return s, order


def test_the_payment_step_lists_enabled_methods_and_starts_a_payment(db, _env):
    s, order = _on_payment_step(db, 7_700_000_001)
    assert [m["key"] for m in s.pay_methods] == ["yookassa", "manual"] and s.pay_method == "yookassa"
    assert "1" in s.pay_total and s.pay_status == ""
    events = _call(s, "pay")
    assert s.pay_status == "waiting" and events
    [payment] = db.exec(select(Payment)).all()
    assert payment.order_id == order.id and payment.provider == "yookassa"
    db.rollback()
    _call(s, "invoice_closed", "cancelled")
    assert s.pay_status == "cancelled" and s.pay_message == s.text("ui.pay.cancelled")


def test_someone_elses_order_shows_an_error_and_nothing_else(db):
    from smo_app.state.storefront_payment import StorefrontPaymentState

    vid, owner = shop(db)
    order = order_for(db, vid, owner)
    db.rollback()
    s = _state(StorefrontPaymentState)
    _call(s.parent_state, "sign_in_with_telegram", _init_data(7_700_000_002))
    _call(s, "open_payment", order.id)
    assert s.pay_order_id == 0 and s.pay_message
    assert db.get(Order, order.id).status == "new"


def test_a_picked_screenshot_is_sent_by_the_page_and_its_answer_shown(db, _env):
    from smo_app.state.storefront_payment import PROOF_INPUT

    # given a customer on their order's payment step
    s, order = _on_payment_step(db, 7_700_000_003)
    # when a file is picked: the page is asked to send it for this order, the step shows it is busy
    events = _call(s, "send_proof", "C:\\fakepath\\transfer.png")
    assert s.pay_busy and events and f"uploadProof({order.id}, '{PROOF_INPUT}')" in str(events)
    # when the upload refuses it: the reason is shown, the step is free again
    _call(s, "proof_uploaded", {"ok": False, "message": "An image is needed"})
    assert (s.pay_busy, s.pay_status, s.pay_message) == (False, "", "An image is needed")
    # when the network fails: a general message, never an empty one
    _call(s, "proof_uploaded", None)
    assert s.pay_message == s.text("common.unexpected_error")
    # when it is accepted: the step says the manager will check it, and watches the order
    events = _call(s, "proof_uploaded", {"ok": True})
    assert (s.pay_status, s.pay_message) == ("proof_sent", s.text("ui.pay.proof_review", minutes=30)) and events


def test_the_transfer_details_sum_and_sbp_qr_are_shown_and_a_sent_screenshot_survives_reopening(db, _env):
    from smo_app.services.payments.manual import submit_proof
    from smo_app.services.payments.setup import TransferIn, save_transfer

    owner = make_staff(db, Role.owner).actor()
    save_transfer(db, actor=owner, data=TransferIn(recipient="ИП Петрова", bank="Т-Банк", account="+7 900 000-00-00",
                                                   sbp_link="https://qr.nspk.ru/AS1000670LSS7DN18", review_minutes=20))
    # given a customer on their order's payment step
    s, order = _on_payment_step(db, 7_700_000_004)
    # then the transfer details are there with the comment naming the order, the SBP QR, and a deadline
    t = s.pay_transfer
    assert (t["recipient"], t["account"], t["comment"]) == ("ИП Петрова", "+79000000000", f"Заказ №{order.id}")
    assert t["sbp_qr"].startswith("data:image/svg+xml;base64,") and "мин" in s.pay_deadline
    # when the screenshot was sent and the order is opened again (a fresh screen)
    submit_proof(db, actor=Actor.customer(order.customer_id), order_id=order.id, filename="p.png",
                 content=b"\x89PNG\r\n\x1a\n" + b"\0" * 32, settings=settings())
    s.pay_status, s.pay_message = "", ""
    events = _call(s, "open_payment", order.id)
    # then it says the screenshot is under review (no method picker, no deadline), and watches the order
    assert (s.pay_status, s.pay_message) == ("proof_sent", s.text("ui.pay.proof_review", minutes=20)) and events
    assert s.pay_deadline == ""


def test_the_owner_sees_the_set_up_tab_saves_keys_masked_and_a_manager_does_not(db, monkeypatch):
    from smo_app.services.core import ports
    from smo_app.state.payments_setup import PaymentsSetupState

    monkeypatch.delenv("SMO_PAYMENT_METHODS", raising=False)
    reset_settings_cache()
    make_staff(db, Role.owner, username="olga")
    s = _state(PaymentsSetupState)
    s.bo_token = auth.sign_in_password(db, username="olga", password=PASSWORD).token
    s.lang = "en"
    _call(s, "load_setup")
    assert s.allowed and [m["key"] for m in s.methods if m["on"]] == ["manual"]
    # when the owner turns YooKassa on with its keys
    _call(s, "save_providers", {"m_yookassa": "on", "m_manual": "on", "yookassa_shop_id": "506751",
                                "yookassa_secret_key": "test_abcdefgh12345678"})
    # then the key is shown masked, the methods are on, and the webhook URL is there to paste
    assert s.setup_error == "" and [m["key"] for m in s.methods if m["on"]] == ["yookassa", "manual"]
    assert next(k for k in s.keys if k["name"] == "yookassa_secret_key")["state"] == "••••5678"
    assert any(w["url"].endswith("/api/payments/yookassa/webhook") for w in s.webhooks)
    # when the check cannot reach YooKassa with those keys, it says so in words
    ports.use(ports.PAYMENT_BUILDER, lambda method, settings: None)
    try:
        _call(s, "check", "yookassa")
    finally:
        ports.reset()
    assert not s.check_ok and s.check_result == "Enter the keys first."
    # a manager does not get the tab
    make_staff(db, Role.manager, username="masha")
    m = _state(PaymentsSetupState)
    m.bo_token = auth.sign_in_password(db, username="masha", password=PASSWORD).token
    _call(m, "load_setup")
    assert not m.allowed and m.keys == []


def test_check_connection_on_the_set_up_tab_uses_the_keys_just_typed(db, monkeypatch):
    import httpx

    from integrations.yookassa.client import YooKassaClient
    from integrations.yookassa.fake import FakeYooKassa
    from smo_app.services.core import ports
    from smo_app.state.payments_setup import PaymentsSetupState

    monkeypatch.delenv("SMO_PAYMENT_METHODS", raising=False)
    reset_settings_cache()
    fake = FakeYooKassa(shop_id="506751", secret_key="test_abcdefgh12345678")

    def build(method, s):
        if method != "yookassa" or not (s.yookassa_shop_id and s.yookassa_secret_key):
            return None
        return YooKassaClient(shop_id=s.yookassa_shop_id, secret_key=s.yookassa_secret_key.get_secret_value(),
                              base_url="http://yookassa.test", transport=httpx.MockTransport(fake.handle))

    make_staff(db, Role.owner, username="olga")
    s = _state(PaymentsSetupState)
    s.bo_token = auth.sign_in_password(db, username="olga", password=PASSWORD).token
    s.lang = "en"
    _call(s, "load_setup")
    ports.use(ports.PAYMENT_BUILDER, build)
    try:
        # when the owner types the shop id and key (not saved) and presses "check"
        _call(s, "remember_key", "yookassa_shop_id", "506751")
        _call(s, "remember_key", "yookassa_secret_key", "test_abcdefgh12345678")
        _call(s, "check", "yookassa")
    finally:
        ports.reset()
    # then YooKassa answered for those keys, in words — and nothing was saved
    assert s.check_ok and "506751" in s.check_result
    assert next(k for k in s.keys if k["name"] == "yookassa_secret_key")["state"] == "not set"


def test_the_payments_screen_offers_to_restore_a_cancelled_order_whose_money_came_or_says_why_not(db):
    from smo_app.models.catalog import Variant
    from smo_app.models.orders import OrderLine
    from smo_app.services.stock import ledger

    order, payment = _late_payment(db)
    owner = _admin_state(db, Role.owner, "olga")
    _call(owner, "load")
    # given the goods are still there: "restore" is offered, nothing says it cannot be
    [letter] = owner.letters
    assert letter["can_restore"] and letter["restore_why_not"] == ""
    # when the owner restores the order
    _call(owner, "resolve", {"id": str(letter["id"]), "action": "restore", "note": "the customer still wants it"})
    # then it is paid again and the payment credited
    db.expire_all()
    assert db.get(Order, order.id).status == "paid" and db.get(Payment, payment.id).status == "succeeded"
    db.rollback()
    assert owner.letters == []
    # and when another late payment's goods are gone, the screen says why it cannot be restored
    other, _ = _late_payment(db)
    vid = db.exec(select(OrderLine.variant_id).where(OrderLine.order_id == other.id)).one()
    left = db.exec(select(Variant.qty).where(Variant.id == vid)).one()
    ledger.apply_move(db, actor=SYSTEM, variant_id=vid, delta=-left, kind="sale")
    db.commit()
    _call(owner, "load")
    [letter] = owner.letters
    assert not letter["can_restore"] and letter["refundable"]
    assert letter["restore_why_not"].startswith("Cannot restore. The goods are no longer in stock")
