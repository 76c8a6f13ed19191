"""Paid broadcast benchmark: ``bench/broadcast.py --paid`` — 10,000 recipients of a paid broadcast
(allow_paid_broadcast) through the outbox sender against the fake Bot API's paid limit of 1,000 msg/s.
Prints the steady rate as a ratio of 1,000 msg/s (bar >= 0.9), 429s, duplicates, losses and the
sender's CPU seconds per 1,000 messages.

Run: .venv/bin/python bench/paid_broadcast.py [--recipients 10000] [--db-url URL]
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from broadcast import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main(["--paid", *sys.argv[1:]]))
