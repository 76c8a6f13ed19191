"""Backoffice screens run without a browser (as Reflex calls them): editing and deleting promo codes,
the shop's time zone, language and referral tiers on the settings page, and the payment screenshot
on the order card."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest
from sqlmodel import select

from smo_app.models.audit import AuditEntry
from smo_app.models.orders import Order
from smo_app.models.promotions import PromoCode
from smo_app.models.staff import Role
from smo_app.services.core.actor import Actor
from smo_app.services.payments.manual import submit_proof
from smo_app.services.staff import auth
from tests.commerce_factories import make_product, place, variant_id
from tests.factories import PASSWORD, make_customer, make_staff
from tests.payments_support import settings as payment_settings
from tests.ui.support import _call, _state, settings_form

rx = pytest.importorskip("reflex")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _signed_in(cls, db, role: Role):
    make_staff(db, role, username=f"e_{role.value}")
    state = _state(cls)
    state.bo_token = auth.sign_in_password(db, username=f"e_{role.value}", password=PASSWORD).token
    state.lang = "en"
    db.rollback()
    return state


def _guard(state, route: str, perm: str) -> None:
    from smo_app.state.session import SessionState

    asyncio.run(SessionState.event_handlers["guard_backoffice"].fn(state, route, perm))


def _read(db, fn):
    """Read and let go at once: the test's session must not hold SQLite's write lock."""
    db.expire_all()
    try:
        return fn()
    finally:
        db.rollback()


# --------------------------------------------------------------------------- promo codes

def test_a_manager_edits_a_promo_code_and_deletes_an_unused_one(db):
    from smo_app.state.promotions import PromotionsState

    s = _signed_in(PromotionsState, db, Role.manager)
    _call(s, "load")
    _call(s, "create_promo", {"code": "summer", "pct": "10", "limit": "5", "expires": "2031-06-30"})
    line = s.promos[0]
    assert (line["code"], line["limit"], line["expires_day"], line["orders"]) == ("SUMMER", "5", "2031-06-30", 0)
    # when she opens its edit form and types a word for the discount, nothing changes
    _call(s, "edit_promo", line["id"])
    assert s.promo_editing == line["id"]
    form = {"code": "SUMMER", "pct": "much", "limit": "5", "expires": "2031-06-30", "once": ""}
    _call(s, "save_promo", form)
    assert s.promo_error == "Discount, limit and days are whole numbers."
    # when she renames it, raises the discount, drops the limit and keeps the day
    _call(s, "save_promo", {**form, "code": "summer20", "pct": "20", "limit": "", "once": "on"})
    # then the list shows it and the form closes; the expiry moment was kept as it was
    assert s.promo_error == "" and s.promo_editing == 0
    assert (s.promos[0]["code"], s.promos[0]["pct"], s.promos[0]["used"], s.promos[0]["once"]) == ("SUMMER20", 20, "0", True)
    changes = _read(db, lambda: [e.after for e in db.exec(select(AuditEntry).where(AuditEntry.action == "promo.update"))])
    assert [set(after) for after in changes] == [{"code", "pct", "usage_limit", "once_per_customer"}]
    # when she deletes it (nobody used it), the dialog asks first, then it is gone
    _call(s, "ask_delete_promo", line["id"])
    assert s.promo_delete["code"] == "SUMMER20" and s.promo_delete["orders"] == 0
    _call(s, "delete_promo")
    assert s.promos == [] and s.promo_delete["id"] == 0
    assert _read(db, lambda: db.get(PromoCode, line["id"])) is None


def test_a_used_promo_code_is_switched_off_instead_of_deleted(db):
    from smo_app.state.promotions import PromotionsState

    # given a code an order used
    vid = variant_id(make_product(db, qty=5))
    s = _signed_in(PromotionsState, db, Role.manager)
    _call(s, "load")
    _call(s, "create_promo", {"code": "USED10", "pct": "10", "limit": "", "expires": ""})
    place(db, make_customer(db).id, {vid: 1}, promo_code="used10")
    db.rollback()
    _call(s, "load")
    line = s.promos[0]
    assert line["orders"] == 1 and line["used"] == "1"
    # when the manager asks to delete it, the dialog offers to switch it off instead
    _call(s, "ask_delete_promo", line["id"])
    assert s.promo_delete["orders"] == 1 and s.promo_delete["active"] is True
    _call(s, "switch_off_instead")
    assert s.promos[0]["active"] is False and s.promo_delete["id"] == 0
    # and a delete that gets through anyway is refused with the reason; renaming it too
    s.promo_delete = {"id": line["id"], "code": line["code"], "orders": 0, "active": False}
    _call(s, "delete_promo")
    assert "has been used in orders (1)" in s.promo_error and s.promos[0]["code"] == "USED10"
    _call(s, "edit_promo", line["id"])
    _call(s, "save_promo", {"code": "OTHER", "pct": "10", "limit": "", "expires": ""})
    assert "its text stays" in s.promo_error
    assert _read(db, lambda: db.get(PromoCode, line["id"]).code) == "USED10"


def test_promo_codes_certificates_and_links_page_on_the_server(db):
    from smo_app.services.customers import tracking
    from smo_app.services.sales import promotions
    from smo_app.state.promotions import PAGE_SIZE, PromotionsState
    from tests.commerce_factories import SYSTEM

    # given one more promo code, certificate and link than a page holds
    for n in range(PAGE_SIZE + 1):
        promotions.create_promo(db, actor=SYSTEM, code=f"PAGE{n:02d}", pct=5)
        promotions.create_certificate(db, actor=SYSTEM, face_minor=1000)
        tracking.create_link(db, actor=SYSTEM, title=f"Link {n}")
    db.rollback()
    s = _signed_in(PromotionsState, db, Role.manager)
    _call(s, "load")
    # then each list shows a page and says another follows; the next page has the oldest one
    assert (len(s.promos), len(s.certs), len(s.links)) == (PAGE_SIZE, PAGE_SIZE, PAGE_SIZE)
    assert s.promo_more and s.cert_more and s.link_more and s.promos[0]["code"] == f"PAGE{PAGE_SIZE:02d}"
    for go, rows in (("promo_go", "promos"), ("cert_go", "certs"), ("link_go", "links")):
        _call(s, go, 1)
        assert len(getattr(s, rows)) == 1
    assert s.promos[0]["code"] == "PAGE00" and not s.promo_more
    # when that last code is deleted, the list steps back to the page that still has codes
    _call(s, "ask_delete_promo", s.promos[0]["id"])
    _call(s, "delete_promo")
    assert s.promo_page == 1 and len(s.promos) == PAGE_SIZE and not s.promo_more


# --------------------------------------------------------------------------- settings

def test_the_owner_sets_time_zone_language_and_referral_tiers(db):
    from smo_app.state.orders import OrdersState
    from smo_app.state.settings import SettingsState

    s = _signed_in(SettingsState, db, Role.owner)
    _guard(s, "/admin/settings", "settings.manage")
    _call(s, "load")
    assert (s.values["shop_timezone"], s.values["language"], s.values["referral_tiers"]) == (
        "Europe/Moscow", "ru", "0:5, 5:7, 15:10")
    # a time zone that does not exist, or tiers that do not read, are named and save nothing
    _call(s, "save", settings_form(s, shop_timezone="Moscow"))
    assert s.message.startswith("“Shop time zone”: no such time zone")
    _call(s, "save", settings_form(s, referral_tiers="five friends: 7"))
    assert s.message.startswith("“Share of friends' purchases by tier”: “friends:percent” pairs")
    _call(s, "save", settings_form(s, referral_tiers="0:5, 0:7"))
    assert s.message.startswith("“Share of friends' purchases by tier”")
    assert _read(db, lambda: db.exec(select(AuditEntry).where(AuditEntry.action == "settings.change")).all()) == []
    # when she picks Vladivostok, English and new tiers
    _call(s, "save", settings_form(s, shop_timezone="Asia/Vladivostok", language="en", referral_tiers="10:9; 0:4"))
    assert s.message == "" and s.values["referral_tiers"] == "0:4, 10:9"
    changed = _read(db, lambda: {e.entity_id: e.after["value"] for e in
                                 db.exec(select(AuditEntry).where(AuditEntry.action == "settings.change"))})
    assert changed == {"shop_timezone": "Asia/Vladivostok", "language": "en", "referral_tiers": [[0, 4], [10, 9]]}
    # then a manager without a language of her own gets English, and times read in Vladivostok
    other = _signed_in(OrdersState, db, Role.manager)
    other.lang = ""
    _guard(other, "/admin/orders", "orders.view")
    assert other.ui_lang == "en" and other.text("ui.save") == "Save"
    # (times read in the screen's language: English here)
    assert other.shop_time(datetime(2030, 1, 1, 0, 0, tzinfo=timezone.utc)) == "Jan 1, 2030, 10:00 AM"


# --------------------------------------------------------------------------- the order card

def test_the_order_card_shows_the_payment_screenshot_and_a_manager_decides_it(db):
    from smo_app.state.order_card import OrderCardState

    # given two orders whose customers sent a screenshot of their transfer
    vid = variant_id(make_product(db, qty=5))
    customer = make_customer(db)
    first, second = (place(db, customer.id, {vid: 1}) for _ in range(2))
    for order in (first, second):
        submit_proof(db, actor=Actor.customer(customer.id), order_id=order.id, filename="pay.png", content=PNG,
                     settings=payment_settings())
    db.rollback()
    s = _signed_in(OrderCardState, db, Role.manager)
    _call(s, "load_page")
    # when the manager opens the first card, the screenshot is there, waiting, with confirm and reject
    _call(s, "open_card", first.id)
    assert s.card_proof["url"].startswith("/api/payment-proofs/") and s.card_proof["decision"].startswith("Waiting")
    assert s.proof_can_decide
    # a rejection needs a reason
    _call(s, "reject_proof", {"reason": "  "})
    assert s.card_error == "Give a reason."
    _call(s, "reject_proof", {"reason": "no such transfer"})
    assert s.card_proof["decision"].startswith("Rejected: Test Manager") and "no such transfer" in s.card_proof["decision"]
    assert not s.proof_can_decide and _read(db, lambda: db.get(Order, first.id).status) == "new"
    # when she confirms the second one, the order is paid
    _call(s, "open_card", second.id)
    _call(s, "confirm_proof")
    assert s.card_error == "" and s.card_proof["decision"].startswith("Payment confirmed: Test Manager")
    assert _read(db, lambda: db.get(Order, second.id).status) == "paid"
    actions = _read(db, lambda: db.exec(select(AuditEntry.action).where(AuditEntry.action.startswith("payment.manual"))).all())
    assert sorted(actions) == ["payment.manual_confirm", "payment.manual_reject"]
    # and an order without a screenshot says so
    third = place(db, customer.id, {vid: 1})
    db.rollback()
    _call(s, "open_card", third.id)
    assert s.card_proof == {} and not s.proof_can_decide
