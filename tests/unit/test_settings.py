"""Settings: prefix SMO_, safe defaults, refusal of the default secret outside demo mode."""
import pytest
from pydantic import ValidationError

from smo_app.settings import DEFAULT_SECRET_KEY, Settings


def test_defaults_for_a_demo_shop(monkeypatch):
    for key in ("SMO_SECRET_KEY", "SMO_DATABASE_URL", "SMO_SHOP_TIMEZONE", "SMO_LANGUAGE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("SMO_DEMO", "1")
    s = Settings(_env_file=None)
    assert s.database_url.startswith("sqlite:///") and s.database_url.endswith("var/smo.db")
    assert s.shop_timezone == "Europe/Moscow" and s.language == "ru"
    assert s.bot_token is None and s.telegram_api_base is None
    assert s.secret_key.get_secret_value() == DEFAULT_SECRET_KEY


def test_default_secret_is_refused_outside_demo_mode(monkeypatch):
    monkeypatch.delenv("SMO_SECRET_KEY", raising=False)
    monkeypatch.setenv("SMO_DEMO", "0")
    with pytest.raises(ValidationError, match="SMO_SECRET_KEY"):
        Settings(_env_file=None)


def test_environment_is_read_with_the_prefix(monkeypatch):
    monkeypatch.setenv("SMO_SECRET_KEY", "x" * 32)
    monkeypatch.setenv("SMO_BOT_TOKEN", "123:abc")
    monkeypatch.setenv("SMO_TELEGRAM_API_BASE", "http://127.0.0.1:8081")
    monkeypatch.setenv("SMO_LANGUAGE", "en")
    s = Settings(_env_file=None)
    assert s.bot_token.get_secret_value() == "123:abc"
    assert "123:abc" not in repr(s)
    assert s.telegram_api_base == "http://127.0.0.1:8081" and s.language == "en"


def test_empty_bot_token_means_offline(monkeypatch):
    monkeypatch.setenv("SMO_BOT_TOKEN", "")
    assert Settings(_env_file=None).bot_token is None


@pytest.mark.parametrize("var, value", [("SMO_SHOP_TIMEZONE", "Mars/Olympus"), ("SMO_LANGUAGE", "de")])
def test_bad_values_are_refused(monkeypatch, var, value):
    monkeypatch.setenv(var, value)
    with pytest.raises(ValidationError):
        Settings(_env_file=None)
