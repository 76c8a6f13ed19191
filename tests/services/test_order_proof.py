"""The order card's payment proof: the customer's screenshot of a manual transfer, what was decided
by whom, and the image itself served to signed-in backoffice staff only."""
from __future__ import annotations

from fastapi.testclient import TestClient

from smo_app.api import create_api
from smo_app.db import dispose_engines
from smo_app.services.core.actor import Actor
from smo_app.services.payments.manual import decide_manual_payment, order_proof, submit_proof
from smo_app.services.staff import auth
from smo_app.settings import reset_settings_cache
from tests.factories import PASSWORD, PIN, make_staff
from tests.payments_support import order_for, settings, shop

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_the_card_shows_the_screenshot_waiting_then_who_decided(session):
    # given an order without a screenshot
    vid, customer = shop(session)
    order = order_for(session, vid, customer)
    manager = make_staff(session, "manager")
    assert order_proof(session, actor=manager.actor(), order_id=order.id) is None
    # when the customer sends one
    paid = submit_proof(session, actor=Actor.customer(customer.id), order_id=order.id, filename="pay.png", content=PNG,
                        settings=settings())
    # then the card shows it waiting, with confirm / reject for a manager
    proof = order_proof(session, actor=manager.actor(), order_id=order.id)
    assert (proof.payment_id, proof.payment_status, proof.amount_minor, proof.decided_at) == (
        paid.id, "pending", paid.amount_minor, None)
    assert proof.can_decide is True
    # when the manager rejects it with a reason
    decide_manual_payment(session, actor=manager.actor(), payment_id=paid.id, accept=False, note="no transfer")
    # then the card shows who rejected it and why, with nothing left to decide
    proof = order_proof(session, actor=manager.actor(), order_id=order.id)
    assert (proof.payment_status, proof.decided_by_name, proof.decision_note, proof.can_decide) == (
        "rejected", "Test Manager", "no transfer", False)


def _get(path: str, cookie: str | None):
    client = TestClient(create_api())
    if cookie:
        client.cookies.set("smo_bo_session", cookie)
    return client.get(path)


def test_the_image_is_served_to_backoffice_staff_only(engine, session, monkeypatch):
    # given a screenshot, a manager signed in to the backoffice and a seller signed in to the till
    vid, customer = shop(session)
    order = order_for(session, vid, customer)
    paid = submit_proof(session, actor=Actor.customer(customer.id), order_id=order.id, filename="pay.png", content=PNG,
                        settings=settings())
    manager = make_staff(session, "manager")
    seller = make_staff(session, "seller")
    manager_token = auth.sign_in_password(session, username=manager.username, password=PASSWORD).token
    seller_token = auth.sign_in_pin(session, username=seller.username, pin=PIN).token
    monkeypatch.setenv("SMO_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    reset_settings_cache()
    try:
        path = f"/api/payment-proofs/{paid.id}"
        # when the manager opens it: the image, as an image that runs nothing and is not cached
        ok = _get(path, manager_token)
        # when nobody, a till session or a made-up token asks: refused; an unknown payment: not found
        refused = [_get(path, token).status_code for token in (None, seller_token, "made-up")]
        missing = _get(f"/api/payment-proofs/{paid.id + 100}", manager_token).status_code
    finally:
        reset_settings_cache()
        dispose_engines()
    assert ok.status_code == 200 and ok.content == PNG and ok.headers["content-type"] == "image/png"
    assert ok.headers["x-content-type-options"] == "nosniff" and "no-store" in ok.headers["cache-control"]
    assert ok.headers["content-security-policy"] == "default-src 'none'"
    assert refused == [401, 401, 401] and missing == 404
