"""Demo product photos: a drawn picture per product (a dropper bottle for oils, a diffuser, a candle
in a jar, a cosmetics jar, a bar of soap…) in the product's own colour, stored through the image port
like an upload from the product editor, so the Mini App tiles, the product card, the POS and the bot
show real images. Everything is drawn here: the demo needs no network and no image files in git."""
from __future__ import annotations

import hashlib
import io
from functools import lru_cache

from sqlmodel import Session, select

from smo_app.models.catalog import Category, Product
from smo_app.services.catalog import images
from smo_app.services.core.actor import Actor

SYSTEM = Actor.system("demo")
SIZE = 480

# a soft background and a strong colour per product, picked by its name
PALETTE = [((243, 236, 250), (123, 91, 168)), ((236, 245, 238), (62, 128, 88)), ((252, 240, 228), (200, 112, 48)),
           ((250, 236, 238), (186, 74, 98)), ((235, 242, 250), (58, 104, 160)), ((248, 246, 230), (168, 140, 40)),
           ((240, 240, 240), (96, 96, 96)), ((246, 234, 226), (140, 82, 52))]

# the drawing for each subcategory of the demo catalog (anything else gets a jar)
SHAPES = {"Эфирные масла": "bottle", "Смеси и диффузоры": "diffuser", "Соевые свечи": "candle",
          "Декоративные свечи": "pillar", "Уход за телом": "jar", "Уход за лицом": "bottle",
          "Мыло ручной работы": "soap"}
# products whose name says better than their shelf what they look like
BY_NAME = {"Смесь": "bottle", "Бомбочка": "soap"}


def seed(session: Session) -> None:
    products = session.exec(select(Product).where(Product.deleted.is_(False)).order_by(Product.id)).all()
    if not products or any(p.photos for p in products):
        return
    categories = {c.id: c.name for c in session.exec(select(Category)).all()}
    for product in products:
        shape = next((v for k, v in BY_NAME.items() if product.name.startswith(k)), None) or \
            SHAPES.get(categories.get(product.category_id, ""), "jar")
        images.add_photo(session, actor=SYSTEM, product_id=product.id, data=picture(shape, _colours(product.name)))


def _colours(name: str) -> int:
    return hashlib.sha1(name.encode()).digest()[0] % len(PALETTE)


@lru_cache(maxsize=64)
def picture(shape: str, colour: int) -> bytes:
    """A JPEG of ``shape`` in palette colour ``colour`` (cached: the demo seeds many shops in tests)."""
    from PIL import Image, ImageDraw

    back, ink = PALETTE[colour % len(PALETTE)]
    img = Image.new("RGB", (SIZE, SIZE), back)
    d = ImageDraw.Draw(img)
    light = tuple(min(255, c + 90) for c in ink)
    dark = tuple(max(0, c - 50) for c in ink)
    d.ellipse((90, 380, 390, 430), fill=tuple(max(0, c - 18) for c in back))  # the shadow under it
    if shape == "bottle":
        d.rounded_rectangle((170, 170, 310, 400), 26, fill=ink)
        d.rectangle((205, 130, 275, 172), fill=dark)
        d.rounded_rectangle((215, 80, 265, 134), 12, fill=(40, 36, 34))
        d.rounded_rectangle((190, 240, 290, 330), 8, fill=(250, 247, 240))
        d.rectangle((205, 268, 275, 276), fill=light)
        d.rectangle((205, 290, 255, 296), fill=light)
    elif shape == "diffuser":
        for x, top in ((190, 60), (225, 40), (262, 70), (295, 55)):
            d.line((240, 250, x, top), fill=(120, 86, 52), width=6)
        d.rounded_rectangle((160, 240, 320, 400), 40, fill=ink)
        d.rectangle((205, 215, 275, 245), fill=dark)
        d.ellipse((190, 290, 290, 350), fill=light)
    elif shape == "candle":
        d.rounded_rectangle((140, 180, 340, 400), 30, fill=(236, 230, 220))
        d.rectangle((140, 200, 340, 230), fill=ink)
        d.line((240, 180, 240, 150), fill=(40, 36, 34), width=5)
        d.ellipse((222, 88, 258, 152), fill=(255, 186, 60))
        d.ellipse((232, 110, 248, 146), fill=(255, 236, 160))
        d.rounded_rectangle((175, 270, 305, 350), 10, fill=ink)
    elif shape == "pillar":
        d.rounded_rectangle((175, 150, 305, 400), 18, fill=ink)
        d.ellipse((175, 135, 305, 170), fill=light)
        d.line((240, 150, 240, 115), fill=(40, 36, 34), width=5)
        d.ellipse((224, 58, 256, 118), fill=(255, 186, 60))
        d.line((190, 230, 290, 250), fill=light, width=6)
        d.line((190, 300, 290, 320), fill=light, width=6)
    elif shape == "soap":
        d.rounded_rectangle((110, 220, 370, 380), 36, fill=ink)
        d.rounded_rectangle((140, 245, 340, 355), 26, fill=light)
        for cx, cy, r in ((170, 190, 18), (210, 160, 12), (300, 180, 22), (255, 130, 9)):
            d.ellipse((cx - r, cy - r, cx + r, cy + r), outline=ink, width=4)
    else:  # jar
        d.rounded_rectangle((140, 210, 340, 400), 34, fill=ink)
        d.rounded_rectangle((150, 160, 330, 215), 14, fill=dark)
        d.rounded_rectangle((175, 265, 305, 345), 10, fill=(250, 247, 240))
        d.rectangle((195, 295, 285, 303), fill=light)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=82)
    return out.getvalue()
