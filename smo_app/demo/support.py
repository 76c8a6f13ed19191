"""Support in the demo shop: the owner's answers to common questions, and a few tickets in each
state — one the assistant answered from the catalog, one waiting for an operator with a photo of a
damaged parcel, one a manager is answering, and one in the archive. Made through the services, as
customers and staff would. Under ``make run`` the assistant then answers through the demo's
OpenAI-compatible fake (``integrations.demo_fakes``); elsewhere the offline answerer does."""
from __future__ import annotations

from sqlmodel import Session, select

from smo_app.models.customer import Customer
from smo_app.models.staff import Staff
from smo_app.models.support import SupportTicket
from smo_app.services.core.actor import Actor
from smo_app.services.customers.registration import TelegramProfile
from smo_app.services.staff.dto import StaffOut
from integrations.openai_compat.fake import DEMO_KEY
from smo_app.services.support import admin, settings, tickets
from smo_app.settings import get_settings

FAQ = """Доставка: курьером по Москве за 1–2 дня (300 ₽, бесплатно от 5 000 ₽), СДЭК по России за 3–7 дней, самовывоз из мастерской на Таганке.

Оплата: картой или по СБП при оформлении заказа; для оптовых покупателей — по счёту.

Возврат: если товар пришёл повреждённым, пришлите фото в этот чат — заменим или вернём деньги.

Состав: свечи из соевого воска с хлопковым фитилём, ароматы — парфюмерные масла без фталатов."""

DEMO_PHOTO = "demo-photo-damaged-parcel"  # a Telegram file id as the bot would keep it


def _customer(session: Session, username: str) -> tuple[Customer, TelegramProfile] | None:
    c = session.exec(select(Customer).where(Customer.username == username)).first()
    if c is None:
        return None
    return c, TelegramProfile(telegram_id=c.telegram_id, username=c.username, full_name=c.full_name)


def seed(session: Session) -> None:
    owner = session.exec(select(Staff).where(Staff.username == "owner")).first()
    manager = session.exec(select(Staff).where(Staff.username == "manager")).first()
    if owner is None or manager is None or session.exec(select(SupportTicket.id)).first() is not None:
        return
    settings.save_settings(session, actor=StaffOut.of(owner).actor(), faq=FAQ, ai_base_url="", ai_model="",
                           chat_id="", timeout_min=15)
    staff = StaffOut.of(manager).actor()

    def write(username: str, text: str = "", **kw) -> int | None:
        found = _customer(session, username)
        if found is None:
            return None
        c, sender = found
        return tickets.customer_writes(session, actor=Actor.customer(c.id), sender=sender, lang="ru", text=text,
                                       **kw).ticket_id

    # the assistant answered from the catalog (stays with the assistant)
    write("anna_aroma", "Есть свеча с лавандой? Сколько стоит?")
    # a damaged parcel: a photo, then "a person, please" — waits for an operator
    write("dmitry_k", "Свеча пришла с трещиной", photo_file_id=DEMO_PHOTO)
    write("dmitry_k", "Позовите, пожалуйста, оператора")
    # a manager is answering
    ticket = write("candle_lover", "Можно оплатить по счёту?")
    write("candle_lover", topic="operator")
    if ticket is not None:
        admin.reply(session, actor=staff, ticket_id=ticket, text="Екатерина, да — пришлите реквизиты, выставим счёт.")
    # solved and closed
    ticket = write("igor_p", "Как быстро доставите по Москве?")
    if ticket is not None:
        admin.close(session, actor=staff, ticket_id=ticket)
    # with the demo's providers served (make run), new questions go to their OpenAI-compatible fake
    fakes = get_settings().demo_fakes_url
    if get_settings().demo and fakes:
        settings.save_settings(session, actor=StaffOut.of(owner).actor(), faq=FAQ, ai_base_url=f"{fakes.rstrip('/')}/v1",
                               ai_model="demo-llama-3.3-70b", chat_id="", timeout_min=15, new_keys=DEMO_KEY)
