"""The order state machine (OR1) as data. ``orders.transition`` is the only code that moves an order."""
from __future__ import annotations

from typing import NamedTuple

from smo_app.models.orders import OrderStatus as S

# from → the statuses it may move to. Back moves (one step) are allowed for staff and audited.
TRANSITIONS: dict[S, frozenset[S]] = {
    S.new: frozenset({S.paid, S.cancelled}),
    S.paid: frozenset({S.processing, S.cancelled}),
    S.processing: frozenset({S.shipped, S.paid, S.cancelled}),
    S.shipped: frozenset({S.delivered, S.processing, S.cancelled}),
    S.delivered: frozenset({S.completed, S.shipped, S.cancelled}),
    S.completed: frozenset(),
    S.cancelled: frozenset(),
}

FORWARD: frozenset[tuple[S, S]] = frozenset({
    (S.new, S.paid), (S.paid, S.processing), (S.processing, S.shipped), (S.shipped, S.delivered),
    (S.delivered, S.completed),
})
BACK_MOVES: frozenset[tuple[S, S]] = frozenset({
    (S.processing, S.paid), (S.shipped, S.processing), (S.delivered, S.shipped),
})
OPEN_STATUSES: frozenset[S] = frozenset({S.new, S.paid, S.processing, S.shipped, S.delivered})
FINAL_STATUSES: frozenset[S] = frozenset({S.completed, S.cancelled})
ACTIVE_STATUSES = OPEN_STATUSES  # list filter "active" (OR7)
DELIVERY_LIST_STATUSES: frozenset[S] = frozenset({S.paid, S.processing})  # OR7 delivery list
# may go to a courier or onto a pick list: paid or later (an unpaid ``new`` one only as cash on delivery, chosen)
SHIPPABLE_STATUSES: frozenset[S] = frozenset({S.paid, S.processing, S.shipped, S.delivered})
# what a customer may do to their own order
CUSTOMER_TRANSITIONS: frozenset[tuple[S, S]] = frozenset({(S.new, S.cancelled)})
# a cancelled order brought back because its money arrived after all (a transfer confirmed after a
# cancel by hand): only through ``orders.restore_paid_order``, which takes the stock again first —
# never a button on the order card (the generic TRANSITIONS keep ``cancelled`` final)
RESTORE_MOVES: frozenset[tuple[S, S]] = frozenset({(S.cancelled, S.paid)})



class ActionRule(NamedTuple):
    action: str  # what the button does
    back_move: bool = False
    needs_reason: bool = False  # staff are asked why (kept on the order event and in the audit)
    needs_confirmation: bool = False


# the name of each move and what a screen must ask before it (orders.allowed_actions reads this)
_FORWARD_ACTIONS: dict[S, str] = {S.paid: "pay", S.processing: "process", S.shipped: "ship",
                                  S.delivered: "deliver", S.completed: "complete"}
CANCEL_RULE = ActionRule("cancel", needs_reason=True, needs_confirmation=True)
BACK_RULE = ActionRule("back", back_move=True, needs_reason=True, needs_confirmation=True)
RESTORE_RULE = ActionRule("restore", needs_reason=True, needs_confirmation=True)


def action_rule(from_status: S, to_status: S) -> ActionRule:
    if (from_status, to_status) in RESTORE_MOVES:
        return RESTORE_RULE
    if to_status == S.cancelled:
        return CANCEL_RULE
    if (from_status, to_status) in BACK_MOVES:
        return BACK_RULE
    return ActionRule(_FORWARD_ACTIONS[to_status], needs_confirmation=to_status == S.completed)


def allowed(from_status: str, to_status: str) -> bool:
    try:
        return S(to_status) in TRANSITIONS[S(from_status)]
    except ValueError:
        return False
