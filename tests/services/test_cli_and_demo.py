"""The CLI bootstraps a shop; the demo seed builds a believable shop once."""
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from smo_app.db import make_engine
from smo_app.models.customer import Customer
from smo_app.models.staff import Role, Staff
from smo_app.demo.seed import DEMO_STAFF, seed_demo_shop
from smo_app.services.staff import auth

ROOT = Path(__file__).resolve().parents[2]


def _cli(args, url, demo="0"):
    env = {"PATH": "/usr/bin:/bin", "SMO_DATABASE_URL": url, "SMO_SECRET_KEY": "cli-test-secret-0123456789", "SMO_DEMO": demo}
    return subprocess.run([sys.executable, "-m", "smo_app.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True)


@pytest.mark.slow  # subprocesses: migrate + create-owner
def test_migrate_then_create_owner_from_the_command_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    assert _cli(["migrate"], url).returncode == 0
    done = _cli(["create-owner", "--username", "Boss", "--full-name", "Big Boss", "--password", "s3cret-pass"], url)
    assert done.returncode == 0, done.stderr
    assert "owner boss created" in done.stdout
    engine = make_engine(url)
    with Session(engine) as s:
        assert auth.sign_in_password(s, username="boss", password="s3cret-pass").staff.role == Role.owner
    engine.dispose()
    # a bad password is refused with a translated message and no traceback
    bad = _cli(["create-owner", "--username", "boss2", "--full-name", "B", "--password", "short"], url)
    assert bad.returncode == 2 and "Пароль должен быть не короче 8" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.slow  # a subprocess
def test_seed_demo_refuses_outside_demo_mode(tmp_path):
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    _cli(["migrate"], url)
    assert _cli(["seed-demo"], url, demo="0").returncode == 2


def test_demo_shop_has_staff_of_every_role_and_customers_and_is_seeded_once(session):
    assert seed_demo_shop(session) is True
    assert seed_demo_shop(session) is False
    roles = set(session.exec(select(Staff.role)).all())
    assert roles == {r.value for r in Role}
    assert session.exec(select(func.count()).select_from(Customer)).one() >= 10
    for username, _name, role, password, pin in DEMO_STAFF:
        if password:
            assert auth.sign_in_password(session, username=username, password=password).staff.username == username
        if pin and role in ("owner", "admin", "seller"):
            assert auth.sign_in_pin(session, username=username, pin=pin).staff.username == username


def test_the_demo_shows_a_cancelled_broadcast_with_sent_and_not_sent_apart_and_a_photo_draft(session):
    from smo_app.services.core import ports
    from smo_app.services.core.actor import Actor
    from smo_app.services.messaging import broadcasts
    from tests.demo_support import demo_shop

    demo_shop(session)
    owner = Actor.system("test")
    page = broadcasts.broadcasts_page(session, actor=owner)
    by_status = {(line.broadcast.status, line.broadcast.paid): line for line in page.lines}
    sale = by_status["cancelled", False].progress
    assert sale.sent > 0 and sale.cancelled > 0 and sale.blocked == 0 and sale.sent + sale.cancelled == sale.total
    draft = by_status["draft", False].broadcast
    # and a paid draft shows its cost (0.1 Star a recipient, rounded up)
    paid = by_status["draft", True]
    assert paid.quote.recipients == sale.total and paid.quote.stars == -(-sale.total // 10)
    # and the draft's photo is an upload the shop's image store holds (a JPEG)
    assert draft.photo.startswith("/api/uploads/") and ports.images().read(draft.photo)[:3] == b"\xff\xd8\xff"
