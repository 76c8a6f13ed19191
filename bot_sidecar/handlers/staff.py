"""Staff commands (CO4, CO5): /broadcast, broadcast controls, /reset_ui. Whole router staff-only."""
from __future__ import annotations

from typing import Any

from aiogram import Bot, Router
from aiogram.filters import BaseFilter, Command, CommandObject
from aiogram.types import (BotCommand, CallbackQuery, MenuButtonWebApp, Message, TelegramObject, WebAppInfo)

from bot_sidecar.keyboards import BroadcastCB, broadcast_controls
from bot_sidecar.telegram import send_payload
from smo_app.calling import BoundCalls
from smo_app.i18n import t
from smo_app.services.bot import menu
from smo_app.services.core.actor import Actor
from smo_app.services.core.permissions import Perm, can
from smo_app.services.messaging import broadcasts as broadcast_service
from smo_app.settings import Settings


class StaffFilter(BaseFilter):
    """Passes for active staff (linked by Telegram id) holding ``perm``."""

    def __init__(self, perm: Perm) -> None:
        self.perm = perm

    async def __call__(self, event: TelegramObject, actor: Actor | None = None, **_: Any) -> bool:
        return actor is not None and can(actor, self.perm)


def progress_text(p: broadcast_service.BroadcastProgress, lang: str) -> str:
    eta = t("broadcast.eta", lang, seconds=p.eta_seconds) if p.eta_seconds else ""
    if p.waiting_for_bot:
        eta = t("ui.bcast.waiting_for_bot", lang)
    return t("broadcast.progress", lang, id=p.broadcast_id, status=p.status, total=p.total, sent=p.sent,
             failed=p.failed, blocked=p.blocked, cancelled=p.cancelled, left=p.left, eta=eta)


def _parse_segment(args: str) -> tuple[str, int | None, str]:
    """``/broadcast [#all|#with_orders|#wholesale|#new7] text`` → (segment, days, text); days checked by the service."""
    head, _, rest = args.partition(" ")
    if head.startswith("#"):
        tag = head[1:]
        if tag.startswith("new") and tag[3:]:
            return "new", broadcast_service.parse_segment_days(tag[3:]), rest
        return tag, None, rest
    return "all", None, args


async def new_broadcast(message: Message, command: CommandObject, bot: Bot, calls: BoundCalls, lang: str) -> None:
    args = (command.args or "").strip()
    photo = message.photo[-1].file_id if message.photo else None
    if not args and not photo:
        await message.answer(t("broadcast.usage", lang), parse_mode=None)
        return
    segment, days, text = _parse_segment(args)
    draft = (await calls(broadcast_service.create_broadcast, text=text, photo=photo, segment=segment,
                         segment_days=days)).unwrap()
    await send_payload(bot, message.chat.id, {"parse_mode": "HTML", **broadcast_service.payload_of(draft)})
    await message.answer(t("broadcast.draft", lang, id=draft.id, segment=draft.segment), parse_mode=None,
                         reply_markup=broadcast_controls(draft.id, draft.status, lang))


CONTROLS = {"start": broadcast_service.start_broadcast, "pause": broadcast_service.pause_broadcast,
            "resume": broadcast_service.resume_broadcast, "cancel": broadcast_service.cancel_broadcast,
            "refresh": broadcast_service.broadcast_progress}


async def control(query: CallbackQuery, callback_data: BroadcastCB, calls: BoundCalls, lang: str) -> None:
    progress = (await calls(CONTROLS[callback_data.action], broadcast_id=callback_data.id)).unwrap()
    await query.answer()
    if query.message is not None:
        await query.message.edit_text(progress_text(progress, lang), parse_mode=None,
                                      reply_markup=broadcast_controls(progress.broadcast_id, progress.status, lang))


async def reset_ui(message: Message, bot: Bot, calls: BoundCalls, lang: str, settings: Settings) -> None:
    await bot.set_chat_menu_button(menu_button=MenuButtonWebApp(text=t("bot.menu.shop", lang),
                                                                web_app=WebAppInfo(url=settings.public_url)))
    for code in ("ru", "en"):
        await bot.set_my_commands([BotCommand(command="start", description=t("bot.menu.title", code)),
                                   BotCommand(command="menu", description=t("bot.menu.title", code))],
                                  language_code=code)
    count = (await calls(menu.reset_ui, public_url=settings.public_url)).unwrap()
    await message.answer(t("bot.reset_ui.done", lang, count=count), parse_mode=None)


def build_router() -> Router:
    """Staff-only as a whole: the filter sits on the router, not on each handler."""
    router = Router(name="staff")
    router.message.filter(StaffFilter(Perm.broadcasts_manage))
    router.callback_query.filter(StaffFilter(Perm.broadcasts_manage))
    router.message.register(new_broadcast, Command("broadcast"))
    router.callback_query.register(control, BroadcastCB.filter())
    router.message.register(reset_ui, Command("reset_ui"))
    return router
