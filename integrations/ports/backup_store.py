"""Off-site backup copies (OP1, IN6): where a finished backup archive is also kept, outside the
shop's server. ``S3BackupStore`` (``integrations/s3/backup_store.py``) puts them in an S3-compatible
bucket (Yandex Object Storage, Selectel, VK Cloud, MinIO, AWS) through boto3; tests run it against
``integrations/s3/fake.py``. Keys are ``backups/<file name>``.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Optional, Protocol, runtime_checkable

PREFIX = "backups/"


@runtime_checkable
class BackupStorePort(Protocol):
    where: str  # what the owner reads in the history, e.g. "s3://shop-backups/backups/"

    def put(self, key: str, path: Path) -> None:
        """Upload the file under ``key``; raise ``integrations.http.IntegrationError`` when it fails."""
        ...

    def keys(self, prefix: str) -> list[str]:
        """The keys under ``prefix`` (all pages)."""
        ...

    def delete(self, key: str) -> None: ...

    def check(self) -> int:
        """List the prefix and put (then delete) a tiny object; the number of archives there.
        Raises ``IntegrationError`` with the store's answer."""
        ...


# what the composition root provides: the owner's set-up (endpoint, bucket, region, access_key,
# secret_key) -> the store, or None while it is incomplete (off)
BackupStoreConnector = Callable[[Mapping[str, str]], Optional[BackupStorePort]]
