"""Text lookup, the language switch, a shell's title bar, the forbidden view, the guard wrapper."""
from __future__ import annotations

import types

import reflex as rx

from smo_app.components import styles
from smo_app.settings import get_settings
from smo_app.state.ops import ROW_ID
from smo_app.state.session import SessionState


def T(key: str | rx.Var) -> rx.Var:
    """The UI text for ``key`` in the browser's language (reactive)."""
    return SessionState.tr[key]


def demo_banner(text: rx.Var) -> rx.Component:
    """A strip saying this is the demo shop (payments, delivery and addresses are fakes; no real
    money), on every backoffice and Mini App screen — only when the app runs in demo mode."""
    if not get_settings().demo:  # read when the page is compiled (the demo flag of that run)
        return rx.fragment()
    return rx.box(rx.text(text, size="1", weight="medium"), id="demo-banner", background="var(--amber-4)",
                  color="var(--amber-12)", padding="0.25rem 1rem", text_align="center", width="100%")


# A typed day (d.m.yyyy, dd/mm/yyyy or ISO) or month (m.yyyy) as ISO, else the text as typed (the
# server then says it is not a date); "" stays "".
_TO_ISO_JS = """(t, month) => { t = (t || "").trim();
  const d = month ? t.match(/^(\\d{1,2})[.\\/-](\\d{4})$/) : t.match(/^(\\d{1,2})[.\\/-](\\d{1,2})[.\\/-](\\d{4})$/);
  if (!d) return t;
  return month ? d[2] + "-" + d[1].padStart(2, "0") : d[3] + "-" + d[2].padStart(2, "0") + "-" + d[1].padStart(2, "0"); }"""
_FROM_ISO_JS = """(v) => (v || "").split("-").reverse().join(".")"""


def _date_js(body: str) -> rx.Var:
    """A React handler (``e``) for a part of :func:`date_input`: ``box`` is its wrapper, ``shown`` the
    typed field, ``iso`` the submitted hidden one, ``pick`` the browser's calendar."""
    return rx.Var(f"""((e) => {{ const box = e.currentTarget.closest("[data-date-field]");
  const shown = box.querySelector("input[data-shown]"), iso = box.querySelector("input[data-iso]");
  const pick = box.querySelector("input[data-pick]"), month = box.dataset.dateField === "month";
  const toIso = {_TO_ISO_JS}, fromIso = {_FROM_ISO_JS};
  {body} }})""")


def _as_shown(value) -> rx.Var | str:
    """ISO ``yyyy-mm-dd`` / ``yyyy-mm`` as the field shows it (``dd.mm.yyyy`` / ``mm.yyyy``)."""
    if isinstance(value, rx.Var):
        text = value.to(str)
        return rx.cond(text != "", text.split("-").reverse().join("."), "")
    return ".".join(reversed(str(value or "").split("-"))) if value else ""


def date_input(*, name: str, id: str | None = None, type: str = "date", default_value=None, key=None,
               width: str | None = None, **props) -> rx.Component:
    """A day (or ``type="month"``) field written the Russian way, whatever the browser's language:
    ``dd.mm.yyyy`` typed or picked from the browser's calendar (the button beside it). The form gets
    ISO under ``name`` (a hidden field the typing keeps in step), so screens and services read the
    value as before; the typed field keeps ``id`` for its label and tests."""
    month = type == "month"
    shown = rx.input(
        id=id, default_value=_as_shown(default_value), placeholder=T("ui.date.month_hint" if month else "ui.date.hint"),
        input_mode="numeric", max_length=10, width=width or ("7rem" if month else "8.5rem"),
        custom_attrs={"data-shown": "1", "autoComplete": "off",
                      "onInput": _date_js("iso.value = toIso(shown.value, month); pick.value = iso.value;")},
        **props)
    return rx.hstack(
        shown,
        rx.el.input(type="hidden", name=name, default_value=default_value if default_value is not None else "",
                    custom_attrs={"data-iso": "1"}),
        rx.el.input(type=type, tab_index=-1, aria_hidden="true", default_value=default_value if default_value is not None else "",
                    style={"position": "absolute", "opacity": 0, "width": "1px", "height": "1px", "pointerEvents": "none"},
                    custom_attrs={"data-pick": "1",
                                  "onChange": _date_js("iso.value = pick.value; shown.value = fromIso(pick.value);")}),
        rx.icon_button(rx.icon("calendar", size=16), type="button", variant="ghost", size="2",
                       aria_label=T("ui.date.pick"),
                       custom_attrs={"onClick": _date_js("try { pick.showPicker(); } catch (_) { pick.focus(); }")}),
        spacing="1", align="center", position="relative", key=key,
        custom_attrs={"data-date-field": "month" if month else "day"},
    )


def field_label(key: str, html_for: str, **props) -> rx.Component:
    """A real ``<label for=…>`` (``rx.text(as_="label", html_for=…)`` would put ``htmlFor`` into CSS)."""
    props.setdefault("size", "2")
    props.setdefault("weight", "medium")
    return rx.el.label(rx.text(T(key), as_="span", **props), html_for=html_for)


def labeled(label_key: str, control: rx.Component, html_for: str) -> rx.Component:
    """A field with a real <label> for its control (screen readers, and tests that find it by it)."""
    return rx.vstack(field_label(label_key, html_for), control, spacing="1")


def form_card(title_key: str, intro_key: str, *children: rx.Component, on_submit) -> rx.Component:
    """A card holding one form: its heading, a grey line saying what it is for, then the fields."""
    return rx.card(
        rx.form(
            rx.vstack(rx.heading(T(title_key), size="4"), rx.text(T(intro_key), size="2", color_scheme="gray"),
                      *children, spacing="3", width="100%"),
            on_submit=on_submit, reset_on_submit=False,
        ),
        width="100%",
    )


def language_switch(value: rx.Var, on_change, label: rx.Var, id_prefix: str) -> rx.Component:
    """The RU/EN switch (items ``{id_prefix}-ru`` and ``{id_prefix}-en``)."""
    return rx.segmented_control.root(
        rx.segmented_control.item("RU", value="ru", id=f"{id_prefix}-ru"),
        rx.segmented_control.item("EN", value="en", id=f"{id_prefix}-en"),
        value=value,
        on_change=on_change,
        size="1",
        aria_label=label,
    )


def lang_switch() -> rx.Component:
    return language_switch(SessionState.ui_lang, SessionState.set_language, T("ui.language"), "lang")


def title_bar(icon: str, title_key: str, *right: rx.Component, title_size: str, spacing: str, height: str,
              padding_x: str, lead: rx.Component | None = None, class_name: str = "") -> rx.Component:
    """A shell's top bar: ``lead`` (the backoffice's menu button on a phone), its accent icon and title
    on the left, ``right`` at the right end, a rule below."""
    return rx.hstack(
        lead or rx.fragment(),
        rx.hstack(rx.icon(icon, color=f"var(--{styles.ACCENT}-9)"), rx.heading(T(title_key), size=title_size), align="center"),
        rx.spacer(),
        *right,
        align="center",
        spacing=spacing,
        height=height,
        padding_x=padding_x,
        border_bottom="1px solid var(--gray-a5)",
        width="100%",
        class_name=class_name,
    )


def forbidden_view() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.heading("403", size="9", color_scheme="gray"),
            rx.heading(T("ui.forbidden.title"), size="6", id="forbidden"),
            rx.text(T("ui.forbidden.text")),
            rx.cond(
                SessionState.back_is_pos,
                rx.link(T("ui.forbidden.back_pos"), href=SessionState.back_route, id="forbidden-back"),
                rx.link(T("ui.forbidden.back_admin"), href=SessionState.back_route, id="forbidden-back"),
            ),
            rx.cond(SessionState.back_is_pos, rx.link(T("ui.forbidden.login"), href="/admin/login")),
            align="center",
            spacing="3",
        ),
        min_height="80vh",
        padding="2rem",
    )


def loading() -> rx.Component:
    return rx.center(rx.spinner(size="3"), rx.text(T("ui.loading"), margin_left="0.5rem"), min_height="60vh")


def guarded(route: str, content: rx.Component) -> rx.Component:
    """Show ``content`` only once the server-side guard granted ``route``."""
    return rx.cond(
        SessionState.granted == route,
        content,
        rx.cond(SessionState.denied == route, forbidden_view(), loading()),
    )



def row_form(row_id: rx.Var | int | str, *children, on_submit, id_field: str = ROW_ID, **props) -> rx.Component:
    """A form for one row of an ``rx.foreach`` (a variant, a prize, a line …).

    Reflex compiles a form's submit handler once per component, as a hook *above* the loop that
    draws the rows, so a handler that closes over the row (``lambda form: S.save(v["id"], form)``)
    names a loop variable that does not exist there: the built page throws ``ReferenceError:
    v_rx_state_ is not defined`` and nothing is saved. Here the row's id travels in the form as a
    hidden field (``id_field``) and ``on_submit`` is a plain handler taking the form; a lambda is
    refused when the page is built (tests/unit/test_compiled_handlers.py checks the build too)."""
    if isinstance(on_submit, types.FunctionType):
        raise TypeError("row_form: on_submit must be a state's event handler taking the form, not a lambda "
                        "over the row (the row's id comes in the form as " + repr(id_field) + ")")
    if isinstance(row_id, rx.Var):  # a text id as it is (to_string would send it JSON-quoted: '"8"')
        value = row_id if row_id._var_type is str else row_id.to_string()
    else:
        value = str(row_id)
    props.setdefault("reset_on_submit", False)
    return rx.form(rx.el.input(type="hidden", name=id_field, value=value), *children, on_submit=on_submit, **props)
