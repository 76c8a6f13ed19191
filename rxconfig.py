"""Reflex configuration. The database belongs to alembic (smo_app.migrations), not to Reflex:
no ``db_url`` here, and no ``reflex db`` commands."""
import os

import reflex as rx


def _redis_url() -> str | None:
    """SMO_REDIS_URL from the settings (environment or .env); the bare environment if they are invalid."""
    try:
        from smo_app.settings import get_settings

        return get_settings().redis_url or None
    except Exception:  # noqa: BLE001 - e.g. no secret key yet: `reflex export` must still work
        return os.environ.get("SMO_REDIS_URL") or None


_redis = _redis_url()

config = rx.Config(
    app_name="smo_app",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    # Redis state manager when SMO_REDIS_URL is set (several workers); disk state otherwise.
    redis_url=_redis,
    state_manager_mode="redis" if _redis else "disk",
    frontend_port=int(os.environ.get("SMO_PORT", "3000")),
    backend_port=int(os.environ.get("SMO_PORT", "3000")),
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(appearance="light", accent_color="teal", gray_color="slate", radius="medium")
        )
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
