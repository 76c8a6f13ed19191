"""The demo shop (SMO_DEMO=1): staff of every role, customers, and the catalog from the seeds.

Idempotent: a second run finds the owner and does nothing.
"""
from __future__ import annotations

import importlib
from datetime import timedelta

from sqlmodel import Session, select

from smo_app.demo.credentials import DEMO_STAFF, credentials_text, print_credentials  # noqa: F401 (re-exported)
from smo_app.models.base import utcnow
from smo_app.models.customer import Customer, CustomerKind
from smo_app.models.staff import Staff
from smo_app.services.staff import accounts as staff_service
from smo_app.services.core.actor import Actor


DEMO_CUSTOMERS = [
    (700000001, "anna_aroma", "Анна Лебедева", "+79161234501", CustomerKind.retail, 0),
    (700000002, "dmitry_k", "Дмитрий Козлов", "+79161234502", CustomerKind.retail, 5),
    (700000003, "candle_lover", "Екатерина Соколова", "+79161234503", CustomerKind.retail, 0),
    (700000004, "spa_salon_msk", "Салон «Лаванда»", "+79161234504", CustomerKind.wholesale, 0),
    (700000005, "igor_p", "Игорь Петров", "+79161234505", CustomerKind.retail, 0),
    (700000006, "natalia_v", "Наталья Волкова", "+79161234506", CustomerKind.retail, 10),
    (700000007, "eco_shop_spb", "ЭкоЛавка СПб", "+79161234507", CustomerKind.wholesale, 0),
    (700000008, "olga_m", "Ольга Морозова", "+79161234508", CustomerKind.retail, 0),
    (700000009, "pavel_n", "Павел Новиков", "+79161234509", CustomerKind.retail, 0),
    (700000010, "tester_tg", "Тестовый покупатель", "+79161234510", CustomerKind.retail, 0),
]


def seed_demo_shop(session: Session) -> bool:
    """Seed everything; return False if the demo shop is already there."""
    if session.exec(select(Staff.id).where(Staff.username == DEMO_STAFF[0][0])).first() is not None:
        return False
    system = Actor.system("demo")
    for username, full_name, role, password, pin in DEMO_STAFF:
        staff_service.create_staff(session, actor=system, username=username, full_name=full_name, role=role, password=password, pin=pin)
    _seed_customers(session)
    for module_name in ("smo_app.demo.catalog", "smo_app.demo.barcodes", "smo_app.demo.photos",
                        "smo_app.demo.erp_logistics",
                        "smo_app.demo.payments", "smo_app.demo.backups", "smo_app.demo.pos_tablets",
                        "smo_app.demo.api_tokens", "smo_app.demo.broadcasts", "smo_app.demo.bookings",
                        "smo_app.demo.support"):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue
        module.seed(session)
    return True


def _seed_customers(session: Session) -> None:
    now = utcnow()
    by_tg: dict[int, Customer] = {}
    for i, (tg, username, name, phone, kind, discount) in enumerate(DEMO_CUSTOMERS):
        customer = Customer(
            telegram_id=tg, username=username, full_name=name, phone=phone, kind=kind,
            wholesale_approved=kind == CustomerKind.wholesale, personal_discount_pct=discount,
            is_tester=username == "tester_tg", first_seen_at=now - timedelta(days=60 - i * 5),
            last_seen_at=now - timedelta(days=i),
        )
        session.add(customer)
        by_tg[tg] = customer
    session.flush()
    # Anna invited Dmitry and Ekaterina (referral program, CR7).
    for invited in (700000002, 700000003):
        by_tg[invited].inviter_id = by_tg[700000001].id
    session.commit()
