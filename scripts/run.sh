#!/usr/bin/env bash
# Start the demo shop: migrate, seed, then the bot sidecar and the web app (prod mode, port 3000).
# Ctrl-C (SIGINT) or SIGTERM stops both: each runs in its own process group (job control on), the
# script waits on the web app, and the trap below stops both groups (the web app with its workers)
# and waits for them. (A foreground child would make bash defer the trap until it exits by itself.)
set -euo pipefail
set -m
cd "$(dirname "$0")/.."
export SMO_DEMO="${SMO_DEMO:-1}"
PY="${SMO_RUN_PYTHON:-.venv/bin/python}"
REFLEX="${SMO_RUN_REFLEX:-.venv/bin/reflex}"
mkdir -p var

$PY -m smo_app.cli migrate
$PY -m smo_app.cli seed-demo || true

$PY -m bot_sidecar >var/bot_sidecar.log 2>&1 &
SIDECAR=$!

WEB=""
stop() {
  trap - EXIT INT TERM
  for pid in $WEB $SIDECAR; do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "smo stopped (web app and bot sidecar)."
}
trap stop EXIT
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM

PORT="${SMO_PORT:-3000}"
cat <<TXT

  smo is starting (first start builds the frontend: a few minutes; later ones well under a minute)
    backoffice  http://localhost:${PORT}/admin
    POS         http://localhost:${PORT}/pos
    storefront  http://localhost:${PORT}/
    API health  http://localhost:${PORT}/api/health
  bot sidecar log: var/bot_sidecar.log
  stop both with Ctrl-C

TXT
"$REFLEX" run --env prod --frontend-port "$PORT" --backend-port "$PORT" --loglevel warning &
WEB=$!
wait "$WEB"
