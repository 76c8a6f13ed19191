"""schemathesis fuzzes the staff API's whole OpenAPI spec (/api/v1) with a live token holding every
scope: no server error, and every answer (status, content type, headers, body) matches the spec.
A well-formed request the shop refuses (no such variant, a period too long, a move not allowed now)
is a documented 404/422, so schemathesis' "schema-valid request rejected" check is left out.

(schemathesis' own pytest plugin does not run under this pytest; each operation's cases are drawn
from ``operation.as_strategy()`` by hypothesis here instead — the same generation and checks.)"""
from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlmodel import Session

from smo_app.api import create_api
from smo_app.api.deps import TokenBuckets
from smo_app.models.staff import Role
from smo_app.services.staff import api_tokens
from tests.commerce_factories import make_product, place, variant_id
from tests.factories import make_customer, make_staff


def _schema(app):
    return schemathesis.openapi.from_asgi("/api/openapi.json", app).include(path_regex=r"^/api/v1/")


def _operations(app) -> dict[str, object]:
    return {op.ok().label: op.ok() for op in _schema(app).get_all_operations()}


LABELS = sorted(_operations(create_api()))
# The suite replays the same examples every run (no flaky fuzzing); SMO_FUZZ_EXAMPLES=200 explores anew.
EXAMPLES = int(os.environ.get("SMO_FUZZ_EXAMPLES", "15"))
DERANDOMIZE = "SMO_FUZZ_EXAMPLES" not in os.environ


@pytest.fixture
def fuzzed(sqlite_engine, monkeypatch):
    """The API on a small shop (a product, a customer's order) and a token with every scope."""
    from smo_app.db import dispose_engines
    from smo_app.settings import reset_settings_cache

    monkeypatch.setenv("SMO_DATABASE_URL", sqlite_engine.url.render_as_string(hide_password=False))
    reset_settings_cache()
    with Session(sqlite_engine, expire_on_commit=False) as s:
        owner = make_staff(s, Role.owner)
        product = make_product(s, qty=50)
        place(s, make_customer(s).id, {variant_id(product): 1})
        secret = api_tokens.create_token(s, actor=owner.actor(), name="fuzz", staff_id=owner.id,
                                         scopes=sorted(api_tokens.SCOPES), days=1).secret
    app = create_api(api_buckets=TokenBuckets(per_minute=1_000_000, burst=1_000_000))
    yield _operations(app), secret
    reset_settings_cache()
    dispose_engines()


def test_every_v1_route_is_fuzzed():
    assert len(LABELS) >= 17 and all("/api/v1/" in label for label in LABELS)


@pytest.mark.parametrize("label", LABELS)
def test_the_spec_holds(fuzzed, label):
    operations, secret = fuzzed

    @given(case=operations[label].as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None,
              derandomize=DERANDOMIZE)
    def check(case):
        case.call_and_validate(headers={"Authorization": f"Bearer {secret}"},
                               excluded_checks=[positive_data_acceptance])

    check()
