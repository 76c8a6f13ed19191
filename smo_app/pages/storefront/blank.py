"""/bench/blank — an empty page, only when ``SMO_BENCH_BLANK=1`` (bench/storefront_load.py compares
the storefront's first load with it, served by the same process). Never registered otherwise."""
import os

import reflex as rx

from smo_app.components.registry import page

BLANK_ROUTE = "/bench/blank"

if os.environ.get("SMO_BENCH_BLANK") == "1":

    @page(BLANK_ROUTE, title="smo")
    def blank() -> rx.Component:
        return rx.box(rx.text("blank"), id="blank")
