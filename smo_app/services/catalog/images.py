"""Product photos (CA1) through the image port (IN5): local disk under ``var/uploads`` by default, or
an S3-compatible bucket (``SMO_IMAGES_BACKEND=s3``); the composition root picks the store.

Only JPEG, PNG and WebP are accepted (checked by their bytes, not the file name) and Pillow must be
able to open them; the stored name is random, so nothing a user typed ever becomes a path. The bot
sends each stored photo's bytes to Telegram once: the ``file_id`` Telegram gives back is kept
(:func:`telegram_photo`, :func:`remember_file_id`) and sent instead from then on.
"""
from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Protocol

from sqlmodel import Session

from integrations.images import CONTENT_TYPES as _TYPES
from integrations.images import LocalImageStore
from smo_app.models.base import utcnow
from smo_app.models.catalog import Product
from smo_app.models.images import TelegramFileId
from smo_app.services.catalog.products import live_product
from smo_app.services.core import audit, ports
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import NotFound, ValidationFailed
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.tx import atomic
from smo_app.settings import uploads_dir

MAX_BYTES = 5 * 1024 * 1024
MAX_PHOTOS = 10
URL_PREFIX = "/api/uploads/"
NAME = re.compile(r"^[a-f0-9]{32}\.(jpg|png|webp)$")
CONTENT_TYPES = _TYPES


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
    return uploads_dir()


def LocalDiskStorage(root: Path | None = None) -> LocalImageStore:  # noqa: N802 - the old name, kept for callers
    return LocalImageStore(Path(root) if root else default_root())


def _opens(data: bytes) -> bool:
    """Pillow can read it (a truncated or forged file is refused, not stored)."""
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            img.verify()
        return True
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return False


def store_broadcast_photo(session: Session, *, actor: Actor, data: bytes) -> str:
    """A broadcast's photo uploaded from the broadcasts page, stored through the image port; its URL
    goes on the broadcast (the sender uploads the bytes to Telegram once, then reuses the file id)."""
    require(actor, Perm.broadcasts_manage)
    checked = checked_image(data)
    session.rollback()  # nothing to write here: the broadcast that uses it is created (and audited) later
    return store_image(checked)


def _set_photos(session: Session, actor: Actor, product: Product, photos: list[str], action: str,
                **change: dict[str, str]) -> None:
    """Give the product its new photo list, audited (``change``: the photo ``before``/``after``); commits."""
    product.photos = photos
    product.updated_at = utcnow()
    session.add(product)
    audit.record(session, actor=actor, action=action, entity="product", entity_id=product.id, **change)
    session.commit()


def checked_image(data: bytes) -> bytes:
    """``data`` if it is an image we keep (size, a known format Pillow can read), else refused."""
    if len(data) > MAX_BYTES:
        raise ValidationFailed("images.too_big", "image too big", max_mb=MAX_BYTES // (1024 * 1024))
    if sniff(data) is None or not _opens(data):
        raise ValidationFailed("images.not_image", "not an image")
    return data


def store_image(data: bytes, storage: ImageStorage | None = None) -> str:
    """Store a checked image through the image port; its URL."""
    ext = sniff(data)
    return (storage or ports.images()).save(data, ext=ext, content_type=CONTENT_TYPES[ext])


@atomic
def add_photo(session: Session, *, actor: Actor, product_id: int, data: bytes,
              storage: ImageStorage | None = None) -> list[str]:
    """Validate and store an uploaded photo, append it to the product's photos; audited."""
    require(actor, Perm.catalog_edit)
    product = live_product(session, product_id)
    checked = checked_image(data)
    if len(product.photos or []) >= MAX_PHOTOS:
        raise ValidationFailed("images.too_many", "too many photos", max=MAX_PHOTOS)
    url = store_image(checked, storage)
    _set_photos(session, actor, product, [*(product.photos or []), url], "catalog.photo_add", after={"photo": url})
    return list(product.photos)


@atomic
def remove_photo(session: Session, *, actor: Actor, product_id: int, url: str,
                 storage: ImageStorage | None = None) -> list[str]:
    require(actor, Perm.catalog_edit)
    product = live_product(session, product_id)
    if url not in (product.photos or []):
        raise NotFound("photo", url)
    _set_photos(session, actor, product, [p for p in product.photos if p != url], "catalog.photo_remove",
                before={"photo": url})
    (storage or ports.images()).delete(url)
    return list(product.photos)


def thumbnail(url: str, width: int = 320) -> str:
    """The URL of a photo's thumbnail (the photo's own URL for one the store does not hold)."""
    return ports.images().thumbnail_url(url, width)


def telegram_photo(session: Session, *, url: str) -> tuple[str, object] | None:
    """How the bot sends the photo at ``url``: ``("file_id", id)`` when Telegram has it already,
    ``("bytes", (data, filename))`` the first time (then :func:`remember_file_id`), or None for a
    photo the image store does not hold (sent as it is: a URL or a file id)."""
    store = ports.images()
    if not store.owns(url):
        return None
    row = session.get(TelegramFileId, url)
    file_id = row.file_id if row is not None else None
    # end the read before the caller uploads: on SQLite every transaction holds the write lock, and
    # the upload to Telegram can take seconds (every other writer of the shop would wait for it)
    session.rollback()
    if file_id is not None:
        return "file_id", file_id
    data = store.read(url)
    if data is None:
        return None
    return "bytes", (data, url.rsplit("/", 1)[-1].split("?", 1)[0])


def remember_file_id(session: Session, *, url: str, file_id: str) -> None:
    """Keep the ``file_id`` Telegram gave the bytes of ``url`` (the first one kept wins)."""
    if session.get(TelegramFileId, url) is None:
        session.add(TelegramFileId(url=url[:500], file_id=file_id[:255]))
    session.commit()
