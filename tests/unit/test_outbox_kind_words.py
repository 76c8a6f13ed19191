"""Every kind of message the services queue has a name in words on the Broadcasts screen's queue (in
Russian and English), so an owner never reads a code such as ``support_reply`` there."""
from __future__ import annotations

import ast
from pathlib import Path

from smo_app.i18n import catalogs

SERVICES = Path(__file__).resolve().parents[2] / "smo_app" / "services"
QUEUEING = {"enqueue_message", "enqueue_document", "enqueue_photo", "enqueue_staff_alert", "enqueue_to_customer",
            "notify_customer", "tell_customer"}


def _queued_kinds() -> set[str]:
    kinds: set[str] = set()
    for path in SERVICES.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in QUEUEING:
                kinds |= {k.value.value for k in node.keywords
                          if k.arg == "kind" and isinstance(k.value, ast.Constant) and isinstance(k.value.value, str)}
            elif name == "_to_customer" and len(node.args) > 2 and isinstance(node.args[2], ast.Constant):
                kinds.add(node.args[2].value)
    return kinds


def test_every_queued_kind_reads_in_words_in_both_languages():
    kinds = _queued_kinds()
    assert {"support_reply", "booking_new", "booking_deposit_confirmed", "order_tracking"} <= kinds  # the scan sees them
    for lang, table in catalogs().items():
        missing = sorted(k for k in kinds if f"ui.outbox.kind.{k}" not in table)
        assert missing == [], (lang, missing)
