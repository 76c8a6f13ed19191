"""/start (CO1), as one service: a staff member's link code links their Telegram; anyone else is
registered (or updated), the deep link applied (``ref<id>``, ``p<id>``, ``link_<code>``) and greeted
with the main menu — followed by the product card when the link named a product."""
from __future__ import annotations

from html import escape

from sqlmodel import Session

from smo_app.i18n import t
from smo_app.services.bot import menu
from smo_app.services.bot.menu import Content
from smo_app.services.core.actor import Actor
from smo_app.services.customers.registration import TelegramProfile, register_telegram_user
from smo_app.services.staff import telegram_link


def start(session: Session, *, actor: Actor | None, sender: TelegramProfile, start_param: str | None, lang: str,
          public_url: str) -> list[Content]:
    """What the bot answers to ``/start [start_param]``, in order. ``actor`` is the sender as the seam
    resolved them (a stranger is None: /start is how they become a customer, so it is not needed).

    ``staff_<code>``: links the code's staff member (``staff.link_code_invalid`` when the code is
    unknown, used or expired) and answers in ``lang``. Otherwise the answers are in the customer's
    language as registration just set it. Commits the registration (or the link) once.
    """
    code = telegram_link.parse_start_param(start_param)
    if code is not None:
        linked = telegram_link.bind_telegram(session, code=code, telegram_id=sender.telegram_id)
        return [Content(t("bot.staff_linked", lang, name=escape(linked.full_name)))]
    started = register_telegram_user(session, telegram_id=sender.telegram_id, username=sender.username,
                                     full_name=sender.full_name, language=sender.language, start_param=start_param)
    lang = started.customer.language
    answers = [menu.greeting(session, customer_id=started.customer.id, lang=lang, public_url=public_url)]
    if started.product_id is not None:
        answers.append(menu.product_card(session, product_id=started.product_id, lang=lang, public_url=public_url))
    return answers
