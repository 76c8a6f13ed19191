"""The staff REST API (/api/v1): a token from the backoffice reads and writes through the same
services as the screens; refusals are JSON in the caller's language; scopes, revocation, expiry,
rate limit and idempotency keys hold."""
from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from smo_app.api import create_api
from smo_app.api.deps import TokenBuckets
from smo_app.models.api_tokens import ApiToken
from smo_app.models.audit import AuditEntry
from smo_app.models.base import utcnow
from smo_app.models.staff import Role
from smo_app.services.staff import api_tokens
from tests.commerce_factories import make_product, place, qty_of, supplier_id, variant_id
from tests.factories import make_customer, make_staff

ALL = sorted(api_tokens.SCOPES)


@pytest.fixture
def shop(engine, monkeypatch):
    """An owner, a product in stock, a customer with an order; the API on this database."""
    from smo_app.db import dispose_engines
    from smo_app.settings import reset_settings_cache

    monkeypatch.setenv("SMO_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    reset_settings_cache()
    with Session(engine, expire_on_commit=False) as s:
        owner = make_staff(s, Role.owner)
        product = make_product(s, qty=20)
        customer = make_customer(s)
        order = place(s, customer.id, {variant_id(product): 2})
        shop = {"engine": engine, "owner": owner, "variant": variant_id(product), "product": product.id,
                "customer": customer.id, "order": order.id, "supplier": supplier_id(s)}
    yield shop
    reset_settings_cache()
    dispose_engines()


def issue(shop, scopes=ALL, name="Accountant", days=30, staff_id=None) -> str:
    with Session(shop["engine"], expire_on_commit=False) as s:
        return api_tokens.create_token(s, actor=shop["owner"].actor(), name=name, scopes=list(scopes), days=days,
                                       staff_id=staff_id or shop["owner"].id).secret


def client(buckets: TokenBuckets | None = None) -> TestClient:
    return TestClient(create_api(api_buckets=buckets))


def auth(secret: str, **headers) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}", **headers}


def test_an_integration_reads_orders_with_a_cursor_and_the_card(shop):
    secret = issue(shop, ["orders:read"])
    api = client()
    page = api.get("/api/v1/orders", params={"tab": "all", "limit": 1}, headers=auth(secret))
    assert page.status_code == 200, page.text
    assert [r["id"] for r in page.json()["rows"]] == [shop["order"]] and page.json()["next_cursor"] is None
    card = api.get(f"/api/v1/orders/{shop['order']}", headers=auth(secret)).json()
    assert card["order"]["status"] == "new"
    assert api.get(f"/api/v1/orders/{shop['order']}/transitions", headers=auth(secret)).json() == []  # may not move
    writer = issue(shop, ["orders:write"], name="Writer")
    moves = api.get(f"/api/v1/orders/{shop['order']}/transitions", headers=auth(writer)).json()
    assert "cancelled" in {m["to_status"] for m in moves}


def test_a_move_is_audited_as_the_staff_member_via_the_token(shop):
    secret = issue(shop, ["orders:write"])
    r = client().post(f"/api/v1/orders/{shop['order']}/transitions", json={"to_status": "paid"}, headers=auth(secret))
    assert r.status_code == 200, r.text and r.json()["status"] == "paid"
    with Session(shop["engine"]) as s:
        names = s.exec(select(AuditEntry.actor_name).where(AuditEntry.action.like("order%"))).all()
    assert any(n.endswith("via API token Accountant") for n in names)


def test_stock_write_off_and_supply_move_the_ledger_once_per_idempotency_key(shop):
    secret = issue(shop, ["stock:write", "stock:read"])
    api = client()
    body = {"lines": [{"variant_id": shop["variant"], "qty": 3}], "comment": "broken"}
    first = api.post("/api/v1/stock/write-offs", json=body, headers=auth(secret, **{"Idempotency-Key": "wo-1"}))
    again = api.post("/api/v1/stock/write-offs", json=body, headers=auth(secret, **{"Idempotency-Key": "wo-1"}))
    assert first.status_code == again.status_code == 201, first.text
    assert first.json() == again.json() and again.headers.get("Idempotent-Replay") == "true"
    with Session(shop["engine"]) as s:
        assert qty_of(s, shop["variant"]) == 20 - 2 - 3  # the order reserved 2; the repeat wrote nothing
    supply = api.post("/api/v1/stock/supplies", headers=auth(secret), json={
        "supplier_id": shop["supplier"], "items": [{"variant_id": shop["variant"], "qty": 5, "total_minor": 50000}]})
    assert supply.status_code == 201, supply.text
    levels = api.get("/api/v1/stock", params={"search": ""}, headers=auth(secret)).json()
    assert any(r["variant_id"] == shop["variant"] and r["qty"] == 20 for r in levels["rows"])
    assert api.get(f"/api/v1/stock/{shop['variant']}/moves", headers=auth(secret)).json()["moves"]


def test_products_with_barcodes_customers_and_analytics(shop):
    secret = issue(shop)
    api = client()
    saved = api.post(f"/api/v1/products/{shop['product']}/variants/{shop['variant']}", headers=auth(secret),
                     json={"label": "50 ml", "price": "1000", "barcode": "4600000000008"})
    assert saved.status_code == 200, saved.text
    product = api.get(f"/api/v1/products/{shop['product']}", headers=auth(secret)).json()
    assert product["variants"][0]["barcode"] == "4600000000008"
    assert api.get("/api/v1/products", headers=auth(secret)).json()["total"] == 1
    assert api.get(f"/api/v1/customers/{shop['customer']}", headers=auth(secret)).json()["id"] == shop["customer"]
    bonus = api.post(f"/api/v1/customers/{shop['customer']}/bonuses", headers=auth(secret),
                     json={"delta_minor": 5000, "note": "apology"})
    assert bonus.status_code == 200, bonus.text and bonus.json()["balance_minor"] == 5000
    for path in ("/api/v1/analytics/pnl", "/api/v1/analytics/revenue", "/api/v1/analytics/abc"):
        r = api.get(path, params={"date_from": "2026-01-01", "date_to": "2026-12-31"}, headers=auth(secret))
        assert r.status_code == 200, (path, r.text)


def test_refusals_are_json_in_the_callers_language(shop):
    secret = issue(shop, ["customers:write", "customers:read"])
    api = client()
    r = api.post(f"/api/v1/customers/{shop['customer']}/bonuses?lang=en", headers=auth(secret),
                 json={"delta_minor": 0, "note": "x"})
    assert r.status_code == 422 and r.json()["code"] == "bonus.delta_zero" and r.json()["message"]
    ru = api.get("/api/v1/customers/999999", headers=auth(secret, **{"Accept-Language": "ru"}))
    assert ru.status_code == 404 and ru.json()["message"] == "Не найдено."
    bad = api.get("/api/v1/orders", params={"tab": "nonsense", "lang": "en"}, headers=auth(secret))
    assert bad.status_code == 422 and bad.json()["code"] == "api.bad_request"


def test_revoked_expired_and_missing_tokens_are_401(shop):
    revoked = issue(shop, ["orders:read"], name="old")
    expiring = issue(shop, ["orders:read"], name="short", days=1)
    with Session(shop["engine"], expire_on_commit=False) as s:
        row = s.exec(select(ApiToken).where(ApiToken.name == "old")).one()
        api_tokens.revoke_token(s, actor=shop["owner"].actor(), token_id=row.id)
        short = s.exec(select(ApiToken).where(ApiToken.name == "short")).one()
        short.expires_at = utcnow() - timedelta(seconds=1)
        s.add(short)
        s.commit()
    api = client()
    for headers in (auth(revoked), auth(expiring), auth("smo_guess"), {}):
        r = api.get("/api/v1/orders?lang=en", headers=headers)
        assert r.status_code == 401 and r.json()["code"] == "api.token_invalid", r.text


WRITES = [
    ("post", "/api/v1/orders/{order}/transitions", {"to_status": "paid"}, "orders:write"),
    ("post", "/api/v1/orders/b2b", {"items": [{"variant_id": 1, "qty": 1, "unit_price_minor": 1}]}, "orders:write"),
    ("post", "/api/v1/stock/write-offs", {"lines": [{"variant_id": 1, "qty": 1}]}, "stock:write"),
    ("post", "/api/v1/stock/supplies", {"supplier_id": 1, "items": [{"variant_id": 1, "qty": 1, "total_minor": 1}]},
     "stock:write"),
    ("post", "/api/v1/products/{product}/variants/{variant}", {"label": "x", "price": "1"}, "catalog:write"),
    ("post", "/api/v1/customers/{customer}/bonuses", {"delta_minor": 1, "note": "x"}, "customers:write"),
]
READS = [
    ("/api/v1/orders", "orders:read"), ("/api/v1/orders/{order}", "orders:read"), ("/api/v1/stock", "stock:read"),
    ("/api/v1/products", "catalog:read"), ("/api/v1/customers", "customers:read"),
    ("/api/v1/analytics/pnl?date_from=2026-01-01&date_to=2026-01-31", "analytics:read"),
]


def test_every_write_without_its_scope_is_refused_and_changes_nothing(shop):
    api = client()
    for method, path, body, scope in WRITES:
        others = [s for s in ALL if s != scope]
        secret = issue(shop, others, name=f"no {scope} {path}")
        with Session(shop["engine"]) as s:
            before = len(s.exec(select(AuditEntry.id)).all())
        r = getattr(api, method)(path.format(**shop), json=body, headers=auth(secret))
        assert r.status_code == 403 and r.json()["code"] == "common.forbidden", (path, r.text)
        with Session(shop["engine"]) as s:
            assert len(s.exec(select(AuditEntry.id)).all()) == before, path


def test_every_read_needs_its_scope(shop):
    api = client()
    for path, scope in READS:
        secret = issue(shop, [s for s in ALL if s != scope and s != scope.replace("read", "write")], name=f"-{path}")
        assert api.get(path.format(**shop), headers=auth(secret)).status_code == 403, path


def test_a_manager_token_never_gets_what_the_role_lacks(shop):
    with Session(shop["engine"], expire_on_commit=False) as s:
        manager = make_staff(s, Role.manager)
    secret = issue(shop, ["orders:read"], staff_id=manager.id)
    with Session(shop["engine"], expire_on_commit=False) as s:  # even if the stored scopes were tampered with
        row = s.exec(select(ApiToken).where(ApiToken.staff_id == manager.id)).one()
        row.scopes = "orders:read,analytics:read"
        s.add(row)
        s.commit()
    assert client().get("/api/v1/analytics/pnl?date_from=2026-01-01&date_to=2026-01-31",
                        headers=auth(secret)).status_code == 403


def test_the_rate_limit_answers_429_per_token(shop):
    one, other = issue(shop, ["orders:read"], name="a"), issue(shop, ["orders:read"], name="b")
    api = client(TokenBuckets(per_minute=1, burst=2))
    codes = [api.get("/api/v1/orders", headers=auth(one)).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert api.get("/api/v1/orders", headers=auth(other)).status_code == 200
    r = api.get("/api/v1/orders?lang=en", headers=auth(one))
    assert r.json()["code"] == "api.rate_limited" and "Try again" in r.json()["message"]


def test_the_spec_lists_the_v1_routes_with_bearer_auth(shop):
    spec = client().get("/api/openapi.json").json()
    assert "/api/v1/orders" in spec["paths"] and "HTTPBearer" in spec["components"]["securitySchemes"]


def test_days_outside_the_calendar_are_refused_not_crashed(shop):
    secret = issue(shop, ["analytics:read", "orders:read"])
    for path in ("/api/v1/analytics/revenue?date_from=0001-01-01&date_to=0001-01-01",
                 "/api/v1/orders?date_from=0001-01-01"):
        r = client().get(path + "&lang=en", headers=auth(secret))
        assert r.status_code == 422 and r.json()["code"] == "api.bad_request", r.text
