"""Bookings in the bot: the waitlist offer's button ("Book it") takes the held slot for the customer
who was offered it; a late or foreign press gets the service's refusal."""
from __future__ import annotations

from aiogram import Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery

from smo_app.calling import BoundCalls
from smo_app.i18n import t
from smo_app.services.bookings import waitlist


class WaitlistCB(CallbackData, prefix=waitlist.CALLBACK_PREFIX):
    """``bkwait:<waitlist entry id>`` — built by ``waitlist.offer_freed``."""

    id: int


async def take_offer(query: CallbackQuery, callback_data: WaitlistCB, calls: BoundCalls, lang: str) -> None:
    out = await calls(waitlist.accept_offer, entry_id=callback_data.id)
    if out.unexpected:
        out.unwrap()  # the error middleware apologises (the seam has reported it)
    text = out.error or t("bot.booking.waitlist_taken", lang)
    await query.answer(text, show_alert=not out.ok)
    if query.message is not None:
        await query.message.edit_reply_markup(reply_markup=None)
        await query.message.answer(text, parse_mode=None)


def build_router() -> Router:
    router = Router(name="bookings")
    router.callback_query.register(take_offer, WaitlistCB.filter())
    return router
