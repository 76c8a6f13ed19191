"""An S3-compatible bucket as the image store (IN5), through boto3 — the kept library every
S3-compatible host (Yandex Object Storage, Selectel, VK Cloud, MinIO, AWS) documents. Each photo is
stored with its thumbnails (``<key>-w320.jpg`` …) and a long cache lifetime (names are random, so an
object never changes); the URL kept on the product is the bucket's public URL of the object.

``integrations/s3/fake.py`` is a fake S3 speaking the REST wire format (path-style PUT/GET/HEAD/DELETE
with SigV4-signed requests), served on a local port for tests.
"""
from __future__ import annotations

import secrets

from integrations.images import make_thumbnail
from integrations.ports.images import THUMB_WIDTHS

CACHE = "public, max-age=31536000, immutable"


def client(*, endpoint: str, access_key: str, secret_key: str, region: str, read_timeout: int = 15):
    """A boto3 S3 client for any S3-compatible host: path-style addressing, SigV4, short timeouts,
    checksums only where S3 requires them (many compatible hosts refuse the newer ones)."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id=access_key, aws_secret_access_key=secret_key,
        region_name=region,
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4", retries={"max_attempts": 3},
                      connect_timeout=3, read_timeout=read_timeout, request_checksum_calculation="when_required",
                      response_checksum_validation="when_required"))


class S3ImageStore:
    provider = "s3"

    def __init__(self, *, endpoint: str, bucket: str, access_key: str, secret_key: str, region: str = "ru-central1",
                 public_url: str | None = None, prefix: str = "products/") -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.public_url = (public_url or f"{endpoint.rstrip('/')}/{bucket}").rstrip("/")
        self._s3 = client(endpoint=endpoint, access_key=access_key, secret_key=secret_key, region=region)

    @classmethod
    def from_settings(cls, settings) -> "S3ImageStore":
        if not (settings.images_s3_endpoint and settings.images_s3_bucket and settings.images_s3_access_key
                and settings.images_s3_secret_key):
            raise ValueError("SMO_IMAGES_BACKEND=s3 needs SMO_IMAGES_S3_ENDPOINT, _BUCKET, _ACCESS_KEY and _SECRET_KEY")
        return cls(endpoint=settings.images_s3_endpoint, bucket=settings.images_s3_bucket,
                   access_key=settings.images_s3_access_key,
                   secret_key=settings.images_s3_secret_key.get_secret_value(), region=settings.images_s3_region,
                   public_url=settings.images_s3_public_url)

    def _key(self, url: str) -> str | None:
        if not self.owns(url):
            return None
        return url[len(self.public_url) + 1:]

    def owns(self, url: str) -> bool:
        return (url or "").startswith(self.public_url + "/" + self.prefix)

    def save(self, data: bytes, *, ext: str, content_type: str) -> str:
        key = f"{self.prefix}{secrets.token_hex(16)}.{ext}"
        self._s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type, CacheControl=CACHE)
        for width in THUMB_WIDTHS:
            self._s3.put_object(Bucket=self.bucket, Key=self._thumb_key(key, width), Body=make_thumbnail(data, width),
                                ContentType="image/jpeg", CacheControl=CACHE)
        return f"{self.public_url}/{key}"

    @staticmethod
    def _thumb_key(key: str, width: int) -> str:
        return f"{key.rsplit('.', 1)[0]}-w{width}.jpg"

    def read(self, url: str) -> bytes | None:
        key = self._key(url)
        if key is None:
            return None
        from botocore.exceptions import ClientError

        try:
            return self._s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError:
            return None

    def thumbnail_url(self, url: str, width: int) -> str:
        key = self._key(url)
        if key is None or width not in THUMB_WIDTHS:
            return url
        return f"{self.public_url}/{self._thumb_key(key, width)}"

    def delete(self, url: str) -> None:
        key = self._key(url)
        if key is None:
            return
        self._s3.delete_object(Bucket=self.bucket, Key=key)
        for width in THUMB_WIDTHS:
            self._s3.delete_object(Bucket=self.bucket, Key=self._thumb_key(key, width))
