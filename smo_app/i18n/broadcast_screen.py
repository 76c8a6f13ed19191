"""The broadcasts page: photo upload, the on-screen preview as Telegram shows it, the named counts."""

RU = {
    "ui.bcast.counts": "отправлено {sent} из {total} · заблокировали бота: {blocked} · не отправлено (отменена): {cancelled} · ошибки: {failed} · в очереди: {left}",
    "ui.bcast.upload_photo": "Загрузить фото",
    "ui.bcast.remove_photo": "Убрать фото",
    "ui.bcast.preview_title": "Так сообщение увидят в Telegram",
    "ui.bcast.preview_empty": "Напишите текст или добавьте фото — здесь появится сообщение.",
    "ui.bcast.photo_not_shown": "Фото по идентификатору Telegram: покажется в Telegram.",
}

EN = {
    "ui.bcast.counts": "sent {sent} of {total} · blocked the bot: {blocked} · not sent (cancelled): {cancelled} · errors: {failed} · queued: {left}",
    "ui.bcast.upload_photo": "Upload a photo",
    "ui.bcast.remove_photo": "Remove the photo",
    "ui.bcast.preview_title": "How it will look in Telegram",
    "ui.bcast.preview_empty": "Write a text or add a photo and the message shows here.",
    "ui.bcast.photo_not_shown": "A photo by Telegram file id: it shows in Telegram.",
}
