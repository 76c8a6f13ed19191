"""Every error code any service module raises has Russian and English text (new modules included)."""
import re
from pathlib import Path

from smo_app.i18n import catalogs

SERVICES = Path(__file__).resolve().parents[2] / "smo_app" / "services"


def test_every_raised_code_is_translated():
    # given the commerce service sources
    codes = set()
    for path in sorted(SERVICES.rglob("*.py")):
        text = path.read_text()
        codes |= set(re.findall(r'(?:DomainError|ValidationFailed)\(\s*"([a-z_]+\.[a-z_.]+)"', text))
        codes |= set(re.findall(r'"code": "([a-z_]+\.[a-z_.]+)"', text))
        codes |= set(re.findall(r'\bcode="([a-z_]+\.[a-z_.]+)"', text))
    assert len(codes) > 30
    # then each one is in both catalogs
    tables = catalogs()
    missing = sorted(c for c in codes if c not in tables["ru"] or c not in tables["en"])
    assert missing == []
