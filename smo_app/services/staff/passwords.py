"""Password and PIN hashing: argon2id through passlib with OWASP parameters."""
from __future__ import annotations

from functools import lru_cache

from passlib.context import CryptContext


@lru_cache(maxsize=1)
def _context() -> CryptContext:
    return CryptContext(
        schemes=["argon2"],
        argon2__type="ID",
        argon2__memory_cost=19 * 1024,  # KiB
        argon2__time_cost=2,
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
