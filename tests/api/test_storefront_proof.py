"""POST /api/storefront/orders/<id>/payment-proof: the Mini App sends the customer's screenshot of a
transfer; only the customer behind the session cookie, for their own order, a picture, and only
from the shop's own page (the X-Smo-Request header) — anything else attaches nothing and says why."""
from __future__ import annotations

import pytest
from sqlmodel import select

from smo_app.models.payments import Payment, PaymentProof
from smo_app.services.customers import sessions as customer_sessions
from tests.commerce_factories import make_product, place
from tests.factories import make_customer

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
OWN_PAGE = {"X-Smo-Request": "1"}


@pytest.fixture
def client(app_client):
    return app_client


@pytest.fixture
def order(session, monkeypatch):
    monkeypatch.setenv("SMO_PAYMENT_METHODS", "manual")
    from smo_app.settings import reset_settings_cache

    reset_settings_cache()
    customer = make_customer(session)
    product = make_product(session, name="Candle", price_minor=50000, qty=5)
    return place(session, customer.id, {product.variants[0].id: 1}, delivery_type="pickup",
                 address="Pickup point", contact_name="Olga", phone="+79990001122")


def _send(client, session, order_id: int, content: bytes, *, token: str | None = "own", headers=OWN_PAGE,
          lang: str = "en"):
    if token == "own":
        from smo_app.models.orders import Order

        token = customer_sessions.start_customer_session(session, customer_id=session.get(Order, order_id).customer_id)
    client.cookies.clear()
    client.cookies.set("smo_customer_lang", lang)
    if token:
        client.cookies.set("smo_customer_session", token)
    return client.post(f"/api/storefront/orders/{order_id}/payment-proof", headers=headers,
                       files={"file": ("transfer.png", content, "image/png")})


def _proofs(session) -> list[PaymentProof]:
    session.expire_all()
    return session.exec(select(PaymentProof)).all()


def test_the_customer_attaches_a_screenshot_to_their_order(client, session, order):
    # when the customer's page sends a picture for their own order
    response = _send(client, session, order.id, PNG)
    # then it is attached to the order's transfer payment
    assert response.status_code == 200 and response.json() == {"ok": True}
    [proof] = _proofs(session)
    assert (proof.filename, proof.content_type, proof.content) == ("transfer.png", "image/png", PNG)
    payment = session.get(Payment, proof.payment_id)
    assert (payment.order_id, payment.provider, payment.status) == (order.id, "manual", "pending")


@pytest.mark.parametrize("content, message", [
    (b"%PDF-1.4 not a picture", "An image is needed: JPEG, PNG or WebP."),
    (b"", "Attach a screenshot of the payment."),
    (PNG + b"\x00" * (5 * 1024 * 1024), "The file is too large (at most 5 MB)."),
])
def test_a_file_that_is_not_a_picture_is_refused_with_a_reason(client, session, order, content, message):
    response = _send(client, session, order.id, content)
    assert response.status_code == 200 and response.json() == {"ok": False, "message": message}
    assert _proofs(session) == []


def test_someone_elses_order_or_no_session_attaches_nothing(client, session, order):
    stranger = customer_sessions.start_customer_session(session, customer_id=make_customer(session).id)
    answer = _send(client, session, order.id, PNG, token=stranger).json()
    assert answer["ok"] is False and answer["message"]
    signed_out = _send(client, session, order.id, PNG, token=None)
    assert signed_out.status_code == 401 and signed_out.json()["ok"] is False
    assert _proofs(session) == []


def test_a_request_not_from_the_shops_page_is_refused(client, session, order):
    # (a form on another site can post a file with the customer's cookie, but cannot add the header)
    response = _send(client, session, order.id, PNG, headers={})
    assert response.status_code == 403 and _proofs(session) == []


def test_the_answer_is_in_the_customers_language(client, session, order):
    answer = _send(client, session, order.id, b"not a picture", lang="ru").json()
    assert answer == {"ok": False, "message": "Нужна картинка: JPEG, PNG или WebP."}


def test_the_customer_attaches_a_screenshot_of_a_bookings_deposit_and_only_staff_see_it(client, session, monkeypatch):
    from smo_app.models.bookings import Booking, BookingDepositProof
    from smo_app.services.bookings import booking
    from smo_app.services.core.actor import Actor
    from tests.booking_support import PHONE, make_service, next_week, shop_takes_transfers

    # given a shop taking transfers and a customer's booking waiting for its deposit
    shop_takes_transfers(session, monkeypatch)
    service = make_service(session, deposit_kind="fixed", deposit_value=50000, hold_min=15)
    customer, other = make_customer(session), make_customer(session)
    held = booking.book(session, actor=Actor.customer(customer.id), service_id=service.id,
                        starts_at=next_week("10:00"), contact_name="Анна", contact_phone=PHONE)

    def send(customer_id, content=PNG):
        client.cookies.clear()
        client.cookies.set("smo_customer_session",
                           customer_sessions.start_customer_session(session, customer_id=customer_id))
        return client.post(f"/api/storefront/bookings/{held.id}/deposit-proof", headers=OWN_PAGE,
                           files={"file": ("transfer.png", content, "image/png")})

    # another customer cannot attach one to it; the owner's page can, and the booking waits for staff
    assert send(other.id).json()["ok"] is False
    assert send(customer.id).json() == {"ok": True}
    session.expire_all()
    [proof] = session.exec(select(BookingDepositProof)).all()
    assert (proof.booking_id, proof.content) == (held.id, PNG)
    assert session.get(Booking, held.id).hold_until is None
    # a customer's cookie does not open the screenshot: it is for staff
    assert client.get(f"/api/booking-proofs/{held.id}").status_code in (401, 403)
