"""FastAPI app mounted on the Reflex backend under /api (see smo_app/smo_app.py)."""
from smo_app.api.app import create_api

__all__ = ["create_api"]
