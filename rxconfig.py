"""Reflex configuration. The database belongs to alembic (smo_app.migrations), not to Reflex:
no ``db_url`` here, and no ``reflex db`` commands."""
import os

import reflex as rx

_redis_url = os.environ.get("SMO_REDIS_URL") or None

config = rx.Config(
    app_name="smo_app",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    # Redis state manager when SMO_REDIS_URL is set (several workers); disk state otherwise.
    redis_url=_redis_url,
    state_manager_mode="redis" if _redis_url else "disk",
    frontend_port=int(os.environ.get("SMO_PORT", "3000")),
    backend_port=int(os.environ.get("SMO_PORT", "3000")),
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(appearance="light", accent_color="teal", gray_color="slate", radius="medium")
        )
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
