"""Text a user sees never names feature IDs, issues or the development process.

Unfinished areas are simply absent; nothing on a screen says "ST2–ST4" or "with the next issue".
Scanned: every UI, bot and error string in both languages, and the page/component sources
(literal text could be written there directly).
"""
import re
from pathlib import Path

from smo_app.i18n import catalogs

SMO = Path(__file__).resolve().parents[2] / "smo_app"
FEATURE_ID = re.compile(r"\b(?:ST|PA|OR|WH|CA|CR|PO|AN|CO|SU|BK|SE|IN|OP)\d")
PROCESS = re.compile(
    r"next issue|later issue|with the .{0,20}issue|arrives? with|coming soon|is coming|being built|"
    r"следующ\w* задач|задач\w* о |в разработке|скоро появится|появится вместе|появятся",
    re.IGNORECASE,
)


def _offenders(texts: dict[str, str]) -> list[str]:
    return sorted(f"{where}: {text!r}" for where, text in texts.items() if FEATURE_ID.search(text) or PROCESS.search(text))


def test_the_patterns_catch_what_they_are_meant_to_catch():
    assert _offenders({"a": "Функции ST2–ST4 появятся вместе с задачей о витрине.", "b": "arrives with the next issue",
                       "c": "Orders OR1", "d": "Раздел в разработке"}) == [
        "a: 'Функции ST2–ST4 появятся вместе с задачей о витрине.'", "b: 'arrives with the next issue'",
        "c: 'Orders OR1'", "d: 'Раздел в разработке'"]
    assert _offenders({"ok": "Смена закрыта", "ok2": "STOCK 12", "ok3": "Write in Telegram"}) == []


def test_no_ui_or_bot_text_names_a_feature_id_or_the_development_process():
    texts = {f"{lang}:{key}": text for lang, table in catalogs().items() for key, text in table.items()}
    assert _offenders(texts) == []


def test_no_page_or_component_source_carries_such_text():
    texts = {}
    for folder in ("pages", "components"):
        for path in sorted((SMO / folder).rglob("*.py")):
            source = path.read_text()
            # string literals only: docstrings and comments are for developers
            for n, literal in enumerate(re.findall(r'(?<![\w"])"([^"\n]{2,})"', source)):
                texts[f"{path.relative_to(SMO)}#{n}"] = literal
    assert _offenders(texts) == []


# an environment variable, a field key or an i18n key showing through ("SMO_BOT_TOKEN", "avg_cost_minor")
RAW_CODE = re.compile(r"\bSMO_[A-Z_]+\b|\b[a-z]+_[a-z0-9_]+\b|\bui\.[a-z]")
# the one operator's instruction that names a command on purpose (the backups page: how to restore)
COMMANDS = re.compile(r"python -m smo_app\.cli \w+")


def test_no_text_names_an_environment_variable_or_an_internal_key():
    found = []
    for lang, table in catalogs().items():
        for key, text in table.items():
            shown = COMMANDS.sub("", re.sub(r"\{[^}]*\}", "", text))  # placeholders are filled in
            if RAW_CODE.search(shown):
                found.append(f"{lang}:{key}: {text!r}")
    assert found == []


def test_a_domain_error_shows_a_status_as_the_screens_name_it():
    from smo_app.i18n import error_text
    from smo_app.services.core.errors import DomainError

    refused = DomainError("order.transition_forbidden", "x", from_status="cancelled", to_status="paid")
    assert error_text(refused, "ru") == "Нельзя перевести заказ из «отменён» в «оплачен»."
    again = DomainError("order.already_in_status", "x", status="cancelled")
    assert error_text(again, "en") == "The order is already “cancelled” — nothing to change."


def test_an_amount_in_a_refusal_reads_in_the_viewers_money_format():
    from smo_app.i18n import error_text
    from smo_app.services.core.errors import ValidationFailed

    refused = ValidationFailed("payment.refund_too_much", "x", max_minor=248000)
    assert error_text(refused, "ru") == "Сумма возврата больше оплаченной (можно вернуть не больше 2\u00a0480\u00a0₽)."
    assert error_text(refused, "en") == "The refund is larger than what was paid (at most 2,480\u00a0₽)."
