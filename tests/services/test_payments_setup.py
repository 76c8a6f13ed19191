"""The owner's transfer details and SBP link: validated all or nothing, audited, shown to the
customer on the order with the comment naming the order."""
from __future__ import annotations

import pytest
from sqlmodel import select

from smo_app.models.audit import AuditEntry
from smo_app.services.core.errors import DomainError, PermissionDenied
from smo_app.services.payments.core import payment_view
from smo_app.services.payments.setup import TransferIn, get_transfer, save_transfer
from tests.factories import make_staff
from tests.payments_support import customer_of, order_for, settings, shop

GOOD = dict(recipient="ИП Петрова А. А.", bank="Т-Банк", account="2202 2000 1234 5678",
            comment="Заказ №{order}", sbp_link="https://qr.nspk.ru/AS1000670LSS7DN18SJQDNP4B05KLJL2", review_minutes="20")


def test_the_owner_enters_transfer_details_and_the_customer_sees_them_on_the_order(session):
    owner = make_staff(session, "owner").actor()
    # when the owner saves the details
    saved = save_transfer(session, actor=owner, data=TransferIn(**GOOD))
    assert saved.account == "2202200012345678" and get_transfer(session, actor=owner).bank == "Т-Банк"
    [entry] = session.exec(select(AuditEntry).where(AuditEntry.action == "settings.payments_transfer")).all()
    assert entry.after["recipient"] == "ИП Петрова А. А."
    # then a customer's order shows them, the comment naming that order
    vid, customer = shop(session)
    order = order_for(session, vid, customer)
    view = payment_view(session, actor=customer_of(order), order_id=order.id, settings=settings())
    t = view.transfer
    assert (t.recipient, t.account, t.comment, t.review_minutes) == ("ИП Петрова А. А.", "2202200012345678",
                                                                    f"Заказ №{order.id}", 20)
    assert t.sbp_link.startswith("https://qr.nspk.ru/")
    # and with transfers switched off the order shows none
    off = payment_view(session, actor=customer_of(order), order_id=order.id,
                       settings=settings(payment_methods="yookassa"))
    assert off.transfer is None


@pytest.mark.parametrize("field, value, code", [
    ("account", "12ab", "payment.setup.account_invalid"),
    ("sbp_link", "http://qr.nspk.ru/x", "payment.setup.link_invalid"),
    ("comment", "Заказ {id}", "payment.setup.comment_invalid"),
    ("review_minutes", "0", "payment.setup.minutes_invalid"),
    ("recipient", "", "payment.setup.recipient_and_account"),
])
def test_bad_input_is_refused_by_field_and_changes_nothing(session, field, value, code):
    owner = make_staff(session, "owner").actor()
    save_transfer(session, actor=owner, data=TransferIn(**GOOD))
    with pytest.raises(DomainError) as err:
        save_transfer(session, actor=owner, data=TransferIn(**{**GOOD, "bank": "Другой", field: value}))
    assert err.value.code == code
    assert get_transfer(session, actor=owner).bank == "Т-Банк"


def test_only_the_owner_sets_them_up(session):
    admin = make_staff(session, "admin").actor()
    with pytest.raises(PermissionDenied):
        save_transfer(session, actor=admin, data=TransferIn(**GOOD))


# --------------------------------------------------------------------------- providers

YOO_SHOP, YOO_KEY = "506751", "test_Fh8hUAVVBGUGbjmlzba6TB0iyUbos_lueTHE-axOwM0"


@pytest.fixture
def yookassa_builder():
    """The composition root's builder, with YooKassa on its fake (whose keys are YOO_SHOP/YOO_KEY)."""
    import httpx

    from integrations.yookassa.client import YooKassaClient
    from integrations.yookassa.fake import FakeYooKassa
    from smo_app.services.core import ports

    fake = FakeYooKassa(shop_id=YOO_SHOP, secret_key=YOO_KEY)

    def build(method, s):
        if method != "yookassa" or not (s.yookassa_shop_id and s.yookassa_secret_key):
            return None
        return YooKassaClient(shop_id=s.yookassa_shop_id, secret_key=s.yookassa_secret_key.get_secret_value(),
                              base_url="http://yookassa.test", transport=httpx.MockTransport(fake.handle),
                              sleep=lambda _s: None)

    ports.use(ports.PAYMENT_BUILDER, build)
    yield fake
    ports.reset()


def _base(**env):
    """Settings as the environment gives them (``env`` = variables set there)."""
    from smo_app.settings import Settings

    return Settings(**env)


def test_keys_round_trip_encrypted_never_shown_whole_and_audited_without_them(session, yookassa_builder):
    from smo_app.models.shop import ShopSetting
    from smo_app.services.payments.setup import ProvidersIn, check_provider, configured, get_providers, save_providers

    owner = make_staff(session, "owner").actor()
    base = _base()
    # when the owner switches YooKassa and transfers on, with the shop's keys
    out = save_providers(session, actor=owner, settings=base, data=ProvidersIn(
        methods=["yookassa", "manual"], values={"yookassa_shop_id": YOO_SHOP, "yookassa_secret_key": YOO_KEY}))
    # then the screen shows the methods, the key only masked, and the webhook URL to paste
    assert out.methods == ["yookassa", "manual"]
    key = next(f for f in out.fields if f.name == "yookassa_secret_key")
    assert (key.set, key.masked, key.from_env) == (True, "••••OwM0", False)
    assert YOO_KEY not in out.model_dump_json()
    assert out.webhook_urls["yookassa"].endswith("/api/payments/yookassa/webhook")
    # stored encrypted, read back whole by the adapters
    stored = session.get(ShopSetting, "payments.providers").value
    assert YOO_KEY not in str(stored) and stored["yookassa_shop_id"] == YOO_SHOP
    _stamp, eff = configured(session, base)
    assert (eff.enabled_payment_methods, eff.yookassa_secret_key.get_secret_value()) == (("yookassa", "manual"), YOO_KEY)
    [entry] = session.exec(select(AuditEntry).where(AuditEntry.action == "settings.payments_providers")).all()
    assert YOO_KEY not in str(entry.after) and entry.after["keys_changed"] == ["yookassa_secret_key", "yookassa_shop_id"]
    # and "check connection" asks YooKassa, which knows the shop
    checked = check_provider(session, actor=owner, provider="yookassa", settings=base)
    assert (checked.account, checked.test) == (YOO_SHOP, True)
    assert get_providers(session, actor=owner, settings=base).methods == ["yookassa", "manual"]


def test_a_wrong_key_gives_the_providers_error_in_words(session, yookassa_builder):
    from smo_app.i18n import t
    from smo_app.services.payments.setup import ProvidersIn, check_provider, save_providers

    owner = make_staff(session, "owner").actor()
    save_providers(session, actor=owner, settings=_base(), data=ProvidersIn(
        methods=["yookassa"], values={"yookassa_shop_id": YOO_SHOP, "yookassa_secret_key": "test_wrongwrongwrong"}))
    with pytest.raises(DomainError) as err:
        check_provider(session, actor=owner, provider="yookassa", settings=_base())
    assert err.value.code == "payment.setup.check_failed"
    text = t(err.value.code, "en", **err.value.params)
    assert text.startswith("The provider did not accept the keys") and "Login or password incorrect" in text
    # a key that does not even look like one is refused before anything is stored
    with pytest.raises(DomainError) as err:
        save_providers(session, actor=owner, settings=_base(), data=ProvidersIn(
            methods=["yookassa"], values={"yookassa_secret_key": "my password"}))
    assert (err.value.code, err.value.params["field"]) == ("payment.setup.key_invalid", "yookassa_secret_key")


def test_the_environment_wins_where_set(session, yookassa_builder):
    from smo_app.services.payments.setup import ProvidersIn, configured, get_providers, save_providers

    owner = make_staff(session, "owner").actor()
    env = _base(payment_methods="manual", yookassa_secret_key="test_fromtheenvironment1")
    save_providers(session, actor=owner, settings=env, data=ProvidersIn(
        methods=["yookassa", "stripe"], values={"yookassa_shop_id": YOO_SHOP, "yookassa_secret_key": YOO_KEY}))
    _stamp, eff = configured(session, env)
    assert eff.enabled_payment_methods == ("manual",)
    assert eff.yookassa_secret_key.get_secret_value() == "test_fromtheenvironment1" and eff.yookassa_shop_id == YOO_SHOP
    out = get_providers(session, actor=owner, settings=env)
    assert out.methods_from_env and next(f for f in out.fields if f.name == "yookassa_secret_key").from_env


def test_fiscal_receipts_chosen_once_carry_the_tax_system_and_the_customers_phone(session):
    from smo_app.models.payments import Payment
    from smo_app.services.payments import providers
    from smo_app.services.payments.core import start_payment
    from smo_app.services.payments.setup import ProvidersIn, save_providers
    from tests.payments_support import yookassa

    owner = make_staff(session, "owner").actor()
    fake, client = yookassa(receipts=True)
    providers.use_port("yookassa", client)
    try:
        # when the owner turns receipts on once: VAT 20 %, simplified taxation (income)
        with pytest.raises(DomainError) as err:
            save_providers(session, actor=owner, settings=_base(), data=ProvidersIn(
                methods=["yookassa"], receipts=True, vat_code="4"))
        assert err.value.code == "payment.setup.tax_system_required"
        save_providers(session, actor=owner, settings=_base(), data=ProvidersIn(
            methods=["yookassa"], receipts=True, vat_code="4", tax_system_code="2"))
        # and a customer pays an order placed with their phone
        vid, customer = shop(session)
        order = order_for(session, vid, customer, phone="+79161234567")
        start_payment(session, actor=customer_of(order), order_id=order.id, provider="yookassa",
                      settings=settings(payment_methods="yookassa"))
        # then YooKassa got the receipt: the phone, VAT code 4 on every line, tax system 2
        receipt = fake.bodies[0]["receipt"]
        assert receipt["customer"] == {"phone": "+79161234567"} and receipt["tax_system_code"] == 2
        assert {item["vat_code"] for item in receipt["items"]} == {4}
        # when YooKassa refuses the receipt, the payment says why (staff see it in Payments)
        other = order_for(session, vid, customer, phone="+79161234567")
        fake.receipts_refused = True
        with pytest.raises(DomainError) as err:
            start_payment(session, actor=customer_of(other), order_id=other.id, provider="yookassa",
                          settings=settings(payment_methods="yookassa"))
        session.expire_all()
        row = session.exec(select(Payment).where(Payment.order_id == other.id)).one()
        assert (row.status, row.failure) == ("canceled", err.value.code)
    finally:
        providers.reset_ports()


def test_check_connection_uses_the_keys_typed_before_saving_and_falls_back_to_the_saved_ones(session, yookassa_builder):
    from smo_app.services.payments.setup import ProvidersIn, check_provider, save_providers

    owner = make_staff(session, "owner").actor()
    # given nothing saved yet: the owner types the keys and presses "check"
    typed = {"yookassa_shop_id": YOO_SHOP, "yookassa_secret_key": YOO_KEY}
    checked = check_provider(session, actor=owner, provider="yookassa", values=typed, settings=_base())
    assert (checked.account, checked.test) == (YOO_SHOP, True)
    # a typed key of the wrong shape is named, before anything is asked
    with pytest.raises(DomainError) as err:
        check_provider(session, actor=owner, provider="yookassa", values={"yookassa_secret_key": "pass"}, settings=_base())
    assert (err.value.code, err.value.params["field"]) == ("payment.setup.key_invalid", "yookassa_secret_key")
    # once saved, a wrong key typed over it is what is checked; an empty field falls back to the saved one
    save_providers(session, actor=owner, settings=_base(), data=ProvidersIn(methods=["yookassa"], values=typed))
    with pytest.raises(DomainError) as err:
        check_provider(session, actor=owner, provider="yookassa", settings=_base(),
                       values={"yookassa_secret_key": "test_wrongwrongwrong", "yookassa_shop_id": ""})
    assert err.value.code == "payment.setup.check_failed"
    assert check_provider(session, actor=owner, provider="yookassa", settings=_base(),
                          values={"yookassa_secret_key": " "}).account == YOO_SHOP


def test_check_connection_for_telegram_asks_the_bot_and_reads_the_provider_token(session):
    import httpx

    from integrations.telegram_payments.client import TelegramPaymentsClient
    from smo_app.services.core import ports
    from smo_app.services.payments.setup import check_provider

    def bot_api(request: httpx.Request) -> httpx.Response:
        assert request.url.path.endswith("/getMe")
        return httpx.Response(200, json={"ok": True, "result": {"id": 4242, "is_bot": True, "username": "smo_shop_bot"}})

    def build(method, s):
        if method != "telegram" or s.bot_token is None or s.telegram_payments_provider_token is None:
            return None
        return TelegramPaymentsClient(bot_token=s.bot_token.get_secret_value(), api_base="http://bot.test",
                                      provider_token=s.telegram_payments_provider_token.get_secret_value(),
                                      transport=httpx.MockTransport(bot_api))

    owner = make_staff(session, "owner").actor()
    ports.use(ports.PAYMENT_BUILDER, build)
    try:
        # without the shop's bot token Telegram payments cannot work: said in words
        with pytest.raises(DomainError) as err:
            check_provider(session, actor=owner, provider="telegram", settings=_base(bot_token=None),
                           values={"telegram_payments_provider_token": "381764678:TEST:NjA0NTFj"})
        assert err.value.code == "payment.setup.bot_token_missing"
        with_bot = _base(bot_token="123456:AAtestTokenOfTheShopBot")
        # a provider token that is not one
        with pytest.raises(DomainError) as err:
            check_provider(session, actor=owner, provider="telegram", settings=with_bot,
                           values={"telegram_payments_provider_token": "my-token"})
        assert err.value.code == "payment.setup.key_invalid"
        # a test token from BotFather's payments menu: the bot answers, and it is a test one
        checked = check_provider(session, actor=owner, provider="telegram", settings=with_bot,
                                 values={"telegram_payments_provider_token": "381764678:TEST:NjA0NTFj"})
        assert (checked.account, checked.test) == ("@smo_shop_bot", True)
    finally:
        ports.reset()
