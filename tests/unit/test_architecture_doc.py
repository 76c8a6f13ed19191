"""The map is true: docs/ARCHITECTURE.md names every service package, every service module and every
state module there is — a newcomer who adds one without putting it on the map is told so here."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "ARCHITECTURE.md").read_text()


def _modules(folder: Path) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.py") if p.stem != "__init__")


def test_every_service_package_and_module_is_on_the_map():
    # given the service packages as they are on disk
    packages = sorted(p for p in (ROOT / "smo_app" / "services").iterdir() if p.is_dir() and _modules(p))
    # then each package has a row naming it, and each of its modules is named in that row
    rows = {line.split("|")[1].strip().strip("`"): line for line in DOC.splitlines()
            if line.startswith("| `") and line.count("|") >= 4}
    missing = [f"services/{p.name}" for p in packages if p.name not in rows]
    missing += [f"services/{p.name}/{m}.py" for p in packages if p.name in rows
                for m in _modules(p) if f"`{m}`" not in rows[p.name]]
    assert missing == [], "add these to docs/ARCHITECTURE.md (Service packages)"


def test_every_state_module_is_on_the_map():
    missing = [f"state/{m}.py" for m in _modules(ROOT / "smo_app" / "state") if f"`{m}.py`" not in DOC]
    assert missing == [], "add these to docs/ARCHITECTURE.md (State modules)"


def test_the_map_names_the_seam_and_the_composition_root():
    for name in ("smo_app/calling/", "smo_app/composition.py", "api/deps.py", "middlewares/calls.py"):
        assert name in DOC
