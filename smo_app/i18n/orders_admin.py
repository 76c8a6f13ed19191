"""Backoffice orders text: the orders screens, the pick list, courier handoffs, the reward wheel."""

RU = {
    # errors
    "order.period_invalid": "Проверьте период: дата «по» не раньше даты «с».",
    "order.query_too_long": "Слишком длинный запрос (до 100 символов).",
    "order.tab_invalid": "Нет такого списка заказов.",
    "order.tracking_invalid": "Трек-номер — латинские буквы, цифры и дефисы, до 64 символов.",
    "order.pick_empty": "Отметьте хотя бы один заказ.",
    "order.pick_too_many": "Слишком много заказов за раз (до {max}).",
    "couriers.name_invalid": "Укажите курьера: сотрудника или имя (до 128 символов).",
    "couriers.note_too_long": "Комментарий — до 500 символов.",
    "couriers.order_closed": "Заказ №{id} уже завершён или отменён — его нельзя передать курьеру.",
    # the courier's Telegram list
    "couriers.list_title": "<b>Заказы для доставки (передача №{id})</b>",
    "couriers.list_line": "№{id} · {name} · {phone}\n{address}",
}

EN = {
    "order.period_invalid": "Check the dates: “to” must not be before “from”.",
    "order.query_too_long": "The search is too long (up to 100 characters).",
    "order.tab_invalid": "There is no such order list.",
    "order.tracking_invalid": "A tracking number is Latin letters, digits and dashes, up to 64 characters.",
    "order.pick_empty": "Tick at least one order.",
    "order.pick_too_many": "Too many orders at once (up to {max}).",
    "couriers.name_invalid": "Choose the courier: a staff member or a name (up to 128 characters).",
    "couriers.note_too_long": "The note is up to 500 characters.",
    "couriers.order_closed": "Order #{id} is already completed or cancelled — it cannot go to a courier.",
    "couriers.list_title": "<b>Orders to deliver (handoff #{id})</b>",
    "couriers.list_line": "#{id} · {name} · {phone}\n{address}",
}
