"""Product photos (CA1) behind a small storage port; local disk under ``var/uploads`` by default.

A hosting cascade (IN5) can implement :class:`ImageStorage` later without touching the callers.
Only JPEG, PNG and WebP are accepted (checked by their bytes, not the file name); the stored
name is random, so nothing a user typed ever becomes a path.
"""
from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Protocol

from sqlmodel import Session

from smo_app.models.base import utcnow
from smo_app.models.catalog import Product
from smo_app.services.core import audit
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import NotFound, ValidationFailed
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.tx import atomic
from smo_app.settings import PROJECT_ROOT

MAX_BYTES = 5 * 1024 * 1024
MAX_PHOTOS = 10
URL_PREFIX = "/api/uploads/"
NAME = re.compile(r"^[a-f0-9]{32}\.(jpg|png|webp)$")
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


class ImageStorage(Protocol):
    def save(self, data: bytes, *, ext: str) -> str:
        """Store the bytes; return the public URL."""

    def delete(self, url: str) -> None:
        """Forget a stored image (a URL it did not store is ignored)."""


def sniff(data: bytes) -> str | None:
    """The image type by its magic bytes: ``jpg``, ``png``, ``webp`` or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def default_root() -> Path:
    return PROJECT_ROOT / "var" / "uploads"


class LocalDiskStorage:
    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root else default_root()

    def save(self, data: bytes, *, ext: str) -> str:
        self.root.mkdir(parents=True, exist_ok=True)
        name = f"{secrets.token_hex(16)}.{ext}"
        (self.root / name).write_bytes(data)
        return URL_PREFIX + name

    def path_of(self, name: str) -> Path | None:
        """The file for a public name, or None for anything that is not one of ours."""
        if not NAME.match(name or ""):
            return None
        path = self.root / name
        return path if path.is_file() else None

    def delete(self, url: str) -> None:
        if url.startswith(URL_PREFIX):
            path = self.path_of(url[len(URL_PREFIX):])
            if path is not None:
                path.unlink(missing_ok=True)


@atomic
def add_photo(session: Session, *, actor: Actor, product_id: int, data: bytes,
              storage: ImageStorage | None = None) -> list[str]:
    """Validate and store an uploaded photo, append it to the product's photos; audited."""
    require(actor, Perm.catalog_edit)
    product = session.get(Product, product_id)
    if product is None or product.deleted:
        raise NotFound("product", product_id)
    if len(data) > MAX_BYTES:
        raise ValidationFailed("images.too_big", "image too big", max_mb=MAX_BYTES // (1024 * 1024))
    ext = sniff(data)
    if ext is None:
        raise ValidationFailed("images.not_image", "not an image")
    if len(product.photos or []) >= MAX_PHOTOS:
        raise ValidationFailed("images.too_many", "too many photos", max=MAX_PHOTOS)
    url = (storage or LocalDiskStorage()).save(data, ext=ext)
    product.photos = [*(product.photos or []), url]
    product.updated_at = utcnow()
    session.add(product)
    audit.record(session, actor=actor, action="catalog.photo_add", entity="product", entity_id=product_id,
                 after={"photo": url})
    session.commit()
    return list(product.photos)


@atomic
def remove_photo(session: Session, *, actor: Actor, product_id: int, url: str,
                 storage: ImageStorage | None = None) -> list[str]:
    require(actor, Perm.catalog_edit)
    product = session.get(Product, product_id)
    if product is None or product.deleted:
        raise NotFound("product", product_id)
    if url not in (product.photos or []):
        raise NotFound("photo", url)
    product.photos = [p for p in product.photos if p != url]
    product.updated_at = utcnow()
    session.add(product)
    audit.record(session, actor=actor, action="catalog.photo_remove", entity="product", entity_id=product_id,
                 before={"photo": url})
    session.commit()
    (storage or LocalDiskStorage()).delete(url)
    return list(product.photos)
