"""The Reflex app: the /api mount and page registration — nothing else."""
import reflex as rx

import smo_app.pages  # noqa: F401  (registers every @rx.page)
from smo_app.api import create_api

# The theme lives in rxconfig.py (RadixThemesPlugin): Reflex 0.10 deprecates rx.App(theme=...).
app = rx.App(api_transformer=create_api())
