"""Image hosting: an upload is stored through the image port, its thumbnail is made and served with
cache headers, an S3 bucket works through boto3 against a fake S3, and the bot sends each photo's
bytes to Telegram once (then its file id)."""
from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlmodel import select

from integrations.fakeserver import LocalServer
from integrations.images import LocalImageStore
from integrations.s3 import S3ImageStore
from integrations.s3.fake import FakeS3
from smo_app import composition
from smo_app.models.images import TelegramFileId
from smo_app.services.catalog import images
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError
from tests.commerce_factories import make_product

SYSTEM = Actor.system("test")


def _jpeg(width: int = 1200, height: int = 800) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def local_store(tmp_path):
    store = LocalImageStore(tmp_path / "uploads")
    composition.use(images=store)
    yield store
    composition.reset()


def test_upload_then_thumbnail_then_served_with_cache_headers(session, local_store, monkeypatch):
    # given a product and a 1200-pixel photo
    product = make_product(session, price_minor=1000)
    photos = images.add_photo(session, actor=SYSTEM, product_id=product.id, data=_jpeg())
    url = photos[0]
    assert local_store.read(url) == _jpeg()
    # when the thumbnail is asked for at 320 px
    name = url.rsplit("/", 1)[-1]
    thumb = local_store.thumbnail_path(name, 320)
    # then it is a JPEG 320 px wide, and no other size is made
    with Image.open(thumb) as img:
        assert img.size == (320, 213)
    assert local_store.thumbnail_path(name, 5000) is None
    assert images.thumbnail(url, 320) == f"{url}?w=320"
    # and the API serves both with a long cache lifetime
    from fastapi.testclient import TestClient

    from smo_app.api import create_api
    from smo_app.api import uploads

    monkeypatch.setattr(uploads, "LocalDiskStorage", lambda: local_store)
    client = TestClient(create_api())
    full = client.get(url)
    small = client.get(url, params={"w": 320})
    assert full.status_code == small.status_code == 200
    assert "immutable" in small.headers["cache-control"] and small.headers["content-type"] == "image/jpeg"
    assert client.get(url, params={"w": 999}).status_code == 404


def test_a_forged_image_is_refused_and_nothing_is_stored(session, local_store):
    product = make_product(session, price_minor=1000)
    with pytest.raises(DomainError) as refused:
        images.add_photo(session, actor=SYSTEM, product_id=product.id, data=b"\xff\xd8\xff" + b"not really a jpeg")
    assert refused.value.code == "images.not_image"
    assert not (local_store.root.exists() and any(local_store.root.iterdir()))


def test_an_s3_bucket_through_boto3_against_a_fake_s3():
    fake = FakeS3(bucket="shop", access_key="AKIDEXAMPLE")
    with LocalServer(fake.handle) as server:
        store = S3ImageStore(endpoint=server.base_url, bucket="shop", access_key="AKIDEXAMPLE",
                             secret_key="secret", public_url="https://img.shop.test")
        url = store.save(_jpeg(), ext="jpg", content_type="image/jpeg")
        assert url.startswith("https://img.shop.test/products/") and store.owns(url)
        assert store.read(url) == _jpeg()
        thumb_key = store.thumbnail_url(url, 160)[len("https://img.shop.test/"):]
        body, meta = fake.objects[thumb_key]
        assert meta["cache-control"].startswith("public") and Image.open(io.BytesIO(body)).width == 160
        store.delete(url)
        assert store.read(url) is None and not fake.objects
        wrong = S3ImageStore(endpoint=server.base_url, bucket="shop", access_key="WRONG", secret_key="x")
        with pytest.raises(Exception):
            wrong.save(_jpeg(10, 10), ext="jpg", content_type="image/jpeg")


def test_the_bot_sends_a_photos_bytes_once_then_its_file_id(session, local_store):
    url = local_store.save(_jpeg(50, 50), ext="jpg", content_type="image/jpeg")
    kind, value = images.telegram_photo(session, url=url)
    assert kind == "bytes" and value[0] == _jpeg(50, 50)
    images.remember_file_id(session, url=url, file_id="AgACAgIAAxkBAAIB")
    assert images.telegram_photo(session, url=url) == ("file_id", "AgACAgIAAxkBAAIB")
    assert images.telegram_photo(session, url="https://elsewhere.example/p.jpg") is None
    assert len(session.exec(select(TelegramFileId)).all()) == 1
