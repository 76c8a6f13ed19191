#!/usr/bin/env bash
# The whole suite: services on SQLite and PostgreSQL, API, bot, integrations, then browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
# The machine's services (TOOLCHAIN.md); start them if they are down, never fail because of it.
if command -v pg_ctlcluster >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 2>/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start 2>/dev/null || true
fi
if command -v redis-server >/dev/null 2>&1 && ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null 2>&1 || true
fi
exec .venv/bin/python -m pytest "$@"
