"""POST /api/pos/offline-sales: a sale made on a tablet without a connection arrives once, sold as
it was rung up (stock taken then); a resend answers with the first sale; a sale the server must
refuse (the shift closed meanwhile) is answered with the reason, and goes through once a shift is open."""
from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from smo_app.models.pos import PosCart, PosRegister, PosSale
from smo_app.models.staff import Role
from smo_app.services.pos import cart, devices, shifts
from smo_app.services.staff import auth
from tests.commerce_factories import make_product, qty_of, variant_id
from tests.factories import PIN, make_staff

OWN_PAGE = {"X-Smo-Request": "1"}


def _till(session):
    reg = session.exec(select(PosRegister)).first() or PosRegister(name="Касса 1")
    session.add(reg)
    session.commit()
    seller = make_staff(session, Role.seller, username="olga", full_name="Ольга")
    shifts.open_shift(session, actor=seller.actor(), register_id=reg.id, float_minor=0)
    device = devices.register_device(session, actor=seller.actor(), register_id=reg.id, name="Планшет 1").device
    vid = variant_id(make_product(session, name="Свеча", price_minor=30000, qty=5))
    token = auth.sign_in_pin(session, username="olga", pin=PIN).token
    return reg.id, device.id, vid, seller, token


def test_an_offline_sale_is_sold_once_and_a_refused_one_waits_for_a_shift(app_client, session):
    reg, device, vid, seller, token = _till(session)
    # given the tablet had 2 candles in its cart when the connection dropped
    cart.add_item(session, actor=seller.actor(), register_id=reg, device_id=device, variant_id=vid, qty=2)
    body = {"client_id": "offline-0001-abc", "register_id": reg, "device_id": device,
            "lines": [{"variant_id": vid, "qty": 2, "discount_pct": 0}], "card_minor": 0, "tendered_minor": 70000}
    app_client.cookies.set("smo_pos_session", token)
    # when it sends the sale twice (a retry after a lost answer)
    first = app_client.post("/api/pos/offline-sales", json=body, headers=OWN_PAGE)
    again = app_client.post("/api/pos/offline-sales", json=body, headers=OWN_PAGE)
    # then one sale, stock taken once, the tablet's cart emptied
    assert first.status_code == 200 and first.json()["total_minor"] == 60000
    assert again.json()["sale_id"] == first.json()["sale_id"]
    session.expire_all()
    assert session.exec(select(func.count(PosSale.id))).one() == 1 and qty_of(session, vid) == 3
    assert session.exec(select(PosCart).where(PosCart.device_id == device)).one().lines == []
    # given the shift is closed on another tablet before the next offline sale arrives
    shifts.close_shift(session, actor=seller.actor(), register_id=reg, counted_cash_minor=60000)
    late = {**body, "client_id": "offline-0002-abc", "lines": [{"variant_id": vid, "qty": 1}], "tendered_minor": 30000}
    refused = app_client.post("/api/pos/offline-sales", json=late, headers=OWN_PAGE)
    # then it is refused with the reason (the tablet keeps it) and nothing is sold
    assert refused.status_code == 409 and refused.json()["code"] == "pos.shift_closed"
    assert "смен" in refused.json()["error"].lower()
    session.expire_all()
    assert qty_of(session, vid) == 3
    # when a shift is open again and the seller sends it again; then it goes through, once
    shifts.open_shift(session, actor=seller.actor(), register_id=reg, float_minor=0)
    assert app_client.post("/api/pos/offline-sales", json=late, headers=OWN_PAGE).status_code == 200
    session.expire_all()
    assert session.exec(select(func.count(PosSale.id))).one() == 2 and qty_of(session, vid) == 2


def test_an_offline_sale_needs_the_seller_the_page_and_a_readable_body(app_client, session):
    reg, device, vid, _seller, token = _till(session)
    body = {"client_id": "offline-0003-abc", "register_id": reg, "device_id": device,
            "lines": [{"variant_id": vid, "qty": 1}], "tendered_minor": 30000}
    assert app_client.post("/api/pos/offline-sales", json=body, headers=OWN_PAGE).status_code == 401
    app_client.cookies.set("smo_pos_session", token)
    assert app_client.post("/api/pos/offline-sales", json=body).status_code == 403
    bad = app_client.post("/api/pos/offline-sales", json={**body, "lines": []}, headers=OWN_PAGE)
    assert bad.status_code == 409 and bad.json()["code"] == "pos.offline_sale_invalid"
    short = app_client.post("/api/pos/offline-sales", json={**body, "tendered_minor": 100}, headers=OWN_PAGE)
    assert short.json()["code"] == "pos.cash_short"
    session.expire_all()
    assert session.exec(select(func.count(PosSale.id))).one() == 0
