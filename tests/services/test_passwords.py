"""Passwords and PINs are hashed with argon2id at OWASP's cost; the suite's fast hashing is its own."""
from __future__ import annotations

import pytest

from smo_app.services.staff import passwords


@pytest.fixture
def hashing(monkeypatch):
    """``hashing(fast)``: the module's context as a process with (or without) the test knob builds it."""
    def use(fast: bool):
        if fast:
            monkeypatch.setenv(passwords.FAST_FOR_TESTS_ENV, "1")
        else:
            monkeypatch.delenv(passwords.FAST_FOR_TESTS_ENV, raising=False)
        passwords._context.cache_clear()
    yield use
    passwords._context.cache_clear()


def test_a_shop_hashes_a_password_with_argon2id_at_the_owasp_cost(hashing):
    # given a process started without the suite's knob (the web app, the sidecar)
    hashing(fast=False)
    # when a password is hashed
    hashed = passwords.hash_secret("owner-secret-1")
    # then it is argon2id with 19 MiB of memory and two passes, and it verifies
    assert hashed.startswith("$argon2id$") and "m=19456,t=2,p=1" in hashed
    assert passwords.verify_secret("owner-secret-1", hashed)
    assert not passwords.verify_secret("owner-secret-2", hashed)


def test_the_suites_fast_hashes_and_the_shops_hashes_verify_either_way(hashing):
    hashing(fast=False)
    strong = passwords.hash_secret("1234")
    hashing(fast=True)
    fast = passwords.hash_secret("1234")
    assert "m=8,t=1,p=1" in fast
    # a hash carries its own cost: each verifies under the other setting too
    assert passwords.verify_secret("1234", strong) and passwords.verify_secret("1234", fast)
    hashing(fast=False)
    assert passwords.verify_secret("1234", fast) and not passwords.verify_secret("4321", fast)


def test_no_stored_hash_is_refused(hashing):
    hashing(fast=False)
    assert not passwords.verify_secret("anything", None)
