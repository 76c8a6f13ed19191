"""A check over the compiled frontend: no hook refers to a loop variable of a ``.map`` (rx.foreach).

Reflex compiles a form's submit handler (and any other hook) once per component, above the JSX
that draws the rows; a handler that closes over a row (``lambda form: S.save(v["id"], form)``)
then names the loop's parameter (``v_rx_state_``) where it does not exist, and the built page
throws ``ReferenceError`` when the form is submitted. The loop parameters of a file are the
arguments of its ``.map(...)`` arrow functions; a hook is a ``useCallback``/``useEffect``/
``useMemo``/``useState`` call; a hook's body that names one of them is the bug.
"""
from __future__ import annotations

import re
from pathlib import Path

_LOOP_PARAMS = re.compile(r"\(\((\w+_rx_state_),\s*(index_\w+)\)\s*=>")
_HOOK = re.compile(r"\b(useCallback|useEffect|useMemo|useState|useRef)\(")


def _call_body(source: str, start: int) -> str:
    """The text of the call whose ``(`` is at ``start``, up to its matching ``)`` (strings skipped)."""
    depth, i, quote = 0, start, ""
    while i < len(source):
        ch = source[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = ""
        elif ch in "\"'`":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return source[start:i + 1]
        i += 1
    return source[start:]


def loop_variables_in_hooks(source: str) -> list[tuple[str, str]]:
    """``[(hook, variable), …]``: hooks of this compiled module that name a loop's variable."""
    names = {n for pair in _LOOP_PARAMS.findall(source) for n in pair}
    if not names:
        return []
    pattern = re.compile(r"(?<![\w.$])(" + "|".join(map(re.escape, sorted(names))) + r")\b")
    found = []
    for m in _HOOK.finditer(source):
        body = _call_body(source, m.end() - 1)
        for var in sorted(set(pattern.findall(body))):
            found.append((m.group(1), var))
    return found


def scan_build(web_dir: Path) -> dict[str, list[tuple[str, str]]]:
    """Every compiled page and shared component module of ``.web`` with its offending hooks."""
    out = {}
    for path in sorted([*(web_dir / "app").rglob("*.jsx"), *(web_dir / "app_components").rglob("*.jsx"),
                        *(web_dir / "utils").rglob("*.js")]):
        bad = loop_variables_in_hooks(path.read_text(encoding="utf-8"))
        if bad:
            out[str(path.relative_to(web_dir))] = bad
    return out
