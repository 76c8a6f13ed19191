"""Product photos through the storage port (CA1): checked by their bytes, stored under a random
name, served only by that name."""
from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlmodel import select

from smo_app.models.audit import AuditEntry
from smo_app.models.staff import Role
from smo_app.services.catalog import images
from smo_app.services.core.errors import PermissionDenied, ValidationFailed
from tests.commerce_factories import make_product
from tests.factories import make_staff


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


def test_a_photo_is_stored_listed_and_removed(session, tmp_path):
    manager = make_staff(session, Role.manager).actor()
    storage = images.LocalDiskStorage(tmp_path)
    p = make_product(session)
    photos = images.add_photo(session, actor=manager, product_id=p.id, data=_png(), storage=storage)
    assert len(photos) == 1 and photos[0].startswith("/api/uploads/") and photos[0].endswith(".png")
    name = photos[0].rsplit("/", 1)[1]
    assert storage.path_of(name).read_bytes() == _png()
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "catalog.photo_add")).first() is not None
    assert images.remove_photo(session, actor=manager, product_id=p.id, url=photos[0], storage=storage) == []
    assert storage.path_of(name) is None


def test_not_an_image_or_a_seller_is_refused_and_nothing_is_stored(session, tmp_path):
    storage = images.LocalDiskStorage(tmp_path / "uploads")
    p = make_product(session)
    with pytest.raises(ValidationFailed) as exc:
        images.add_photo(session, actor=make_staff(session, Role.admin).actor(), product_id=p.id,
                         data=b"<svg onload=alert(1)>", storage=storage)
    assert exc.value.code == "images.not_image"
    with pytest.raises(PermissionDenied):
        images.add_photo(session, actor=make_staff(session, Role.seller).actor(), product_id=p.id, data=_png(),
                         storage=storage)
    assert not (tmp_path / "uploads").exists()


def test_the_upload_route_serves_only_names_the_storage_made(tmp_path, monkeypatch):
    from fastapi.testclient import TestClient

    from smo_app.api.app import create_api

    monkeypatch.setattr(images, "default_root", lambda: tmp_path)
    url = images.LocalDiskStorage().save(_png(), ext="png")
    (tmp_path / "secret.txt").write_text("no")
    client = TestClient(create_api())
    ok = client.get(url)
    assert ok.status_code == 200 and ok.headers["content-type"] == "image/png"
    assert ok.headers["x-content-type-options"] == "nosniff"
    for bad in ("/api/uploads/secret.txt", "/api/uploads/..%2Fsmo.db", "/api/uploads/" + "0" * 32 + ".png"):
        assert client.get(bad).status_code == 404
