"""The backup archive: a zip holding ``manifest.json``, the database and ``files/…`` (the uploads),
optionally sealed with the owner's passphrase.

Sealed form: ``SMOBAK1\\n`` + a 16-byte salt + a Fernet token (``cryptography``) of the zip, its key
derived from the passphrase by scrypt. Everything is checked before a restore touches anything: the
seal, the zip's CRCs, the manifest, and every member's size and SHA-256.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from smo_app.services.core.errors import ValidationFailed

FORMAT = "smo-backup/1"
MAGIC = b"SMOBAK1\n"
SALT_BYTES = 16
MANIFEST = "manifest.json"


@dataclass
class Manifest:
    engine: str  # sqlite | postgresql
    db_member: str  # database.sqlite | database.pgdump
    schema_revision: str | None
    created_at: str
    app_version: str
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)  # name → {rows, sha256}
    members: dict[str, dict[str, Any]] = field(default_factory=dict)  # path → {size, sha256}
    format: str = FORMAT

    @property
    def files(self) -> list[str]:
        return sorted(m for m in self.members if m.startswith("files/"))

    def to_json(self) -> bytes:
        return json.dumps(self.__dict__, ensure_ascii=False, indent=1, sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> "Manifest":
        data = json.loads(raw)
        if data.get("format") != FORMAT:
            raise ValidationFailed("backup.unknown_format", "not a backup of this program")
        return cls(**{k: data[k] for k in ("engine", "db_member", "schema_revision", "created_at", "app_version",
                                           "tables", "members", "format")})


def _key(passphrase: str, salt: bytes) -> bytes:
    return base64.urlsafe_b64encode(Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(passphrase.encode()))


def seal(zip_bytes: bytes, passphrase: str | None) -> bytes:
    if not passphrase:
        return zip_bytes
    salt = os.urandom(SALT_BYTES)
    return MAGIC + salt + Fernet(_key(passphrase, salt)).encrypt(zip_bytes)


def is_sealed(data: bytes) -> bool:
    return data.startswith(MAGIC)


def unseal(data: bytes, passphrase: str | None) -> bytes:
    if not is_sealed(data):
        return data
    if not passphrase:
        raise ValidationFailed("backup.passphrase_needed", "the archive is encrypted")
    salt = data[len(MAGIC):len(MAGIC) + SALT_BYTES]
    try:
        return Fernet(_key(passphrase, salt)).decrypt(data[len(MAGIC) + SALT_BYTES:])
    except InvalidToken:
        raise ValidationFailed("backup.passphrase_wrong", "wrong passphrase or a damaged archive") from None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write(dest: Path, manifest: Manifest, members: dict[str, Path], passphrase: str | None) -> int:
    """Write the archive (members: path in the archive → file on disk); returns its size in bytes."""
    for name, path in members.items():
        manifest.members[name] = {"size": path.stat().st_size, "sha256": sha256_file(path)}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for name, path in members.items():
            zf.write(path, name)
        zf.writestr(MANIFEST, manifest.to_json())
    data = seal(buf.getvalue(), passphrase)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(dest)  # a crash mid-write never leaves a half archive under the real name
    return len(data)


def open_checked(path: Path, passphrase: str | None) -> tuple[zipfile.ZipFile, Manifest]:
    """The archive's zip and manifest, after every check; refuses a damaged or foreign file."""
    try:
        data = path.read_bytes()
    except OSError:
        raise ValidationFailed("backup.unreadable", "cannot read the archive") from None
    data = unseal(data, passphrase)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        if zf.testzip() is not None or MANIFEST not in zf.namelist():
            raise zipfile.BadZipFile("bad member")
        manifest = Manifest.from_json(zf.read(MANIFEST))
    except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, ValueError, TypeError, json.JSONDecodeError, OSError):
        raise ValidationFailed("backup.damaged", "the archive is damaged or truncated") from None
    names = set(zf.namelist()) - {MANIFEST}
    if any(n.startswith("/") or ".." in Path(n).parts for n in names):
        raise ValidationFailed("backup.damaged", "the archive names a path outside itself")
    if names != set(manifest.members) or manifest.db_member not in names:
        raise ValidationFailed("backup.damaged", "the archive's contents do not match its manifest")
    for name, expected in manifest.members.items():
        if hashlib.sha256(zf.read(name)).hexdigest() != expected["sha256"]:
            raise ValidationFailed("backup.damaged", f"{name} does not match its checksum")
    return zf, manifest
