"""Mini App details: sold-out variants, the cart's unit prices, bonuses and certificates at checkout,
the way back from the wheel."""

RU = {
    "ui.sf.sold_out": "Нет в наличии",
    "ui.sf.variant_sold_out": "Этого варианта нет в наличии — нажмите «Сообщить о поступлении», и мы напишем, когда он появится.",
    "ui.sf.bonus_clamped": "Списать {asked} бонусами нельзя: в этом заказе можно не больше {spent}. Списываем {spent}.",
    "ui.sf.certificate_rest_lost": "Сертификат одноразовый: в заказ пойдёт {used}, остаток {rest} сгорит. Добавьте товаров, чтобы использовать его целиком.",
    "ui.wheel.back": "В магазин",
}

EN = {
    "ui.sf.sold_out": "Sold out",
    "ui.sf.variant_sold_out": "This option is sold out — tap “Notify me” and we will message you when it is back.",
    "ui.sf.bonus_clamped": "You cannot spend {asked} in bonuses: this order takes at most {spent}. Spending {spent}.",
    "ui.sf.certificate_rest_lost": "The certificate is single use: {used} goes to this order and the remaining {rest} is lost. Add items to use all of it.",
    "ui.wheel.back": "To the shop",
}
