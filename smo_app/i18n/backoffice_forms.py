"""Refusals of the backoffice forms read by their services (what was typed does not read). A
screen that names the field puts these on it with the field's label (``ui.settings.bad_*``,
``ui.cat.bad_number``)."""

RU = {
    "settings.number_invalid": "Введите целое число.",
    "settings.money_invalid": "Введите сумму в рублях, например 3000 или 1 500,50.",
    "settings.tiers_invalid": "Уровни — пары «друзей:процент» через запятую, например 0:5, 5:7.",
    "catalog.number_invalid": "Введите целое неотрицательное число.",
    "promo.expires_invalid": "Такой даты нет — введите её как дд.мм.гггг, например 05.11.2026.",
}

EN = {
    "settings.number_invalid": "Enter a whole number.",
    "settings.money_invalid": "Enter an amount in rubles, e.g. 3000 or 1500.50.",
    "settings.tiers_invalid": "Tiers are “friends:percent” pairs, comma-separated, e.g. 0:5, 5:7.",
    "catalog.number_invalid": "Enter a whole non-negative number.",
    "promo.expires_invalid": "That is not a date — type it as dd.mm.yyyy, e.g. 05.11.2026.",
}
