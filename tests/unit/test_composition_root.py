"""One composition root (smo_app/composition.py) installs every event subscriber and outbox task
handler: importing code installs nothing, nothing runs before the root has started, and no other
module calls the installers."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FRESH_PROCESS = """
import json, pkgutil, importlib
from datetime import datetime, timezone
import smo_app.services
for m in pkgutil.walk_packages(smo_app.services.__path__, 'smo_app.services.'):
    importlib.import_module(m.name)
import bot_sidecar.dispatcher, bot_sidecar.outbox, bot_sidecar.scheduler
from smo_app.services.core.actor import Actor
from smo_app.services.messaging import outbox_tasks
from smo_app.services.messaging.outbox_delivery import Claimed
from smo_app.services.sales import events

def subscribers():
    names = ("order.paid", "order.completed", "order.cancelled", "order.shipped", events.MOVED_BACK)
    return sorted({s.key for name in names for s in events.bus.subscribers(name)})

out = {"after_imports": [subscribers(), sorted(outbox_tasks._HANDLERS)]}
event = events.DomainEvent(name="order.cancelled", order_id=1, from_status="new", to_status="cancelled",
                           actor=Actor.system("test"), reason=None, occurred_at=datetime.now(timezone.utc))
for what, run in (("publish", lambda: events.publish(None, event)),
                  ("task", lambda: outbox_tasks.run_claimed(None, Claimed(7, None, {}, 1, "payment.refund")))):
    try:
        run()
        out[what] = "ran"
    except RuntimeError as exc:
        out[what] = [type(exc).__name__, str(exc)]
from smo_app import composition
composition.start()
composition.start()
out["after_start"] = [subscribers(), sorted(outbox_tasks._HANDLERS)]
print(json.dumps(out))
"""


def test_nothing_is_installed_on_import_nothing_runs_before_the_root_and_the_root_installs_it_all():
    # given a fresh process that imports every service module and the sidecar's wiring
    done = subprocess.run([sys.executable, "-c", FRESH_PROCESS], cwd=ROOT, capture_output=True, text=True, check=True)
    out = json.loads(done.stdout.strip().splitlines()[-1])
    # then importing installed no subscriber and no task handler
    assert out["after_imports"] == [[], []]
    # and publishing an event or running a task before the composition root started is refused clearly
    assert out["publish"][0] == out["task"][0] == "HandlersNotInstalled"
    assert "smo_app.composition.start()" in out["publish"][1] and "smo_app.composition.start()" in out["task"][1]
    # and the root (started twice: idempotent) installs the ledgers once and the payment task handlers
    subscribers, handlers = out["after_start"]
    assert {"stock.return", "loyalty.paid", "loyalty.completed", "loyalty.cancelled", "certificate.redeem",
            "notify.customer"} <= set(subscribers)
    assert {"payment.refund", "payment.refund_check"} <= set(handlers)


INSTALLERS = {"install", "mark_installed"}  # refunds.install(), refund_sync.install(), bus/tasks.mark_installed()


def test_only_the_composition_root_calls_the_installers():
    # given every module of the app and the sidecar but the root itself
    callers = []
    for path in sorted([*(ROOT / "smo_app").rglob("*.py"), *(ROOT / "bot_sidecar").rglob("*.py")]):
        if path == ROOT / "smo_app" / "composition.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            attr, owner = node.func.attr, ast.unparse(node.func.value)
            if attr in INSTALLERS or (attr == "register" and owner.endswith("order_subscribers")):
                callers.append(f"{path.relative_to(ROOT)}:{node.lineno} {owner}.{attr}()")
    # then none of them installs subscribers or task handlers
    assert callers == []
