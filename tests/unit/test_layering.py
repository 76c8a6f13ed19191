"""The layering rule: models and services load neither reflex nor aiogram."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_models_and_services_do_not_import_ui_or_bot_frameworks():
    # given a fresh interpreter
    code = (
        "import sys, pkgutil, importlib\n"
        "import smo_app, smo_app.models, smo_app.services\n"
        "for m in pkgutil.walk_packages(smo_app.services.__path__, 'smo_app.services.'):\n"
        "    importlib.import_module(m.name)\n"
        "for m in pkgutil.walk_packages(smo_app.models.__path__, 'smo_app.models.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(k for k in sys.modules if k.split('.')[0] in ('reflex', 'aiogram'))\n"
        "print(','.join(bad))\n"
    )
    # when every model and service module is imported
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    # then neither reflex nor aiogram was loaded
    assert out.stdout.strip() == ""


def test_package_init_is_empty():
    assert (ROOT / "smo_app" / "__init__.py").read_text().strip() == ""
