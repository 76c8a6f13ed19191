"""Password and PIN hashing: argon2id through passlib with OWASP parameters.

The test suite (and only it: ``tests/conftest.py`` and the apps its journeys start) sets
``SMO_TEST_FAST_PASSWORD_HASHING=1``: new hashes are then argon2id at its smallest cost, as Django's
test runners swap in a fast hasher — a suite creating thousands of staff would otherwise spend
minutes of CPU hashing. Verifying reads the cost from the hash itself, so either kind verifies."""
from __future__ import annotations

import logging
import os
from functools import lru_cache

from passlib.context import CryptContext

log = logging.getLogger(__name__)

OWASP_MEMORY_KIB = 19 * 1024
OWASP_TIME_COST = 2
FAST_FOR_TESTS_ENV = "SMO_TEST_FAST_PASSWORD_HASHING"


@lru_cache(maxsize=1)
def _context() -> CryptContext:
    fast = os.environ.get(FAST_FOR_TESTS_ENV) == "1"
    if fast:
        log.warning("%s=1: passwords are hashed at the smallest cost (meant for the test suite only)",
                    FAST_FOR_TESTS_ENV)
    return CryptContext(
        schemes=["argon2"],
        argon2__type="ID",
        argon2__memory_cost=8 if fast else OWASP_MEMORY_KIB,  # KiB
        argon2__time_cost=1 if fast else OWASP_TIME_COST,
        argon2__parallelism=1,
    )


def hash_secret(secret: str) -> str:
    return _context().hash(secret)


def verify_secret(secret: str, hashed: str | None) -> bool:
    if not hashed:
        # Spend the same time as a real check so unknown users are not told apart by timing.
        _context().dummy_verify()
        return False
    try:
        return _context().verify(secret, hashed)
    except (ValueError, TypeError):
        return False
