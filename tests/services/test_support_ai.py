"""The AI assistant against a fake OpenAI-compatible server (the official SDK over real HTTP):
answers name only catalog facts (an out-of-stock product is never offered as available), keys fail
over (401 → invalid, 429 → rests for its Retry-After), with every key dead or the endpoint down or
slow the offline answerer answers and the owner is alerted, and the model's "I cannot answer"
hands the ticket to a person; tokens are recorded on the ticket."""
from __future__ import annotations

import pytest
from sqlmodel import select

from integrations.fakeserver import LocalServer
from integrations.openai_compat.fake import FakeOpenAI
from smo_app.models.outbox import Outbox
from smo_app.models.staff import Role, Staff
from smo_app.models.support import SupportTicket
from smo_app.services.core.actor import Actor
from smo_app.services.customers.registration import TelegramProfile
from smo_app.services.support import assistant, settings as support_settings, tickets
from smo_app.services.support.ai_keys import RING
from tests.commerce_factories import make_product
from tests.factories import make_customer, make_staff


@pytest.fixture
def fake_ai():
    fake = FakeOpenAI()
    with LocalServer(fake.handle) as server:
        fake.base_url = server.base_url + "/v1"
        yield fake
    RING.forget()


@pytest.fixture
def shop(session, fake_ai):
    owner = make_staff(session, Role.owner)
    session.get(Staff, owner.id).telegram_id = 9_600_000_001
    session.commit()
    support_settings.save_settings(session, actor=owner.actor(), faq="Доставка: курьером за 1–2 дня.",
                                   ai_base_url=fake_ai.base_url, ai_model="llama-3.3-70b-versatile", chat_id="",
                                   timeout_min=15, new_keys="key-1, key-2, key-3")
    return owner


def _ask(session, customer, text):
    sender = TelegramProfile(telegram_id=customer.telegram_id, username=customer.username, full_name=customer.full_name)
    wrote = tickets.customer_writes(session, actor=Actor.customer(customer.id), sender=sender, lang="ru", text=text)
    if wrote.answered_by != "pending_ai":
        return wrote.answered_by, None
    partial: list[str] = []
    out = assistant.ai_answer(session, actor=Actor.customer(customer.id), ticket_id=wrote.ticket_id, question=text,
                              lang="ru", on_text=partial.append)
    return out.by, (out.text, partial, wrote.ticket_id)


def _sent_to(session, chat_id) -> list[str]:
    session.expire_all()
    return [r.payload.get("text", "") for r in session.exec(select(Outbox).where(Outbox.chat_id == chat_id)
                                                           .order_by(Outbox.id)).all()]


def test_the_answer_names_only_catalog_facts_and_never_offers_what_is_out_of_stock(session, shop, fake_ai):
    make_product(session, name="Свеча Лаванда", price_minor=90000, qty=4)
    make_product(session, name="Диффузор Лаванда", price_minor=150000, qty=0)
    customer = make_customer(session)
    by, (text, partial, ticket_id) = _ask(session, customer, "Что есть с лавандой?")
    # then the model looked the products up and answered from what the tool said
    assert by == "ai"
    assert [c["body"]["messages"][-1]["role"] for c in fake_ai.calls] == ["user", "tool"]
    normal = text.replace("\xa0", " ")
    assert "Свеча Лаванда — 900 ₽, в наличии 4" in normal and "Диффузор Лаванда — 1 500 ₽, нет в наличии" in normal
    assert "Диффузор Лаванда — 1 500 ₽, в наличии" not in normal
    # the answer streamed (growing previews) and went to the customer through the outbox
    assert partial and partial[-1] == text and len(partial) > 1
    assert _sent_to(session, customer.telegram_id)[-1] == text
    ticket = session.get(SupportTicket, ticket_id)
    assert ticket.tokens_in > 0 and ticket.tokens_out > 0
    # and the Support area shows the month's total
    from smo_app.services.support import admin

    page = admin.queue(session, actor=shop.actor(), state="ai")
    assert page.tokens_month == ticket.tokens_in + ticket.tokens_out


def test_keys_fail_over_401_is_invalid_and_429_rests(session, shop, fake_ai):
    make_product(session, name="Мыло Мёд", qty=2)
    fake_ai.key_status.update({"key-1": (401, None), "key-2": (429, 30)})
    customer = make_customer(session)
    by, _ = _ask(session, customer, "Есть мыло?")
    assert by == "ai"
    assert fake_ai.keys_used()[:3] == ["key-1", "key-2", "key-3"]
    # when the next question comes, only the third key is tried
    fake_ai.calls.clear()
    _ask(session, customer, "А мёд?")
    assert set(fake_ai.keys_used()) == {"key-3"}


def test_every_key_dead_falls_back_to_the_offline_answer_and_alerts_the_owner(session, shop, fake_ai):
    make_product(session, name="Свеча Кедр", price_minor=50000, qty=3)
    for key in ("key-1", "key-2", "key-3"):
        fake_ai.key_status[key] = (403, None)
    customer = make_customer(session)
    by, _ = _ask(session, customer, "Свеча кедр есть?")
    assert by == "offline"
    assert "в наличии 3" in _sent_to(session, customer.telegram_id)[-1]
    [alert] = _sent_to(session, 9_600_000_001)
    assert "ключи" in alert.lower()
    # and a second question does not alert again within the hour
    _ask(session, customer, "А свеча кедр большая?")
    assert len(_sent_to(session, 9_600_000_001)) == 1


def test_a_server_error_or_a_slow_endpoint_gets_the_offline_answer(session, shop, fake_ai, monkeypatch):
    make_product(session, name="Свеча Роза", qty=1)
    customer = make_customer(session)
    fake_ai.fail_next(1, 500)
    assert _ask(session, customer, "Роза есть?")[0] == "offline"
    monkeypatch.setattr(assistant, "TIMEOUT_SECONDS", 0.5)
    fake_ai.delay = 2.0
    assert _ask(session, customer, "А свеча роза?")[0] == "offline"
    assert _sent_to(session, 9_600_000_001) == []  # the keys are fine: no alert


def test_when_the_facts_do_not_answer_the_model_hands_over_and_asking_twice_does_too(session, shop, fake_ai):
    customer = make_customer(session)
    by, _ = _ask(session, customer, "Какая погода на Марсе?")
    assert by == "escalated"
    ticket = session.exec(select(SupportTicket)).one()
    assert (ticket.state, ticket.escalation_reason) == ("needs_operator", "unknown")
    # a second customer asking the same twice is handed over without asking the model again
    other = make_customer(session)
    make_product(session, name="Свеча Мята", qty=2)
    _ask(session, other, "Свеча мята есть?")
    calls = len(fake_ai.calls)
    assert _ask(session, other, "свеча мята есть?")[0] == "escalated"
    assert len(fake_ai.calls) == calls


def test_someone_elses_ticket_is_refused(session, shop, fake_ai):
    a, b = make_customer(session), make_customer(session)
    sender = TelegramProfile(telegram_id=a.telegram_id)
    wrote = tickets.customer_writes(session, actor=Actor.customer(a.id), sender=sender, lang="ru", text="Привет, свечи?")
    from smo_app.services.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        assistant.ai_answer(session, actor=Actor.customer(b.id), ticket_id=wrote.ticket_id, question="x", lang="ru")
