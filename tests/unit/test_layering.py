"""The layering rule, read from the code: what may import what (ARCHITECTURE.md, "Layering").

* models and services load neither reflex nor aiogram, nor does the calling seam;
* ``smo_app.services`` imports no screen layer (state, pages, components, api) and neither the seam
  nor the composition root that sit above it; ``smo_app.api`` never borrows from ``smo_app.state``;
* the bot asks services, it does not query: no ``select`` in ``bot_sidecar``;
* the service packages form no cycle (module-level imports), and a function-local import of our own
  code in ``smo_app/services`` is the exception — at most 15, each with a ``# why`` naming its cycle.

Imports are read with ``ast``, module-level and function-local alike (``if TYPE_CHECKING`` blocks
are left out: they never run).
"""
from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAX_LOCAL_IMPORTS = 15
OWN = ("smo_app", "bot_sidecar", "integrations")


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted
    target: str  # what it imports, dotted (``from a import b`` → ``a.b``)
    line: int
    local: bool  # inside a function
    text: str  # the source line


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> Iterator[Import]:
    source = path.read_text()
    lines = source.splitlines()
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    def visit(node: ast.AST, local: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield Import(name, alias.name, child.lineno, local, lines[child.lineno - 1])
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                for alias in child.names:
                    yield Import(name, f"{base}.{alias.name}", child.lineno, local, lines[child.lineno - 1])
            else:
                yield from visit(child, local or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    yield from visit(ast.parse(source), False)


def _all_imports(*packages: str) -> list[Import]:
    return [imp for package in packages for path in sorted((ROOT / package).rglob("*.py")) for imp in _imports(path)]


def _under(target: str, *prefixes: str) -> bool:
    return any(target == p or target.startswith(p + ".") for p in prefixes)


def _service_package(module: str) -> str | None:
    """``smo_app.services.sales.carts`` → ``smo_app.services.sales``."""
    return ".".join(module.split(".")[:3]) if module.startswith("smo_app.services.") else None


def test_models_services_and_the_seam_do_not_load_ui_or_bot_frameworks():
    # given a fresh interpreter
    code = (
        "import sys, pkgutil, importlib\n"
        "import smo_app, smo_app.models, smo_app.services, smo_app.calling\n"
        "for m in pkgutil.walk_packages(smo_app.services.__path__, 'smo_app.services.'):\n"
        "    importlib.import_module(m.name)\n"
        "for m in pkgutil.walk_packages(smo_app.models.__path__, 'smo_app.models.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(k for k in sys.modules if k.split('.')[0] in ('reflex', 'aiogram'))\n"
        "print(','.join(bad))\n"
    )
    # when every model and service module and the calling seam are imported
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    # then neither reflex nor aiogram was loaded
    assert out.stdout.strip() == ""


def test_the_calling_seam_imports_neither_reflex_nor_aiogram():
    bad = [f"{i.module}:{i.line} {i.target}" for i in _all_imports("smo_app/calling")
           if _under(i.target, "reflex", "aiogram")]
    assert bad == []


def test_services_import_no_screen_layer_nor_the_seam_above_them():
    above = ("smo_app.state", "smo_app.pages", "smo_app.components", "smo_app.api", "smo_app.calling",
             "smo_app.composition", "bot_sidecar")
    bad = [f"{i.module}:{i.line} {i.target}" for i in _all_imports("smo_app/services") if _under(i.target, *above)]
    assert bad == []


def test_the_api_never_imports_state():
    bad = [f"{i.module}:{i.line} {i.target}" for i in _all_imports("smo_app/api") if _under(i.target, "smo_app.state")]
    assert bad == []


def test_the_bot_asks_services_and_never_queries():
    bad = [f"{i.module}:{i.line} {i.text.strip()}" for i in _all_imports("bot_sidecar")
           if _under(i.target.rpartition(".")[0], "sqlmodel", "sqlalchemy") and i.target.rpartition(".")[2] == "select"]
    bad += [f"{path.relative_to(ROOT)}: {node.attr}" for path in sorted((ROOT / "bot_sidecar").rglob("*.py"))
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Attribute) and node.attr == "select" and isinstance(node.value, ast.Name)
            and node.value.id in ("sqlmodel", "sqlalchemy", "sa")]
    assert bad == []


def test_service_packages_form_no_cycle():
    # given the packages each service package imports at module level
    edges: dict[str, set[str]] = {}
    for i in _all_imports("smo_app/services"):
        a, b = _service_package(i.module), _service_package(i.target)
        if a and b and a != b and not i.local:
            edges.setdefault(a, set()).add(b)
    # then no package reaches itself again
    cycles = set()

    def walk(start: str, node: str, path: tuple[str, ...]) -> None:
        for nxt in sorted(edges.get(node, ())):
            if nxt == start:
                cycles.add(" → ".join(p.rsplit(".", 1)[1] for p in (*path, nxt)))
            elif nxt not in path:
                walk(start, nxt, (*path, nxt))

    for package in sorted(edges):
        walk(package, package, (package,))
    assert sorted(cycles) == []


def _local_service_imports() -> list[Import]:
    return [i for i in _all_imports("smo_app/services") if i.local and _under(i.target, *OWN)]


def test_at_most_15_function_local_imports_of_our_own_code_in_services():
    local = _local_service_imports()
    assert len(local) <= MAX_LOCAL_IMPORTS, [f"{i.module}:{i.line} {i.target}" for i in local]


def test_each_function_local_import_in_services_names_its_cycle():
    unexplained = [f"{i.module}:{i.line} {i.target}" for i in _local_service_imports() if "# why" not in i.text]
    assert unexplained == []


def test_package_init_is_empty():
    assert (ROOT / "smo_app" / "__init__.py").read_text().strip() == ""
