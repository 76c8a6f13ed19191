"""Backoffice text: editing and deleting promo codes, the shop's time zone, language and referral
tiers on the settings page, the payment screenshot on the order card."""

RU = {
    # errors
    "promo.limit_below_used": "Лимит не может быть меньше числа уже сделанных использований ({used}).",
    "promo.code_in_use": "Промокод «{promo}» уже применялся в заказах — его текст не меняется. "
                         "Создайте новый код, а этот выключите.",
    "promo.in_use": "Промокод «{promo}» уже применялся в заказах ({orders}) — удалить его нельзя, история заказов "
                    "его хранит. Выключите его переключателем «Активен».",
    # audit log
    "ui.audit_action.promo.update": "Изменён промокод",
    "ui.audit_action.promo.delete": "Удалён промокод",
    "ui.audit_action.payment.proof": "Покупатель прислал скриншот оплаты",
    "ui.audit_action.payment.manual_confirm": "Перевод подтверждён",
    "ui.audit_action.payment.manual_reject": "Перевод отклонён",
    "ui.audit_field.once_per_customer": "Один раз на клиента",
    # promo codes
    "ui.promo.col.actions": "Действия",
    "ui.promo.edit": "Изменить",
    "ui.promo.delete": "Удалить",
    "ui.promo.editing": "Промокод",
    "ui.promo.code_locked": "Код уже применялся в заказах: его текст не меняется, а скидку, лимит и срок менять можно.",
    "ui.promo.saved": "Промокод {code} сохранён.",
    "ui.promo.deleted": "Промокод {code} удалён.",
    "ui.promo.delete_confirm": "Этот промокод ещё никто не применял. Удалить его? Это нельзя отменить.",
    "ui.promo.delete_used": "Этот промокод уже применялся в заказах, поэтому удалить его нельзя — история заказов его "
                            "хранит. Выключите его: покупатели больше не смогут его применить.",
    "ui.promo.switch_off": "Выключить",
    "ui.promo.switched_off": "Промокод {code} выключен.",
    # settings
    "ui.settings.g.locale": "Время и язык",
    "ui.settings.f.shop_timezone": "Часовой пояс магазина",
    "ui.settings.f.language": "Язык по умолчанию",
    "ui.settings.lang.ru": "Русский",
    "ui.settings.lang.en": "English",
    "ui.settings.timezone_hint": "Например, Europe/Moscow. По нему считаются дни в отчётах и сводках и сроки промокодов.",
    "ui.settings.bad_timezone": "«{field}»: такого часового пояса нет — выберите из списка, например Europe/Moscow.",
    "ui.settings.f.referral_tiers": "Уровни процента с покупок друзей",
    "ui.settings.tiers_hint": "«Друзей:процент» через запятую: 0:5, 5:7, 15:10 — с 5 друзей 7 %, с 15 — 10 %.",
    "ui.settings.bad_tiers": "«{field}»: пары «друзей:процент» через запятую, например 0:5, 5:7; процент от 0 до "
                             "100, каждое число друзей один раз, не больше 10 пар.",
    # the order card: a manual transfer's screenshot
    "ui.orders.proof.sent": "Прислан {when} · сумма {amount}",
    "ui.orders.proof.waiting": "Ждёт проверки: сверьте перевод с выпиской банка.",
    "ui.orders.proof.confirmed": "Оплата подтверждена: {who}, {when}",
    "ui.orders.proof.rejected": "Отклонено: {who}, {when} — {note}",
    "ui.orders.proof.confirm": "Подтвердить оплату",
    "ui.orders.proof.reject": "Отклонить",
    "ui.orders.proof.reason": "Причина отказа",
    "ui.orders.proof.confirmed_toast": "Оплата подтверждена.",
    "ui.orders.proof.rejected_toast": "Скриншот отклонён.",
}

EN = {
    # errors
    "promo.limit_below_used": "The limit cannot be below the uses already made ({used}).",
    "promo.code_in_use": "Promo code “{promo}” has been used in orders — its text stays. Create a new code and switch "
                         "this one off.",
    "promo.in_use": "Promo code “{promo}” has been used in orders ({orders}) — it cannot be deleted, the orders' "
                    "history keeps it. Switch it off with the “Active” switch.",
    # audit log
    "ui.audit_action.promo.update": "Promo code changed",
    "ui.audit_action.promo.delete": "Promo code deleted",
    "ui.audit_action.payment.proof": "Customer sent a payment screenshot",
    "ui.audit_action.payment.manual_confirm": "Transfer confirmed",
    "ui.audit_action.payment.manual_reject": "Transfer rejected",
    "ui.audit_field.once_per_customer": "Once per customer",
    # promo codes
    "ui.promo.col.actions": "Actions",
    "ui.promo.edit": "Edit",
    "ui.promo.delete": "Delete",
    "ui.promo.editing": "Promo code",
    "ui.promo.code_locked": "The code has been used in orders: its text stays; discount, limit and expiry can change.",
    "ui.promo.saved": "Promo code {code} saved.",
    "ui.promo.deleted": "Promo code {code} deleted.",
    "ui.promo.delete_confirm": "Nobody has used this promo code yet. Delete it? This cannot be undone.",
    "ui.promo.delete_used": "This promo code has been used in orders, so it cannot be deleted — the orders' history "
                            "keeps it. Switch it off: customers can no longer apply it.",
    "ui.promo.switch_off": "Switch off",
    "ui.promo.switched_off": "Promo code {code} switched off.",
    # settings
    "ui.settings.g.locale": "Time and language",
    "ui.settings.f.shop_timezone": "Shop time zone",
    "ui.settings.f.language": "Default language",
    "ui.settings.lang.ru": "Русский",
    "ui.settings.lang.en": "English",
    "ui.settings.timezone_hint": "E.g. Europe/Moscow. Report days, summaries and promo expiry follow it.",
    "ui.settings.bad_timezone": "“{field}”: no such time zone — pick one from the list, e.g. Europe/Moscow.",
    "ui.settings.f.referral_tiers": "Share of friends' purchases by tier",
    "ui.settings.tiers_hint": "“Friends:percent” pairs, comma-separated: 0:5, 5:7, 15:10 — 7 % from 5 friends, 10 % from 15.",
    "ui.settings.bad_tiers": "“{field}”: “friends:percent” pairs, comma-separated, e.g. 0:5, 5:7; percent 0 to 100, "
                             "each number of friends once, at most 10 pairs.",
    # the order card: a manual transfer's screenshot
    "ui.orders.proof.sent": "Sent {when} · amount {amount}",
    "ui.orders.proof.waiting": "Waiting for a check: compare the transfer with the bank statement.",
    "ui.orders.proof.confirmed": "Payment confirmed: {who}, {when}",
    "ui.orders.proof.rejected": "Rejected: {who}, {when} — {note}",
    "ui.orders.proof.confirm": "Confirm payment",
    "ui.orders.proof.reject": "Reject",
    "ui.orders.proof.reason": "Reason for rejecting",
    "ui.orders.proof.confirmed_toast": "Payment confirmed.",
    "ui.orders.proof.rejected_toast": "Screenshot rejected.",
}
