#!/usr/bin/env bash
# Start the demo shop: migrate, seed, then the bot sidecar and the web app (prod mode, port 3000).
# Ctrl-C stops both: the web app (in the foreground, with its workers) gets it from the terminal;
# then the trap below stops the sidecar and waits for it (a script's background job ignores Ctrl-C).
set -euo pipefail
cd "$(dirname "$0")/.."
export SMO_DEMO="${SMO_DEMO:-1}"
PY="${SMO_RUN_PYTHON:-.venv/bin/python}"
REFLEX="${SMO_RUN_REFLEX:-.venv/bin/reflex}"
mkdir -p var

$PY -m smo_app.cli migrate
$PY -m smo_app.cli seed-demo || true

$PY -m bot_sidecar >var/bot_sidecar.log 2>&1 &
SIDECAR=$!

stop() {
  trap - EXIT INT TERM
  kill "$SIDECAR" 2>/dev/null || true
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
"$REFLEX" run --env prod --frontend-port "$PORT" --backend-port "$PORT" --loglevel warning
