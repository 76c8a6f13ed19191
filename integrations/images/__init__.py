"""Image stores behind the image port: :class:`LocalImageStore` (files under ``var/uploads``, the
default) and, chosen by ``SMO_IMAGES_BACKEND=s3``, ``integrations.s3.S3ImageStore``."""
from __future__ import annotations

import io
import re
import secrets
from pathlib import Path

from integrations.ports.images import THUMB_WIDTHS

URL_PREFIX = "/api/uploads/"
NAME = re.compile(r"^[a-f0-9]{32}\.(jpg|png|webp)$")
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
MAX_PIXELS = 40_000_000  # a decompression bomb is refused, not resized


def make_thumbnail(data: bytes, width: int) -> bytes:
    """A JPEG at most ``width`` pixels wide (never enlarged), EXIF orientation applied."""
    from PIL import Image, ImageOps

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    with Image.open(io.BytesIO(data)) as img:
        img = ImageOps.exif_transpose(img)
        if img.mode not in ("RGB", "L"):
            background = Image.new("RGB", img.size, (255, 255, 255))
            background.paste(img.convert("RGBA"), mask=img.convert("RGBA").split()[-1])
            img = background
        if img.width > width:
            img = img.resize((width, max(1, round(img.height * width / img.width))), Image.LANCZOS)
        out = io.BytesIO()
        img.save(out, "JPEG", quality=82, optimize=True, progressive=True)
        return out.getvalue()


class LocalImageStore:
    provider = "local"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def save(self, data: bytes, *, ext: str, content_type: str = "") -> str:
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

    def owns(self, url: str) -> bool:
        return (url or "").startswith(URL_PREFIX) and NAME.match(url[len(URL_PREFIX):]) is not None

    def read(self, url: str) -> bytes | None:
        if not self.owns(url):
            return None
        path = self.path_of(url[len(URL_PREFIX):])
        return path.read_bytes() if path else None

    def thumbnail_url(self, url: str, width: int) -> str:
        return f"{url}?w={width}" if self.owns(url) else url

    def thumbnail_path(self, name: str, width: int) -> Path | None:
        """The thumbnail file of ``name`` at ``width`` (one of THUMB_WIDTHS), made on first request."""
        if width not in THUMB_WIDTHS:
            return None
        source = self.path_of(name)
        if source is None:
            return None
        thumb = self.root / "thumbs" / str(width) / (name.rsplit(".", 1)[0] + ".jpg")
        if not thumb.is_file():
            thumb.parent.mkdir(parents=True, exist_ok=True)
            tmp = thumb.with_suffix(f".{secrets.token_hex(4)}.tmp")
            tmp.write_bytes(make_thumbnail(source.read_bytes(), width))
            tmp.replace(thumb)  # atomic: two first requests at once both end with one whole file
        return thumb

    def delete(self, url: str) -> None:
        if self.owns(url):
            name = url[len(URL_PREFIX):]
            (self.root / name).unlink(missing_ok=True)
            for width in THUMB_WIDTHS:
                (self.root / "thumbs" / str(width) / (name.rsplit(".", 1)[0] + ".jpg")).unlink(missing_ok=True)


def from_settings(settings):
    from smo_app.settings import uploads_dir

    if settings.images_backend == "s3":
        from integrations.s3 import S3ImageStore

        return S3ImageStore.from_settings(settings)
    return LocalImageStore(settings.images_dir or uploads_dir())
