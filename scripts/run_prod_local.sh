#!/usr/bin/env bash
# The production topology on one machine, for trying it (docs/DEPLOY.md, "Trying it on one machine"):
# this machine's PostgreSQL (a database `smo_prodlocal`, created when missing, migrated, the demo shop
# seeded), Redis on 127.0.0.1:6379 for the tabs' state, the web app with WORKERS backend workers
# (default 2) and two bot sidecars (one sends under the leases, the other stands by). Everything else
# is `make run`'s (scripts/run.sh): demo mode with the providers' fakes, a sidecar without a bot token
# runs offline, and Ctrl-C or SIGTERM stops every child. Arguments go to `smo_app.serve`.
#
#   WORKERS=4 scripts/run_prod_local.sh
#   SMO_PRODLOCAL_PG=postgresql+psycopg://postgres@127.0.0.1:5432  SMO_PRODLOCAL_DB=smo_prodlocal
#   SMO_REDIS_URL=redis://127.0.0.1:6379/0
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${SMO_RUN_PYTHON:-.venv/bin/python}"
PG="${SMO_PRODLOCAL_PG:-postgresql+psycopg://postgres@127.0.0.1:5432}"
DB="${SMO_PRODLOCAL_DB:-smo_prodlocal}"
export SMO_REDIS_URL="${SMO_REDIS_URL:-redis://127.0.0.1:6379/0}"
export SMO_DATABASE_URL="${PG}/${DB}"
export GRANIAN_WORKERS="${WORKERS:-2}"
export SMO_RUN_SIDECARS=2

# the database, when missing (the migrations and the demo seed are run.sh's)
$PY - "$PG" "$DB" <<'PY'
import sys

import sqlalchemy as sa

server, name = sys.argv[1], sys.argv[2]
engine = sa.create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
with engine.connect() as conn:
    if conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is None:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        print(f"created the database {name}")
engine.dispose()
PY
# Redis must answer: without it Reflex would start one worker with the state on disk
$PY -c "import redis, sys; redis.Redis.from_url(sys.argv[1]).ping()" "$SMO_REDIS_URL" \
  || { echo "Redis does not answer at $SMO_REDIS_URL" >&2; exit 1; }

echo "production topology: PostgreSQL ${DB}, Redis ${SMO_REDIS_URL}, ${GRANIAN_WORKERS} web workers, 2 bot sidecars"
exec bash scripts/run.sh "$@"
