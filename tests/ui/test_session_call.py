"""``SessionState.call``: the one way a screen calls a service.

Given a state tree as Reflex builds it, a service called through the helper runs off the event
loop, as the signed-in staff member, and its errors come back as text a person can read.
"""
from __future__ import annotations

import asyncio
import threading

import pytest
from sqlmodel import select

from smo_app.models.bot import ErrorReport
from smo_app.models.staff import Channel, Role
from smo_app.services.core.errors import DomainError
from smo_app.services.staff import auth
from tests.factories import PASSWORD, make_staff
from tests.ui.support import _state

rx = pytest.importorskip("reflex")


def _signed_in_owner(db):
    from smo_app.state.session import SessionState

    make_staff(db, Role.owner, username="olga")
    s = _state(SessionState)
    s.bo_token = auth.sign_in_password(db, username="olga", password=PASSWORD).token
    return s


def test_the_service_gets_the_signed_in_actor_and_runs_off_the_event_loop(db):
    s = _signed_in_owner(db)
    seen = {}

    def service(session, *, actor, x):
        seen.update(actor=actor.name, thread=threading.get_ident(), x=x)
        return x * 2

    async def run():
        seen["loop_thread"] = threading.get_ident()
        return await s.call(service, x=21, readonly=True)

    out = asyncio.run(run())
    assert out.ok and out.value == 42
    assert seen["actor"] and seen["x"] == 21
    assert seen["thread"] != seen["loop_thread"]


def test_two_screens_calling_at_once_do_not_wait_for_each_other(db):
    # given two services that each wait until the other one has started
    s = _signed_in_owner(db)
    both = threading.Barrier(2, timeout=5)

    def service(session, *, actor):
        both.wait()
        return "done"

    async def run():
        return await asyncio.gather(s.call(service, readonly=True), s.call(service, readonly=True))

    # when both are called from one event loop, then both finish (a blocking call would deadlock)
    assert [o.value for o in asyncio.run(run())] == ["done", "done"]


def test_not_signed_in_is_refused_in_the_users_language(db):
    from smo_app.state.session import SessionState

    s = _state(SessionState)
    s.lang = "en"
    out = asyncio.run(s.call(lambda session, *, actor: pytest.fail("must not run")))
    assert not out.ok and out.code == "common.forbidden"
    assert out.error == "You don't have permission to do this."
    pos = asyncio.run(s.call(lambda session, *, actor: None, channel=Channel.pos))
    assert pos.code == "common.forbidden"


def test_a_domain_error_becomes_its_translated_message(db):
    s = _signed_in_owner(db)

    def service(session, *, actor):
        raise DomainError("stock.line_unknown_id", id=7)

    out = asyncio.run(s.call(service))
    assert (out.code, out.error) == ("stock.line_unknown_id", "товара с ID 7 нет.")
    from smo_app.state.session import toast

    assert toast(out) is not None


def test_an_unexpected_error_is_reported_and_the_user_sees_no_traceback(db, caplog):
    # given a service with a bug
    s = _signed_in_owner(db)

    def service(session, *, actor):
        raise KeyError("secret internals")

    # when a screen calls it
    out = asyncio.run(s.call(service))
    # then the person sees a calm generic message, the log has the traceback, the owner gets a report
    assert out.error == "Что-то пошло не так. Мы уже разбираемся — попробуйте ещё раз."
    assert "secret" not in out.error and "Traceback" not in out.error
    assert any(r.exc_info for r in caplog.records if "unexpected error" in r.getMessage())
    db.expire_all()
    assert db.exec(select(ErrorReport)).one().summary.startswith("KeyError")


@pytest.mark.parametrize("state_path, handler, service_module, service_name", [
    ("smo_app.state.analytics:AnalyticsState", "load", "smo_app.services.analytics.abc", "abc_analysis"),
    ("smo_app.state.broadcasts:BroadcastsState", "load", "smo_app.services.messaging.broadcasts", "list_broadcasts"),
    ("smo_app.state.profile:ProfileState", "load_backoffice", "smo_app.services.staff.telegram_link", "link_status"),
    ("smo_app.state.dead_letters:DeadLetterState", "load", "smo_app.services.integrations.dead_letters",
     "list_dead_letters"),
])
def test_a_screen_loading_slow_figures_leaves_the_event_loop_free(db, monkeypatch, state_path, handler,
                                                                    service_module, service_name):
    import importlib

    # given an owner on a screen whose service is slow (it waits until the event loop answers)
    make_staff(db, Role.owner, username="olga")
    module_name, cls_name = state_path.split(":")
    s = _state(getattr(importlib.import_module(module_name), cls_name))
    s.bo_token = auth.sign_in_password(db, username="olga", password=PASSWORD).token
    module = importlib.import_module(service_module)
    real = getattr(module, service_name)
    started, answered = threading.Event(), threading.Event()

    def slow(*args, **kwargs):
        started.set()
        assert answered.wait(5), "the event loop was blocked while the screen read the database"
        return real(*args, **kwargs)

    monkeypatch.setattr(module, service_name, slow)

    async def run():
        work = asyncio.ensure_future(type(s).event_handlers[handler].fn(s))
        # when the screen is loading, then the loop still serves others (here: it answers the service)
        assert await asyncio.to_thread(started.wait, 5)
        answered.set()
        await work

    asyncio.run(run())
    assert started.is_set() and answered.is_set()


def test_an_error_in_a_page_event_outside_a_service_reaches_the_owner_and_the_user_sees_a_calm_toast(monkeypatch):
    import smo_app.smo_app as web

    reported = []
    monkeypatch.setattr(web.default_seam, "report", lambda exc, **kw: reported.append((repr(exc), kw.get("context"))))
    toast = web.report_backend_error(KeyError("internal"))
    assert reported == [("KeyError('internal')", "web page event")]
    assert "internal" not in str(toast) and "KeyError" not in str(toast)
