#!/usr/bin/env bash
# Start the demo shop: migrate, seed (both skipped at once when done before: smo_app/schema_state.py),
# then (demo mode) the providers' fakes — YooKassa with its payment page, Stripe, CDEK, DaData on one
# local port (integrations/demo_fakes.py) — the web app (prod mode, port 3000) and, once its first
# page answers, the bot sidecar. Ctrl-C (SIGINT) or SIGTERM stops them all: each runs in its own process group (job control on), the
# script waits on the web app, and the trap below stops both groups (the web app with its workers)
# and waits for them. (A foreground child would make bash defer the trap until it exits by itself.)
set -euo pipefail
set -m
cd "$(dirname "$0")/.."
export SMO_DEMO="${SMO_DEMO:-1}"
PY="${SMO_RUN_PYTHON:-.venv/bin/python}"
REFLEX="${SMO_RUN_REFLEX:-.venv/bin/reflex}"
mkdir -p var

$PY -m smo_app.cli migrate --seed-demo

FAKES=""
FAKES_LINE=""
if [ "$SMO_DEMO" = "1" ]; then
  FAKES_PORT="${SMO_DEMO_FAKES_PORT:-8090}"
  export SMO_DEMO_FAKES_URL="${SMO_DEMO_FAKES_URL:-http://127.0.0.1:${FAKES_PORT}}"
  # the fake YooKassa tells the shop's webhook (SMO_PUBLIC_URL, else this script's port) when a payment is made
  SMO_PUBLIC_URL="${SMO_PUBLIC_URL:-http://localhost:${SMO_PORT:-3000}}" \
    $PY -m integrations.demo_fakes --port "$FAKES_PORT" >var/demo_fakes.log 2>&1 &
  FAKES=$!
  FAKES_LINE="    demo payments, delivery and addresses: fakes on ${SMO_DEMO_FAKES_URL} (no real money)"
fi

# one bot sidecar (SMO_RUN_SIDECARS=2: two, as production runs them — one sends under the leases, the other stands by)
SIDECAR_LOGS="var/bot_sidecar.log"
for i in $(seq 2 "${SMO_RUN_SIDECARS:-1}"); do SIDECAR_LOGS="$SIDECAR_LOGS, var/bot_sidecar-$i.log"; done

WEB=""
SIDECAR=""
stop() {
  trap - EXIT INT TERM
  for pid in $WEB $SIDECAR $FAKES; do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "smo stopped (web app and bot sidecar)."
}
trap stop EXIT
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM

PORT="${SMO_PORT:-3000}"
cat <<TXT

  smo is starting (the first start builds the frontend; later ones reuse it while the app is unchanged)
    backoffice  http://localhost:${PORT}/admin
    POS         http://localhost:${PORT}/pos
    storefront  http://localhost:${PORT}/
    API health  http://localhost:${PORT}/api/health
${FAKES_LINE}
  bot sidecar log: ${SIDECAR_LOGS}
  stop both with Ctrl-C

TXT
# Reflex in prod mode; the frontend is compiled and built only when the app changed (smo_app/serve.py)
SMO_RUN_REFLEX="$REFLEX" $PY -m smo_app.serve --port "$PORT" "$@" &
WEB=$!
# the bot sidecars start once the web app answers (or after SMO_SIDECAR_WAIT_S, a minute): started
# beside it, their own start-up would take the CPU the web app's start needs
for i in $(seq 1 "${SMO_RUN_SIDECARS:-1}"); do
  LOG="var/bot_sidecar.log"
  [ "$i" = "1" ] || LOG="var/bot_sidecar-$i.log"
  (
    for _ in $(seq $(( ${SMO_SIDECAR_WAIT_S:-60} * 10 ))); do
      if command -v curl >/dev/null 2>&1; then
        curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:${PORT}/ping" && break
      fi
      sleep 0.1
    done
    exec $PY -m bot_sidecar
  ) >"$LOG" 2>&1 &
  SIDECAR="$SIDECAR $!"
done
wait "$WEB"
