"""The backoffice on a phone: the menu button that opens the sidebar as a drawer."""

RU = {
    "ui.nav.menu": "Меню",
}

EN = {
    "ui.nav.menu": "Menu",
}
