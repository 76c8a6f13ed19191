"""Backup archives in an S3-compatible bucket (the off-site copy of ``BackupStorePort``), through the
same boto3 client as the image store. Every failure (wrong keys, no such bucket, the host down)
becomes an ``IntegrationError`` with the store's own words."""
from __future__ import annotations

from pathlib import Path

from integrations.http import IntegrationError
from integrations.ports.backup_store import PREFIX
from integrations.s3 import client

PROVIDER = "s3"
PROBE = PREFIX + ".smo-check"


def _error(exc: Exception) -> IntegrationError:
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return IntegrationError(PROVIDER, f"{err.get('Code', 'Error')}: {err.get('Message', '')}".strip(": "),
                                status=status, code="s3.refused")
    return IntegrationError(PROVIDER, f"{type(exc).__name__}: {exc}", code="s3.unreachable")


class S3BackupStore:
    def __init__(self, *, endpoint: str, bucket: str, access_key: str, secret_key: str,
                 region: str = "ru-central1") -> None:
        self.bucket = bucket
        self.where = f"s3://{bucket}/{PREFIX}"
        self._s3 = client(endpoint=endpoint, access_key=access_key, secret_key=secret_key, region=region,
                          read_timeout=120)

    def put(self, key: str, path: Path) -> None:
        try:
            with open(path, "rb") as body:
                self._s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType="application/zip")
        except Exception as exc:  # noqa: BLE001 - boto3/botocore raise many kinds; one error for the run
            raise _error(exc) from exc

    def keys(self, prefix: str) -> list[str]:
        try:
            pages = self._s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
            return [item["Key"] for page in pages for item in page.get("Contents", [])]
        except Exception as exc:  # noqa: BLE001
            raise _error(exc) from exc

    def delete(self, key: str) -> None:
        try:
            self._s3.delete_object(Bucket=self.bucket, Key=key)
        except Exception as exc:  # noqa: BLE001
            raise _error(exc) from exc

    def check(self) -> int:
        found = [k for k in self.keys(PREFIX) if k != PROBE]
        try:
            self._s3.put_object(Bucket=self.bucket, Key=PROBE, Body=b"ok", ContentType="text/plain")
            self._s3.delete_object(Bucket=self.bucket, Key=PROBE)
        except Exception as exc:  # noqa: BLE001
            raise _error(exc) from exc
        return len(found)


def from_config(config: dict) -> S3BackupStore | None:
    """The store for an owner's set-up (endpoint, bucket, region, access_key, secret_key); None
    while any of the four required values is missing (off)."""
    if not all(config.get(k) for k in ("endpoint", "bucket", "access_key", "secret_key")):
        return None
    return S3BackupStore(endpoint=config["endpoint"], bucket=config["bucket"], access_key=config["access_key"],
                         secret_key=config["secret_key"], region=config.get("region") or "ru-central1")
