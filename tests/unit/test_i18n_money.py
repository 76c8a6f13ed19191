import pytest

from smo_app.i18n import catalogs, t
from smo_app.money import format_money, parse_money


def test_every_key_exists_in_russian_and_english():
    tables = catalogs()
    assert set(tables["ru"]) == set(tables["en"])


def test_russian_is_the_default_and_params_fill_in():
    assert t("auth.locked", minutes=15).startswith("Слишком много")
    assert "15 min" in t("auth.locked", "en", minutes=15)


@pytest.mark.parametrize("minor, lang, text", [
    (123456, "ru", "1\u00a0234,56\u00a0₽"),
    (100000, "ru", "1\u00a0000\u00a0₽"),
    (99999, "en", "999.99\u00a0₽"),
    (-500, "en", "-5\u00a0₽"),
])
def test_money_formats_in_the_shop_currency(minor, lang, text):
    assert format_money(minor, "RUB", lang) == text


@pytest.mark.parametrize("text, minor", [("1 234,5", 123450), ("999.99", 99999), ("10", 1000), ("0,01", 1)])
def test_money_parses(text, minor):
    assert parse_money(text) == minor


@pytest.mark.parametrize("text", ["", "abc", "1.2.3", "-5", "1.234"])
def test_bad_money_is_refused(text):
    with pytest.raises(ValueError):
        parse_money(text)
