"""One settings object for the web app, the bot sidecar, the CLI and the jobs.

Every value comes from the environment (prefix ``SMO_``) or a ``.env`` file; nothing is read at
import time: call :func:`get_settings`.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SECRET_KEY = "change-me-demo-secret-key"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SMO_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'var' / 'smo.db'}",
        description="SQLAlchemy URL; SQLite file by default, postgresql+psycopg://… in production.",
    )
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET_KEY)
    demo: bool = False
    shop_timezone: str = "Europe/Moscow"
    language: Literal["ru", "en"] = "ru"
    currency: str = "RUB"
    public_url: str = "http://localhost:3000"
    bot_token: SecretStr | None = None
    bot_username: str = "smo_demo_bot"
    telegram_api_base: str | None = None
    broadcast_rate: float = Field(default=30.0, gt=0, le=30)
    outbox_lease_seconds: float = Field(default=15.0, ge=1, le=300)  # sender takeover after a crash
    redis_url: str | None = None
    staff_session_hours: int = Field(default=12, ge=1, le=24 * 30)
    log_level: str = "INFO"

    # Customers (Mini App identity)
    customer_session_hours: int = Field(default=24 * 7, ge=1, le=24 * 90)
    init_data_max_age_hours: float = Field(default=24.0, gt=0, le=24 * 7)  # Telegram initData freshness
    loyalty_qr_ttl_seconds: int = Field(default=300, ge=30, le=3600)  # the POS must scan within this

    # Delivery: CDEK API v2 (integrations/cdek). Credentials only from the environment.
    cdek_mode: Literal["auto", "live", "fake", "off"] = "auto"
    cdek_base_url: str = "https://api.cdek.ru"  # https://api.edu.cdek.ru is CDEK's test contour
    cdek_client_id: str | None = None
    cdek_client_secret: SecretStr | None = None
    cdek_from_city_code: int = 44  # where parcels leave from (CDEK city code; 44 = Moscow)
    cdek_timeout_seconds: float = Field(default=5.0, gt=0, le=60)

    # Address suggestions: DaData (integrations/dadata). Without a key addresses are free text.
    dadata_mode: Literal["auto", "live", "fake", "off"] = "auto"
    dadata_base_url: str = "https://suggestions.dadata.ru"
    dadata_api_key: SecretStr | None = None

    # ERP: MoySklad JSON API 1.2 (integrations/moysklad). The token may also be set on the owner's
    # screen (stored encrypted); set here it wins.
    moysklad_mode: Literal["auto", "live", "fake", "off"] = "auto"  # auto: the fake in demo mode, else live
    moysklad_token: SecretStr | None = None
    moysklad_api_base: str | None = None  # default https://api.moysklad.ru/api/remap/1.2
    moysklad_token_kind: Literal["user", "solution"] | None = None
    moysklad_timeout_seconds: float = Field(default=30.0, gt=0, le=120)

    # Image hosting (integrations/s3): local files under var/uploads by default, or an S3 bucket.
    images_backend: Literal["local", "s3"] = "local"
    images_dir: Path | None = None  # the local files' folder (default var/uploads)
    images_s3_endpoint: str | None = None  # e.g. https://storage.yandexcloud.net
    images_s3_bucket: str | None = None
    images_s3_region: str = "ru-central1"
    images_s3_access_key: str | None = None
    images_s3_secret_key: SecretStr | None = None
    images_s3_public_url: str | None = None  # where the bucket's objects are served (default endpoint/bucket)

    # Off-site backup copies (integrations/s3/backup_store.py): an S3-compatible bucket. Also set on the
    # owner's backups screen (the secret key stored encrypted); set here, each value wins.
    backup_s3_endpoint: str | None = None
    backup_s3_bucket: str | None = None
    backup_s3_region: str | None = None
    backup_s3_access_key: str | None = None
    backup_s3_secret_key: SecretStr | None = None

    # Support (services/support): an OpenAI-compatible AI endpoint and the staff supergroup with topics.
    # Also set on the owner's support settings screen (the keys stored encrypted); set here, each value wins.
    ai_base_url: str | None = None
    ai_model: str | None = None
    ai_keys: SecretStr | None = None  # comma-separated; tried in order, the next one on 401/403/429
    support_chat_id: int | None = None

    # demo mode only: where the providers' fakes are served (scripts/run.sh starts integrations.demo_fakes);
    # unset, each process runs its own in-process fakes. Ignored outside demo mode.
    demo_fakes_url: str | None = None

    # Payments (integrations/yookassa, stripe, telegram_payments). Credentials only from the environment.
    payment_methods: str = "manual"  # enabled methods, comma-separated: yookassa,stripe,telegram,stars,manual
    payments_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    payments_reconcile_after_minutes: int = Field(default=10, ge=1, le=24 * 60)  # ask the provider after this
    payments_expire_after_minutes: int = Field(default=24 * 60, ge=5, le=7 * 24 * 60)  # give up on a pending one
    # a provider's webhook: requests per second one sender address may make (a burst of twice that); 0 = no limit
    webhook_rate_per_second: float = Field(default=20.0, ge=0, le=10_000)
    payments_return_url: str | None = None  # where the provider sends the customer back (default: public_url)
    yookassa_mode: Literal["auto", "live", "fake", "off"] = "auto"
    yookassa_test_mode: bool = True  # a test shop (test_… secret key): shown on screens, no real money
    yookassa_base_url: str = "https://api.yookassa.ru"
    yookassa_shop_id: str | None = None
    yookassa_secret_key: SecretStr | None = None
    yookassa_receipts: bool = False  # send 54-FZ receipts with each payment
    yookassa_vat_code: int = Field(default=1, ge=1, le=12)  # 1 = without VAT
    yookassa_tax_system_code: int | None = Field(default=None, ge=1, le=6)  # 1 = OSN … 6 = patent; None: not sent
    stripe_mode: Literal["auto", "live", "fake", "off"] = "auto"
    stripe_test_mode: bool = True
    stripe_base_url: str = "https://api.stripe.com"
    stripe_api_key: SecretStr | None = None
    stripe_webhook_secret: SecretStr | None = None
    stripe_webhook_tolerance_seconds: int = Field(default=300, ge=1, le=3600)
    telegram_payments_test_mode: bool = True
    telegram_payments_provider_token: SecretStr | None = None
    stars_kopecks_per_star: int = Field(default=200, ge=1)  # price of one Telegram Star in kopecks

    @field_validator("shop_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("bot_token", "cdek_client_id", "cdek_client_secret", "dadata_api_key", "yookassa_shop_id",
                     "yookassa_secret_key", "stripe_api_key", "stripe_webhook_secret",
                     "telegram_payments_provider_token", "payments_return_url", "moysklad_token",
                     "moysklad_api_base", "moysklad_token_kind", "images_s3_endpoint", "images_s3_bucket",
                     "images_s3_access_key", "images_s3_secret_key", "images_s3_public_url", "backup_s3_endpoint",
                     "backup_s3_bucket", "backup_s3_region", "backup_s3_access_key", "backup_s3_secret_key",
                     mode="before")
    @classmethod
    def _empty_token_is_none(cls, value):
        return None if value in ("", None) else value

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> "Settings":
        if not self.demo and self.secret_key.get_secret_value() == DEFAULT_SECRET_KEY:
            raise ValueError(
                "SMO_SECRET_KEY must be set to a long random value outside demo mode (SMO_DEMO=1)"
            )
        if len(self.secret_key.get_secret_value()) < 16:
            raise ValueError("SMO_SECRET_KEY must be at least 16 characters")
        return self

    @property
    def tz(self) -> ZoneInfo:
        """The environment's default only: the owner may set another on the settings page. Read the
        effective one with ``services.core.shop_locale``."""
        return ZoneInfo(self.shop_timezone)

    @property
    def enabled_payment_methods(self) -> tuple[str, ...]:
        return tuple(m for m in (p.strip().lower() for p in self.payment_methods.split(",")) if m)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings_cache() -> None:
    """For tests and the CLI: forget the cached settings so the environment is read again."""
    get_settings.cache_clear()


def uploads_dir() -> Path:
    """Where the local image store keeps photos (``SMO_IMAGES_DIR``, default ``var/uploads``)."""
    return get_settings().images_dir or PROJECT_ROOT / "var" / "uploads"
