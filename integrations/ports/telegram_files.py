"""Files customers and operators sent the shop's bot (support photos), read back by their Telegram
file id for the backoffice: the port. Adapter: ``integrations/telegram_files`` (Bot API ``getFile``
then the file's download address)."""
from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class TelegramFilesPort(Protocol):
    def download(self, file_id: str) -> bytes | None:
        """The file's bytes, or None when Telegram no longer has it or cannot be reached."""
