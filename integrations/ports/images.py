"""The image hosting port (IN5): where product and broadcast photos live and how they are served.

``LocalImageStore`` (``integrations/images``) keeps them under ``var/uploads`` and the web app
serves them (``/api/uploads/<name>``, thumbnails ``?w=<width>``); ``S3ImageStore``
(``integrations/s3``) puts them in an S3-compatible bucket (Yandex Object Storage, Selectel, MinIO,
AWS) through boto3. A URL a store returns is what the shop keeps on the product.
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

THUMB_WIDTHS = (160, 320, 640)  # the only sizes made: nobody can ask for a 10 000-pixel "thumbnail"


@runtime_checkable
class ImagePort(Protocol):
    provider: str

    def save(self, data: bytes, *, ext: str, content_type: str) -> str:
        """Store the bytes (and their thumbnails); return the public URL."""
        ...

    def read(self, url: str) -> bytes | None:
        """The bytes of an image this store holds (None for a URL it does not know)."""
        ...

    def owns(self, url: str) -> bool: ...

    def thumbnail_url(self, url: str, width: int) -> str: ...

    def delete(self, url: str) -> None: ...
