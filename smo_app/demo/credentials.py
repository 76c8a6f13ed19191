"""The demo shop's accounts and tokens as `make run` prints them: plain data, no imports of the
shop, so a restart prints them without loading the models."""
from __future__ import annotations

DEMO_API_TOKEN = "smo_demo-owner-api-token-0000000000000000"  # the owner's staff API token (demo.api_tokens)

# (username, full name, role, password, PIN) — printed by `make run`.
DEMO_STAFF = [
    ("owner", "Ольга Владимировна", "owner", "owner-demo-1", "1111"),
    ("admin", "Андрей Смирнов", "admin", "admin-demo-1", "2222"),
    ("manager", "Мария Котова", "manager", "manager-demo-1", "3333"),
    ("seller", "Сергей Иванов", "seller", None, "4444"),
    ("seller2", "Светлана Орлова", "seller", None, "5555"),
]


def credentials_text() -> str:
    lines = ["Demo staff (username / password / PIN):"]
    for username, full_name, role, password, pin in DEMO_STAFF:
        lines.append(f"  {role:<8} {username:<9} password: {password or '—':<15} PIN: {pin or '—'}   ({full_name})")
    return "\n".join(lines)


def print_credentials() -> None:
    print(credentials_text())
    print("Demo MoySklad token (Backoffice → MoySklad): demo-moysklad-token")
    print("Demo staff API token (the owner's, every scope; Backoffice → API tokens):")
    print(f"  curl -H 'Authorization: Bearer {DEMO_API_TOKEN}' http://localhost:3000/api/v1/orders"
          "   (docs: /api/docs)")
