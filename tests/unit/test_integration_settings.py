"""Provider settings: credentials only from the environment, secret, and empty means absent."""
from smo_app.settings import Settings


def test_provider_credentials_come_from_the_environment_and_never_show(monkeypatch):
    # given CDEK and DaData credentials in the environment
    monkeypatch.setenv("SMO_SECRET_KEY", "x" * 32)
    monkeypatch.setenv("SMO_CDEK_CLIENT_ID", "acct")
    monkeypatch.setenv("SMO_CDEK_CLIENT_SECRET", "very-secret-password")
    monkeypatch.setenv("SMO_DADATA_API_KEY", "dadata-key-123")
    s = Settings(_env_file=None)
    # then they are read, and the secrets do not appear when settings are printed or logged
    assert s.cdek_client_id == "acct" and s.cdek_client_secret.get_secret_value() == "very-secret-password"
    assert "very-secret-password" not in repr(s) and "dadata-key-123" not in str(s.model_dump())
    assert s.cdek_mode == "auto" and s.init_data_max_age_hours == 24


def test_empty_credentials_mean_not_configured(monkeypatch):
    monkeypatch.setenv("SMO_SECRET_KEY", "x" * 32)
    monkeypatch.setenv("SMO_CDEK_CLIENT_SECRET", "")
    monkeypatch.setenv("SMO_DADATA_API_KEY", "")
    s = Settings(_env_file=None)
    assert s.cdek_client_secret is None and s.dadata_api_key is None
