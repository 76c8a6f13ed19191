"""The worker threads service calls run in (smo_app/calling/service_threads.py): one call at a time,
so the event loop competes with one thread for the interpreter, unless the running call is slow."""
import asyncio
import contextvars
import threading
import time

import pytest

from smo_app.calling.service_threads import ServiceThreads

WHO = contextvars.ContextVar("who", default="nobody")


def test_quick_calls_take_turns():
    # given a gate whose calls are never slow enough to let another start beside them
    gate = ServiceThreads(threads=4, patience=60)
    first_may_end = threading.Event()
    log: list[str] = []

    def first():
        log.append("first starts")
        first_may_end.wait(5)
        log.append("first ends")

    def second():
        log.append("second starts")

    async def main():
        one = asyncio.create_task(gate.run(first))
        await asyncio.sleep(0.05)
        two = asyncio.create_task(gate.run(second))
        await asyncio.sleep(0.2)
        # when the first is still running, the second has not started
        assert log == ["first starts"] and gate.running == 1
        first_may_end.set()
        await asyncio.gather(one, two)

    asyncio.run(main())
    # then it started once the first was done
    assert log == ["first starts", "first ends", "second starts"]
    assert gate.running == 0


def test_a_slow_call_lets_the_next_one_start_beside_it():
    # given a call that waits on something only the next call gives (a slow provider, say)
    gate = ServiceThreads(threads=4, patience=0.05)
    released = threading.Event()

    def slow():
        assert released.wait(5), "the next call never started beside the slow one"
        return "slow done"

    def next_call():
        released.set()
        return "next done"

    async def main():
        one = asyncio.create_task(gate.run(slow))
        await asyncio.sleep(0.01)
        started = time.monotonic()
        two = await gate.run(next_call)
        return await one, two, time.monotonic() - started

    # then the next call starts once the slow one has run longer than the patience, and both finish
    slow_result, next_result, waited = asyncio.run(main())
    assert (slow_result, next_result) == ("slow done", "next done")
    assert 0.02 <= waited < 2


def test_never_more_calls_at_once_than_threads():
    gate = ServiceThreads(threads=2, patience=0.0)
    lock = threading.Lock()
    now = {"running": 0, "most": 0}

    def work():
        with lock:
            now["running"] += 1
            now["most"] = max(now["most"], now["running"])
        time.sleep(0.05)
        with lock:
            now["running"] -= 1

    async def main():
        await asyncio.gather(*[gate.run(work) for _ in range(8)])

    asyncio.run(main())
    assert now["most"] == 2 and gate.running == 0


def test_a_call_sees_the_callers_context_and_a_failure_frees_its_turn():
    gate = ServiceThreads(threads=2, patience=60)

    def boom():
        raise ValueError("refused")

    async def main():
        WHO.set("seller")
        with pytest.raises(ValueError):
            await gate.run(boom)
        return await asyncio.wait_for(gate.run(WHO.get), 2)

    assert asyncio.run(main()) == "seller"
    assert gate.running == 0


def test_a_call_waits_its_queue_patience_at_most_even_while_others_just_started():
    # given a gate on a clock the test moves, with one call running since 0 s
    now = [0.0]
    gate = ServiceThreads(threads=5, patience=0.05, queue_patience=0.5, clock=lambda: now[0])
    first, _ = gate._admit(asked=0.0)
    assert first is not None
    # when two more calls ask at 0.01 s, both wait (the running call is young)
    now[0] = 0.01
    ticket, wait = gate._admit(asked=0.01)
    assert ticket is None and abs(wait - 0.04) < 1e-9
    # then at 0.06 s the running call is slow: one of them starts beside it, the other waits on
    now[0] = 0.06
    second, _ = gate._admit(asked=0.01)
    assert second is not None
    ticket, wait = gate._admit(asked=0.01)
    assert ticket is None
    # and once it has waited its queue patience it starts, though the call that started just before
    # it is young
    now[0] = 0.51
    just_before, _ = gate._admit(asked=0.06)
    assert just_before is not None
    ticket, _ = gate._admit(asked=0.01)
    assert ticket is not None and gate.running == 4
    # while a call that has just asked waits for the young ones
    ticket, wait = gate._admit(asked=0.51)
    assert ticket is None and abs(wait - 0.05) < 1e-9
