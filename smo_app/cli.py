"""Command line: ``python -m smo_app.cli <command>``.

migrate            alembic upgrade head on SMO_DATABASE_URL
create-owner       bootstrap an owner account (prompts for what is not given)
seed-demo          fill the demo shop (SMO_DEMO=1 only) and print the credentials
broadcast          create and start a broadcast as the system actor; prints its id
moysklad sync      pull the assortment and stock from MoySklad (--once; --changed-since-minutes N: incremental)
moysklad push-orders  push orders MoySklad does not show as they are here (--once)
backup             write one archive: the database, the uploaded files, a manifest (--to FILE)
restore FILE       restore an archive into an empty database, then migrate (--force: a non-empty one)
"""
from __future__ import annotations

import argparse
import getpass
import sys

from smo_app.i18n import error_text


def _cmd_migrate(args) -> int:
    from smo_app import migrations
    from smo_app.settings import get_settings

    migrations.upgrade(get_settings().database_url)
    print("database is at head")
    if getattr(args, "seed_demo", False):  # `make run`: one process for both (it starts Python once)
        try:
            _cmd_seed_demo(args)
        except Exception as exc:  # noqa: BLE001 - as `seed-demo || true`: the shop starts without the demo
            print(f"seeding the demo shop failed: {exc!r}", file=sys.stderr)
    return 0


def _cmd_create_owner(args) -> int:
    from smo_app.db import session_scope
    from smo_app.services.staff import accounts as staff_service
    from smo_app.services.core.errors import DomainError

    username = args.username or input("username: ")
    full_name = args.full_name or input("full name: ")
    password = args.password or getpass.getpass("password (8+ characters): ")
    try:
        with session_scope() as session:
            owner = staff_service.create_owner(session, username=username, full_name=full_name, password=password, pin=args.pin)
    except DomainError as exc:
        print(error_text(exc, args.lang), file=sys.stderr)
        return 2
    print(f"owner {owner.username} created (id {owner.id})")
    return 0


def _cmd_seed_demo(_args) -> int:
    from smo_app.demo.seed import print_credentials, seed_demo_shop
    from smo_app.db import session_scope
    from smo_app.settings import get_settings

    if not get_settings().demo:
        print("seed-demo runs only with SMO_DEMO=1", file=sys.stderr)
        return 2
    with session_scope() as session:
        created = seed_demo_shop(session)
    print("demo shop seeded" if created else "demo shop already there")
    print_credentials()
    return 0


def _cmd_broadcast(args) -> int:
    from smo_app.db import session_scope
    from smo_app.services.messaging import broadcasts
    from smo_app.services.core.actor import Actor
    from smo_app.services.core.errors import DomainError

    actor = Actor.system("cli")
    try:
        with session_scope() as session:
            created = broadcasts.create_broadcast(
                session, actor=actor, text=args.text, photo=args.photo, button_text=args.button_text,
                button_url=args.button_url, segment=args.segment, segment_days=args.days,
            )
            progress = broadcasts.start_broadcast(session, actor=actor, broadcast_id=created.id)
    except DomainError as exc:
        print(error_text(exc, args.lang), file=sys.stderr)
        return 2
    print(created.id)
    print(f"broadcast {created.id}: {progress.status}, {progress.total} recipients", file=sys.stderr)
    return 0


def _cmd_moysklad(args) -> int:
    import time

    from smo_app.db import session_scope
    from smo_app.services.core.actor import Actor
    from smo_app.services.core.errors import DomainError
    from smo_app.services.erp import orders_push, runs

    actor = Actor.system("cli")
    while True:
        try:
            with session_scope() as session:
                if args.moysklad_command == "sync":
                    kind = "incremental" if args.changed_since_minutes else "full"
                    run = runs.pull(session, actor=actor, kind=kind, changed_since_minutes=args.changed_since_minutes,
                                    holder="cli")
                    print(f"{run.kind} pull {run.status}: {run.items_seen} items seen, {run.items_created} created, "
                          f"{run.items_updated} updated, {run.items_archived} archived, {run.stock_changed} stock "
                          f"changes, {run.conflicts} conflicts; {run.requests} requests, {run.throttled} × 429, "
                          f"largest 3-second load {run.max_window_units} units")
                    if run.status != "ok":
                        print(f"error: {run.error_code}: {run.error}", file=sys.stderr)
                        failed = True
                    else:
                        failed = False
                else:
                    pushed = orders_push.push_pending(session, actor=actor)
                    counts: dict[str, int] = {}
                    for p in pushed:
                        counts[p.outcome] = counts.get(p.outcome, 0) + 1
                    print("orders pushed: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"))
                    failed = False
        except DomainError as exc:
            print(error_text(exc, args.lang), file=sys.stderr)
            return 2
        if args.once:
            return 1 if failed else 0
        time.sleep(args.interval)


def _backup_command(args, work) -> int:
    """Run ``work(database_url, uploads_dir, passphrase)``; a refusal is printed in words (exit 2)."""
    import os

    from smo_app.services.catalog.images import default_root
    from smo_app.services.core.errors import DomainError
    from smo_app.settings import get_settings

    passphrase = args.passphrase or os.environ.get("SMO_BACKUP_PASSPHRASE") or None
    try:
        print(work(get_settings().database_url, default_root(), passphrase))
    except DomainError as exc:
        print(error_text(exc, args.lang), file=sys.stderr)
        return 2
    return 0


def _cmd_backup(args) -> int:
    from pathlib import Path

    from smo_app.services.backup.create import default_name, make_backup
    from smo_app.settings import PROJECT_ROOT

    def work(url, uploads, passphrase):
        out = make_backup(url, uploads, Path(args.to) if args.to else PROJECT_ROOT / "var" / "backups" / default_name(),
                          passphrase=passphrase)
        return (f"backup written: {out.path} ({out.size_bytes} bytes, {out.tables} tables, {out.rows} rows, "
                f"{out.files} files{', encrypted' if out.encrypted else ''}) in {out.seconds:.1f} s")
    return _backup_command(args, work)


def _cmd_restore(args) -> int:
    from pathlib import Path

    from smo_app.services.backup.restore import restore_backup

    def work(url, uploads, passphrase):
        out = restore_backup(Path(args.file), url, uploads, passphrase=passphrase, force=args.force)
        return (f"restored: {out.tables} tables, {out.rows} rows, {out.files} files; schema {out.schema_revision} "
                f"→ {out.migrated_to} in {out.seconds:.1f} s")
    return _backup_command(args, work)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m smo_app.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    mig = sub.add_parser("migrate", help="apply database migrations")
    mig.add_argument("--seed-demo", action="store_true", help="then seed the demo shop (SMO_DEMO=1), as seed-demo")
    mig.set_defaults(func=_cmd_migrate)
    owner = sub.add_parser("create-owner", help="create the first owner account")
    owner.add_argument("--username")
    owner.add_argument("--full-name")
    owner.add_argument("--password")
    owner.add_argument("--pin")
    owner.add_argument("--lang", default="ru")
    owner.set_defaults(func=_cmd_create_owner)
    sub.add_parser("seed-demo", help="seed the demo shop").set_defaults(func=_cmd_seed_demo)
    bc = sub.add_parser("broadcast", help="create and start a broadcast; prints its id")
    bc.add_argument("--segment", choices=["all", "with_orders", "new", "wholesale"], default="all")
    bc.add_argument("--days", type=int, help="for --segment new: first seen within N days")
    bc.add_argument("--text", help="HTML text (the caption with --photo)")
    bc.add_argument("--photo", help="photo URL or Telegram file id")
    bc.add_argument("--button-text")
    bc.add_argument("--button-url")
    bc.add_argument("--lang", default="ru")
    bc.set_defaults(func=_cmd_broadcast)
    ms = sub.add_parser("moysklad", help="MoySklad: pull the catalog and stock, push orders")
    ms_sub = ms.add_subparsers(dest="moysklad_command", required=True)
    for name, help_text in (("sync", "pull assortment and stock (full, or incremental with --changed-since-minutes)"),
                            ("push-orders", "push orders MoySklad does not show as they are here")):
        cmd = ms_sub.add_parser(name, help=help_text)
        cmd.add_argument("--once", action="store_true", help="run once and exit (0: done)")
        cmd.add_argument("--interval", type=int, default=300, help="seconds between runs without --once")
        cmd.add_argument("--lang", default="ru")
        if name == "sync":
            cmd.add_argument("--changed-since-minutes", type=int, help="incremental: what changed in the last N minutes")
        cmd.set_defaults(func=_cmd_moysklad)
    bk = sub.add_parser("backup", help="write a backup archive (database, uploaded files, manifest)")
    bk.add_argument("--to", help="the archive's path (default var/backups/smo-backup-<time>.zip)")
    bk.add_argument("--passphrase", help="encrypt with this passphrase (or SMO_BACKUP_PASSPHRASE)")
    bk.add_argument("--lang", default="ru")
    bk.set_defaults(func=_cmd_backup)
    rs = sub.add_parser("restore", help="restore a backup archive into an empty database")
    rs.add_argument("file")
    rs.add_argument("--force", action="store_true", help="restore over a database that holds data")
    rs.add_argument("--passphrase", help="the archive's passphrase (or SMO_BACKUP_PASSPHRASE)")
    rs.add_argument("--lang", default="ru")
    rs.set_defaults(func=_cmd_restore)
    return parser


def _already_migrated(args) -> bool:
    """``migrate`` (``--seed-demo``) on a database already at head (and seeded): say so without
    loading alembic, the models or the services (a restart of ``make run`` waits on this)."""
    from smo_app import schema_state
    from smo_app.settings import get_settings

    settings = get_settings()
    demo = bool(getattr(args, "seed_demo", False))
    if demo and not settings.demo:
        return False  # the full command says why it does not seed
    if not schema_state.ready(settings.database_url, demo=demo):
        return False
    print("database is at head")
    if demo:
        from smo_app.demo.credentials import print_credentials

        print("demo shop already there")
        print_credentials()
    return True


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "migrate" and _already_migrated(args):
        return 0
    from smo_app import composition

    composition.start()
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
