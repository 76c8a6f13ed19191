"""Image hosting (IN5): the Telegram ``file_id`` each stored image got when the bot first sent its
bytes, so every later message sends the id instead of the bytes."""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from smo_app.models.base import UTCDateTime, utcnow


class TelegramFileId(SQLModel, table=True):
    __tablename__ = "telegram_file_id"

    url: str = Field(primary_key=True, max_length=500)  # the image's URL as the shop stores it
    file_id: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
