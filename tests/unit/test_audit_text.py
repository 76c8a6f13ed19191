"""The audit log and the outbox read as sentences: translated action names, readable changes."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from zoneinfo import ZoneInfo

from smo_app.i18n import catalogs, t
from smo_app.money import format_money

SERVICES = Path(__file__).resolve().parents[2] / "smo_app" / "services"


def _recorded_actions() -> set[str]:
    found = set()
    for path in SERVICES.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        for line in source.splitlines():
            if "action=" in line or "audit_action" in line:
                found |= set(re.findall(r"\"([a-z_]+\.[a-z_]+)\"", line))
    # f"broadcast.{verb}" with the verbs a broadcast allows; the till's f-string actions
    found |= {f"broadcast.{v}" for v in ("start", "pause", "resume", "cancel")}
    found |= {"pos.cash_in", "pos.cash_out", "pos.approval_approved", "pos.approval_denied", "payment.manual_reject"}
    return {a for a in found if not a.startswith(("order.transition_", "stock.batch"))
            and a.split(".")[0] in {"analytics", "auth", "bot", "broadcast", "catalog", "certificate", "courier",
                                    "customer", "dead_letter", "order", "outbox", "payment", "pos", "promo",
                                    "settings", "staff", "stock", "supplier", "tracking", "wheel"}}


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_every_action_the_services_record_has_a_name(lang):
    actions = _recorded_actions()
    assert {"order.transition", "courier.handoff", "stock.write_off", "broadcast.pause"} <= actions
    missing = sorted(a for a in actions if f"ui.audit_action.{a}" not in catalogs()[lang])
    assert missing == []


def test_a_change_reads_as_field_old_to_new():
    from smo_app.services.core.audit_words import Names, describe_change as describe

    names, money = Names(), lambda m: format_money(m, lang="en")  # noqa: E731

    def describe_change(before, after):
        return describe("en", names, before, after, tz=ZoneInfo("Europe/Moscow"))

    # given a status move with the restock choice, and a price change
    out = describe_change({"status": "new"}, {"status": "cancelled", "restock": False})
    assert out == "Status: new → cancelled\nGoods back to stock: no"
    assert describe_change({"price_minor": 100000}, {"price_minor": 125050}) == \
        f"Price: {money(100000)} → {money(125050)}"
    # unchanged fields are left out; a created object lists its values; unknown fields still read
    assert describe_change({"role": "manager", "note": "x"}, {"role": "admin", "note": "x"}) == \
        f"Role: {t('role.manager', 'en')} → {t('role.admin', 'en')}"
    assert describe_change(None, {"courier": "Ivan", "orders": [3, 4], "some_flag": True}) == \
        "Courier: Ivan\nOrders: No. 3, No. 4\nsome flag: yes"
    assert "{" not in describe_change(None, {"nested": {"a": 1}})
    # rows of a setting (referral tiers: friends from → percent) read row by row, not as one flat list
    assert describe_change({"value": [[0, 5]]}, {"value": [[0, 5], [10, 7]]}).endswith(
        ": (0, 5) → (0, 5); (10, 7)")
    # a stored moment reads in the shop's time (Moscow here), not as an ISO string
    assert describe_change({"expires_at": None}, {"expires_at": "2031-06-30T20:59:59+00:00"}) == \
        f"{t('ui.audit_field.expires_at', 'en')}: — → Jun 30, 2031, 11:59 PM"


def test_outbox_rows_show_as_telegram_renders_them():
    from smo_app.state.broadcasts import outbox_html

    assert outbox_html("<b>Paid</b>\n<i>now</i> &amp; 5 &lt; 6") == "<b>Paid</b><br><i>now</i> &amp; 5 &lt; 6"
    # markup Telegram would refuse, or a preview cut inside a tag, shows as plain text, never as markup
    assert outbox_html("<script>alert(1)</script>") == "alert(1)"
    assert outbox_html("Hello <b>wor") == "Hello wor"
    assert outbox_html("a < b") == "a &lt; b"
