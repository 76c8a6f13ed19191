#!/usr/bin/env bash
# The whole suite, in two runs of pytest side by side:
#   1. everything but the browser journeys (services on SQLite and PostgreSQL, API, bot, integrations,
#      UI state), spread over SMO_TEST_WORKERS processes (default: one more than the CPU count, at most 3);
#   2. the browser journeys (tests/e2e, marker e2e) in SMO_E2E_WORKERS processes (default 2), each
#      with its prod-mode apps and its Chromium on one build of the pages
#      (tests/conftest.py refuses an e2e test outside tests/e2e and vice versa). They mostly wait
#      on the browser and the app, so they run beside the first run rather than after it (the whole
#      suite then takes about the CPU time it needs); their output is kept in
#      test-artifacts/e2e.log and printed when both are done. SMO_TEST_SERIAL=1 runs them after.
# With arguments, it is one plain pytest run of just those (e.g. `scripts/test.sh -x tests/bot`,
# add `-n 2` to spread it).
set -euo pipefail
cd "$(dirname "$0")/.."
# The machine's services (TOOLCHAIN.md); start them if they are down, never fail because of it.
if command -v pg_ctlcluster >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 2>/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start 2>/dev/null || true
fi
if command -v redis-server >/dev/null 2>&1 && ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null 2>&1 || true
fi
# compiled modules are kept (__pycache__, ignored by git): every run of pytest, each worker and the
# app the browser tests start would otherwise compile the project and rewrite the tests again
unset PYTHONDONTWRITEBYTECODE
PYTEST=(.venv/bin/python -m pytest)
if [ "$#" -gt 0 ]; then
  exec "${PYTEST[@]}" "$@"
fi

# each worker is a process with its own PostgreSQL database and SQLite files. One more than the
# cores, at most three: since the demo shop is copied rather than seeded per test, much of a worker's
# time is waiting (subprocesses starting, the bot's real-time pacing), and on two cores a third
# worker took the whole make test from 11:35 to 9:46 (it was slower while seeding filled the cores);
# with the journeys in two processes too, a fresh clone's make test takes 5:41–5:53 on an idle 2-core
# machine (89% busy meanwhile; 7:41–8:26 while the machine's own daemons took most of a core);
# tests that open many connections take turns across workers whatever their number (tests/db_support.py)
cpus="$(nproc 2>/dev/null || echo 1)"
workers="${SMO_TEST_WORKERS:-$(( cpus + 1 < 3 ? cpus + 1 : 3 ))}"
status=0
mkdir -p test-artifacts
e2e_log=test-artifacts/e2e.log
e2e_pid=""
# an interrupted suite stops the browser journeys too (their conftest unwinds on SIGTERM, stopping
# the apps it started)
stop_e2e() {
  if [ -n "$e2e_pid" ]; then kill -TERM "$e2e_pid" 2>/dev/null || true; wait "$e2e_pid" 2>/dev/null || true; fi
}
trap stop_e2e EXIT
trap 'stop_e2e; exit 130' INT
trap 'stop_e2e; exit 143' TERM
# the browser journeys in SMO_E2E_WORKERS processes (default 2), each with its own Chromium and apps
# on one build of the pages (tests/e2e/conftest.py: serve_app)
e2e_workers="${SMO_E2E_WORKERS:-2}"
E2E=("${PYTEST[@]}" -m e2e)
if [ "$e2e_workers" -gt 1 ]; then E2E+=(-n "$e2e_workers" --dist loadfile); fi
if [ "${SMO_TEST_SERIAL:-0}" != "1" ]; then
  "${E2E[@]}" tests/e2e >"$e2e_log" 2>&1 &
  e2e_pid=$!
fi
if [ "$workers" -gt 1 ]; then
  "${PYTEST[@]}" -m "not e2e" -n "$workers" --dist loadfile --durations=15 || status=$?
else
  "${PYTEST[@]}" -m "not e2e" || status=$?
fi
e2e_status=0
if [ -n "$e2e_pid" ]; then
  wait "$e2e_pid" || e2e_status=$?
  e2e_pid=""
  echo
  echo "=============== browser journeys (tests/e2e, ran beside the run above) ==============="
  cat "$e2e_log"
else
  "${E2E[@]}" tests/e2e || e2e_status=$?
fi
[ "$status" -ne 0 ] || status=$e2e_status
exit "$status"
