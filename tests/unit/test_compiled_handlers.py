"""A handler compiled outside the loop that defines its row is caught before a user meets it.

Reflex hoists a form's submit handler above the ``.map`` that draws an ``rx.foreach``'s rows; a
handler closing over the row then throws ``ReferenceError: v_rx_state_ is not defined`` in the
built page. ``tests/compiled_handlers.py`` finds such hooks in compiled JavaScript; here it is
shown to catch the pattern, and every page of the app is compiled and checked (the production
build itself is checked by tests/e2e/test_row_forms.py after the e2e app is built)."""
from __future__ import annotations

import pytest
import reflex as rx
from reflex.compiler.compiler import _compile_page

from smo_app.components.common import row_form
from tests.compiled_handlers import loop_variables_in_hooks


class RowsState(rx.State):
    rows: list[dict[str, str]] = [{"id": "1", "name": "a"}]

    @rx.event
    def save(self, row_id: str, form: dict):
        pass

    @rx.event
    def save_form(self, form: dict):
        pass


def _compiled(component) -> str:
    return _compile_page(rx.box(component), "/rows")


def test_the_check_finds_a_row_handler_compiled_outside_its_loop():
    # given a per-row form whose submit handler closes over the row (the variant editor's old bug)
    rows = rx.foreach(RowsState.rows, lambda v: rx.form(rx.input(name="price"),
                                                        on_submit=lambda form: RowsState.save(v["id"], form)))
    # when it is compiled, then the check names the loop variable the hoisted handler uses
    assert loop_variables_in_hooks(_compiled(rows)) == [("useCallback", "v_rx_state_")]


def test_a_row_form_carries_its_row_in_the_form_and_passes_the_check():
    rows = rx.foreach(RowsState.rows, lambda v: row_form(v["id"], rx.input(name="price"), on_submit=RowsState.save_form))
    js = _compiled(rows)
    assert loop_variables_in_hooks(js) == []
    assert 'name:"row_id"' in js.replace(" ", "") or '["name"]:"row_id"' in js.replace(" ", "")


def test_a_row_form_refuses_a_handler_closing_over_the_row():
    with pytest.raises(TypeError):
        row_form("1", rx.input(name="price"), on_submit=lambda form: RowsState.save("1", form))


def test_no_page_of_the_app_compiles_a_hook_that_names_a_loop_variable():
    # given every page the app registers
    import smo_app.smo_app  # noqa: F401
    from smo_app.components.registry import PAGES

    # when each is compiled as the build compiles it, then no hook names a loop's variable
    offending = {p["route"]: bad for p in PAGES if (bad := loop_variables_in_hooks(_compiled(p["component"]())))}
    assert offending == {}
