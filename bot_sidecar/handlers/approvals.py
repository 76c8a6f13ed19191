"""POS approvals (PO5, CO6): the Approve / Deny buttons of a discount request, answered by a
manager, an admin or the owner. The service decides once; a second press only gets a notice."""
from __future__ import annotations

from aiogram import Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery

from bot_sidecar.handlers.staff import StaffFilter
from smo_app.calling import BoundCalls
from smo_app.i18n import t
from smo_app.services.core.permissions import Perm
from smo_app.services.pos import approvals


class ApprovalCB(CallbackData, prefix=approvals.CALLBACK_PREFIX):
    """``pa:<approval id>:<yes|no>`` — built by the service as ``approvals.callback_data``."""

    id: int
    answer: str


async def answer(query: CallbackQuery, callback_data: ApprovalCB, calls: BoundCalls, lang: str) -> None:
    out = await calls(approvals.decide_approval, approval_id=callback_data.id, approve=callback_data.answer == "yes",
                      via="telegram")
    if out.unexpected:
        out.unwrap()  # the error middleware apologises (the seam has reported it)
    text = out.error or t(f"pos.approval.answered_{'yes' if out.value.status == 'approved' else 'no'}", lang,
                          who=out.value.decided_by_name)
    await query.answer(text, show_alert=False)
    if query.message is not None:
        await query.message.edit_reply_markup(reply_markup=None)
        await query.message.answer(text, parse_mode=None)


async def not_allowed(query: CallbackQuery, lang: str) -> None:
    await query.answer(t("common.forbidden", lang), show_alert=True)


def build_router() -> Router:
    """Approvers only: anyone else pressing the button is told so and nothing changes."""
    allowed = Router(name="pos_approvals")
    allowed.callback_query.filter(StaffFilter(Perm.pos_approve))
    allowed.callback_query.register(answer, ApprovalCB.filter())
    refused = Router(name="pos_approvals_refused")  # sub-routers are tried in order, after the parent's own
    refused.callback_query.register(not_allowed, ApprovalCB.filter())
    router = Router(name="pos_approvals_all")
    router.include_routers(allowed, refused)
    return router
