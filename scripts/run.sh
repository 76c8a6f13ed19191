#!/usr/bin/env bash
# Start the demo shop: migrate, seed, then the bot sidecar and the web app (prod mode, port 3000).
set -euo pipefail
cd "$(dirname "$0")/.."
export SMO_DEMO="${SMO_DEMO:-1}"
PY=.venv/bin/python
mkdir -p var

$PY -m smo_app.cli migrate
$PY -m smo_app.cli seed-demo || true

$PY -m bot_sidecar >var/bot_sidecar.log 2>&1 &
SIDECAR=$!
trap 'kill $SIDECAR 2>/dev/null || true' EXIT INT TERM

PORT="${SMO_PORT:-3000}"
cat <<TXT

  smo is starting (first start builds the frontend: a few minutes; later ones well under a minute)
    backoffice  http://localhost:${PORT}/admin
    POS         http://localhost:${PORT}/pos
    storefront  http://localhost:${PORT}/
    API health  http://localhost:${PORT}/api/health
  bot sidecar log: var/bot_sidecar.log

TXT
.venv/bin/reflex run --env prod --frontend-port "$PORT" --backend-port "$PORT" --loglevel warning
