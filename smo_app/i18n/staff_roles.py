"""The staff page's role dialog: a password or PIN that comes with a new role, the owner's confirmation."""

RU = {
    "staff.owner_confirm_required": "Подтвердите своим паролем: это меняет владельцев магазина.",
    "staff.owner_confirm_wrong": "Пароль не подошёл — введите свой пароль владельца.",
    "ui.staff.role_title": "Новая роль для {name}",
    "ui.staff.role_new": "Роль",
    "ui.staff.deactivate_owner_title": "Отключить владельца {name}",
    "ui.staff.owner_warning": "Владелец может всё: деньги, сотрудников, настройки. Подтвердите своим паролем.",
    "ui.staff.owner_remove_warning": "Этот человек перестанет быть владельцем магазина. Подтвердите своим паролем.",
    "ui.staff.new_password_for_role": "Пароль для входа в панель (у сотрудника его ещё нет)",
    "ui.staff.new_pin_for_role": "PIN-код для кассы (у сотрудника его ещё нет)",
    "ui.staff.your_password": "Ваш пароль",
}

EN = {
    "staff.owner_confirm_required": "Confirm with your password: this changes who owns the shop.",
    "staff.owner_confirm_wrong": "That password did not match — enter your own owner password.",
    "ui.staff.role_title": "New role for {name}",
    "ui.staff.role_new": "Role",
    "ui.staff.deactivate_owner_title": "Deactivate owner {name}",
    "ui.staff.owner_warning": "An owner can do everything: money, staff, settings. Confirm with your password.",
    "ui.staff.owner_remove_warning": "This person will no longer own the shop. Confirm with your password.",
    "ui.staff.new_password_for_role": "Password for the backoffice (they have none yet)",
    "ui.staff.new_pin_for_role": "PIN for the till (they have none yet)",
    "ui.staff.your_password": "Your password",
}
