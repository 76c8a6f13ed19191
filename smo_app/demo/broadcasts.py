"""Demo broadcasts: an autumn sale with an uploaded photo and a button, cancelled half-way (its line
tells sent apart from not sent because of the cancel), a draft with a photo to preview and start, and a
paid draft (faster, costs Stars) whose line shows its cost and the page the bot's balance — or, with no
bot connected (``make run`` without a bot token), says in words that the balance is unavailable."""
from __future__ import annotations

import io

from sqlalchemy import update
from sqlmodel import Session, select

from smo_app.models.base import utcnow
from smo_app.models.broadcast import Broadcast
from smo_app.models.outbox import Outbox, OutboxStatus
from smo_app.models.staff import Staff
from smo_app.services.catalog import images
from smo_app.services.messaging import broadcasts
from smo_app.services.staff.dto import StaffOut

SALE_TEXT = "<b>Осенняя распродажа</b>\nСвечи и диффузоры <i>−20%</i> до воскресенья."
DRAFT_TEXT = "<b>Новинка</b>: аромат «Хвойный лес». Первые 20 покупателей — пробник в подарок."
PAID_TEXT = "<b>Только сегодня</b>: доставка бесплатно при заказе от 1500 ₽."


def _photo(color: tuple[int, int, int]) -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (960, 540), color)
    draw = ImageDraw.Draw(img)
    for i in range(0, 960, 60):
        draw.ellipse((i, 380 - (i % 180), i + 50, 430 - (i % 180)), fill=(255, 244, 214))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()


def seed(session: Session) -> None:
    owner = session.exec(select(Staff).where(Staff.username == "owner")).first()
    if owner is None or session.exec(select(Broadcast.id)).first() is not None:
        return
    actor = StaffOut.of(owner).actor()
    sale = broadcasts.create_broadcast(
        session, actor=actor, text=SALE_TEXT, photo=images.store_broadcast_photo(session, actor=actor, data=_photo((176, 92, 48))),
        button_text="В магазин", button_url="https://t.me/smo_demo_bot", segment="all")
    broadcasts.start_broadcast(session, actor=actor, broadcast_id=sale.id)
    # the first half went out before the owner cancelled the rest
    rows = session.exec(select(Outbox.id).where(Outbox.broadcast_id == sale.id).order_by(Outbox.id)).all()
    delivered = rows[: len(rows) // 2]
    if delivered:
        session.execute(update(Outbox).where(Outbox.id.in_(delivered))
                        .values(status=OutboxStatus.sent, sent_at=utcnow(), attempts=1))
        session.commit()
    broadcasts.cancel_broadcast(session, actor=actor, broadcast_id=sale.id)
    broadcasts.create_broadcast(
        session, actor=actor, text=DRAFT_TEXT, photo=images.store_broadcast_photo(session, actor=actor, data=_photo((46, 96, 70))),
        segment="all")
    broadcasts.create_broadcast(session, actor=actor, text=PAID_TEXT, segment="all", paid=True)
