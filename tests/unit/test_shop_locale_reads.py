"""The shop's time zone and language are shop settings (SE1): code reads the effective value through
services.core.shop_locale, never the environment's default directly."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DIRECT = re.compile(r"settings(\(\))?\.(tz|language|shop_timezone)\b")
ALLOWED = {"smo_app/settings.py", "smo_app/services/core/shop_locale.py"}


def test_nothing_reads_the_environment_s_time_zone_or_language_directly():
    offenders = []
    for folder in ("smo_app", "bot_sidecar"):
        for path in (ROOT / folder).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            if rel in ALLOWED:
                continue
            for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if DIRECT.search(line):
                    offenders.append(f"{rel}:{no}: {line.strip()}")
    assert offenders == []
