"""The audit log in words: who (a staff member's name, a job named as people call it — "автоотмена"),
what (the action's name), about what (an order's number, a product with its variant, a customer's or
staff member's name, a setting's label) and how it changed ("Цена: 450 ₽ → 500 ₽") — never an id, a
field key or a stored code.

:func:`names_for` reads, in one query per kind, the names of everything a page of entries refers to;
:func:`present` renders the entries in the viewer's language with them (pure: tested on every action
code, every setting and every field the services record).
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, TypedDict

from sqlmodel import Session, select

from smo_app import formats
from smo_app.i18n import t
from smo_app.models.catalog import Category, Product, Variant
from smo_app.models.customer import Customer, customer_display_name
from smo_app.models.pos import PosRegister
from smo_app.models.staff import Staff
from smo_app.models.stock import Supplier

MAX_DETAIL_LINES = 12
MAX_LIST_ITEMS = 10

# what an id in a field or an entity refers to
REF_FIELDS = {
    "staff_id": "staff", "requested_by": "staff", "customer_id": "customer", "variant_id": "variant",
    "variant": "variant", "variant_ids": "variant", "product_id": "product", "order_id": "order", "orders": "order",
    "category_id": "category", "parent_id": "category", "supplier_id": "supplier", "register_id": "pos_register",
}
NAMED_ENTITIES = ("staff", "customer", "variant", "product", "category", "supplier", "pos_register")
# stored codes read through an existing translation, first match wins
VALUE_KEYS = {
    "status": ("ui.audit_value.status.", "ui.cust.order_status.", "ui.bcast.status."),
    "to_status": ("ui.cust.order_status.",), "from_status": ("ui.cust.order_status.",),
    "role": ("role.",), "channel": ("ui.audit_value.channel.", "ui.orders.channel."),
    "unit": ("ui.cat.unit.",), "segment": ("ui.bcast.segment.",),
    "provider": ("ui.audit_value.provider.",), "via": ("ui.audit_value.provider.",),
    "delivery_payer": ("ui.audit_value.delivery_payer.",), "kind": ("ui.audit_value.kind.", "ui.wheel.kind."),
    "resolution": ("ui.audit_value.resolution.",), "reason": ("ui.audit_value.reason.",),
    "delivery_type": ("ui.audit_value.delivery_type.",), "language": ("ui.settings.lang.",),
    "state": ("ui.bookings.state.", "ui.support.state."),
}
NUMBERED_FIELDS = ("supply_id", "payment_id", "refund_id", "return_id", "approval_id", "new_sale_id", "device_id")
SYSTEM_ACTORS = ("auto-cancel", "cdek", "cli", "daily-backup", "demo", "moysklad", "payments:reconcile",
                 "payments:refund", "pos", "system")
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_PROVIDER_REF = re.compile(r"^([a-z]+):(\S+)$")
# notes the services write in English: "order #7 cancelled: late", "return #3 of order #9"
_NOTES = (
    (re.compile(r"^order #(\d+) cancelled(?:: (.*))?$", re.S), "ui.audit_note.order_cancelled", ("n", "reason")),
    (re.compile(r"^order #(\d+) refunded in part$"), "ui.audit_note.order_refunded_in_part", ("n",)),
    (re.compile(r"^refund #(\d+) of order #(\d+)$"), "ui.audit_note.refund_of_order", ("refund", "n")),
    (re.compile(r"^return #(\d+) of order #(\d+)$"), "ui.audit_note.return_of_order", ("ret", "n")),
)


@dataclass
class Names:
    """``(kind, id) → name`` of what a page of entries refers to."""

    by_ref: dict[tuple[str, int], str] = field(default_factory=dict)

    def get(self, kind: str, ref: Any) -> str | None:
        try:
            return self.by_ref.get((kind, int(ref)))
        except (TypeError, ValueError):
            return None


class AuditText(TypedDict):
    """One entry as the audit page shows it (the page's row type too)."""

    id: int
    when: str
    actor: str
    action: str
    action_code: str
    entity: str
    details: str


# --------------------------------------------------------------------------- names


def _refs(rows: Iterable[Any]) -> dict[str, set[int]]:
    wanted: dict[str, set[int]] = defaultdict(set)

    def add(kind: str, value: Any) -> None:
        for v in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(v, int) and not isinstance(v, bool):
                wanted[kind].add(v)
            elif isinstance(v, str) and v.isdigit():
                wanted[kind].add(int(v))

    for r in rows:
        if r.entity in NAMED_ENTITIES and r.entity_id:
            add(r.entity, r.entity_id)
        if r.actor_kind == "staff" and r.actor_id:
            add("staff", r.actor_id)
        for side in (r.before or {}, r.after or {}):
            for key, value in side.items():
                if key in REF_FIELDS:
                    add(REF_FIELDS[key], value)
    return wanted


def names_for(session: Session, rows: Iterable[Any]) -> Names:
    """The names of the staff, customers, products, variants, categories, suppliers and registers
    ``rows`` (audit entries) refer to; one query per kind."""
    rows = list(rows)
    wanted = _refs(rows)
    names = Names()
    if ids := wanted.get("staff"):
        for s in session.exec(select(Staff).where(Staff.id.in_(ids))):
            names.by_ref[("staff", s.id)] = s.full_name or s.username
    if ids := wanted.get("customer"):
        for c in session.exec(select(Customer).where(Customer.id.in_(ids))):
            names.by_ref[("customer", c.id)] = customer_display_name(c)
    if ids := wanted.get("variant"):
        for v, p in session.exec(select(Variant, Product).join(Product, Product.id == Variant.product_id)
                                 .where(Variant.id.in_(ids))):
            names.by_ref[("variant", v.id)] = f"{p.name} · {v.label}" if v.label else p.name
    if ids := wanted.get("product"):
        for p in session.exec(select(Product).where(Product.id.in_(ids))):
            names.by_ref[("product", p.id)] = p.name
    for kind, model in (("category", Category), ("supplier", Supplier), ("pos_register", PosRegister)):
        if ids := wanted.get(kind):
            for row in session.exec(select(model).where(model.id.in_(ids))):
                names.by_ref[(kind, row.id)] = row.name
    return names


# --------------------------------------------------------------------------- words


def _known(lang: str, key: str) -> str | None:
    out = t(key, lang)
    return None if out == key else out


def field_name(lang: str, key: str) -> str:
    return _known(lang, f"ui.audit_field.{key}") or key.replace("_", " ")


def setting_name(lang: str, key: str) -> str:
    """A shop setting's label on the settings page ("Режим предзаказа"), else the audit field name."""
    return _known(lang, f"ui.settings.f.{key}") or _known(lang, f"ui.audit_setting.{key}") or field_name(lang, key)


def actor_name(lang: str, kind: str, name: str) -> str:
    """A system job by the name people call it ("автоотмена", "ЮKassa"); people by their name."""
    if kind == "system":
        if name.startswith("payments:") and name not in SYSTEM_ACTORS:
            provider = name.split(":", 1)[1]
            return _known(lang, f"ui.audit_value.provider.{provider}") or provider
        return _known(lang, f"ui.audit_actor.{name or 'system'}") or t("ui.audit_actor.system", lang)
    if kind == "anonymous":
        return name or t("ui.audit_actor.anonymous", lang)
    return name or t(f"ui.audit_actor.{kind}", lang)


def order_number(lang: str, ref: Any) -> str:
    return t("ui.audit.order_no", lang, n=ref)


def _ref_text(lang: str, names: Names, kind: str, ref: Any) -> str:
    if kind == "order":
        return order_number(lang, ref)
    named = names.get(kind, ref)
    if named:
        return named
    return t("ui.audit.gone", lang, n=ref)  # deleted since: "№31 (удалён)"


def entity_text(lang: str, names: Names, entity: str | None, entity_id: str | None) -> str:
    """"Заказ №11", "Вариант Лаванда · 10 мл", "Настройка «Режим предзаказа»"."""
    if not entity:
        return ""
    label = _known(lang, f"ui.audit_entity.{entity}") or entity.replace("_", " ")
    if not entity_id:
        return label
    if entity in ("setting", "shop_setting"):
        return f"{label} «{setting_name(lang, entity_id)}»"
    if entity in NAMED_ENTITIES:
        return f"{label} {_ref_text(lang, names, entity, entity_id)}"
    return f"{label} {order_number(lang, entity_id)}"


def _moment(lang: str, value: str, tz: tzinfo | None) -> str:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return formats.moment(moment, lang, tz if moment.tzinfo is not None else None)


def value_text(lang: str, names: Names, key: str, value: Any, *, currency: str = "RUB",
               tz: tzinfo | None = None) -> str:
    """One stored value in words: yes/no, money, a percent, a name for an id, a translated code."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return t("ui.audit.yes" if value else "ui.audit.no", lang)
    if key in REF_FIELDS and not isinstance(value, dict):
        items = value if isinstance(value, (list, tuple)) else [value]
        out = ", ".join(_ref_text(lang, names, REF_FIELDS[key], v) for v in items[:MAX_LIST_ITEMS])
        return out + (" …" if len(items) > MAX_LIST_ITEMS else "")
    if key in NUMBERED_FIELDS and isinstance(value, (int, str)):
        return order_number(lang, value)
    if isinstance(value, (int, float)) and key.endswith("_minor"):
        return formats.money(int(value), currency, lang)
    if isinstance(value, (int, float)) and (key.endswith("_pct") or key == "pct"):
        return formats.percent(value, lang, digits=2)
    if isinstance(value, int) and key in ("bytes", "size_bytes"):
        return formats.size(value, lang)
    if isinstance(value, (int, float)):
        return formats.number(value, lang)
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, (list, tuple)) for v in value):  # rows, e.g. referral tiers
            rows = ["(" + ", ".join(value_text(lang, names, key, x, tz=tz) for x in v) + ")"
                    for v in value[:MAX_LIST_ITEMS]]
            return "; ".join(rows) + (" …" if len(value) > MAX_LIST_ITEMS else "")
        items = [value_text(lang, names, key, v, currency=currency, tz=tz) for v in value[:MAX_LIST_ITEMS]]
        sep = " | " if any(isinstance(v, dict) for v in value) else ", "
        return sep.join(items) + (" …" if len(value) > MAX_LIST_ITEMS else "")
    if isinstance(value, dict):
        cur = str(value.get("currency") or currency)
        return "; ".join(f"{field_name(lang, k)}: {value_text(lang, names, k, v, currency=cur, tz=tz)}"
                         for k, v in list(value.items())[:6] if k != "currency")
    if isinstance(value, str):
        for prefix in VALUE_KEYS.get(key, ()):
            if (known := _known(lang, f"{prefix}{value}")) is not None:
                return known
        if (key.endswith("_at") or key == "locked_until") and _ISO_MOMENT.match(value):
            return _moment(lang, value, tz)
        if key in ("reference", "note") and (m := _PROVIDER_REF.match(value)):
            provider = _known(lang, f"ui.audit_value.provider.{m.group(1)}")
            if provider:
                return t("ui.audit.provider_ref", lang, provider=provider, ref=m.group(2))
    out = str(value)
    return out if len(out) <= 120 else out[:119] + "…"


def describe_change(lang: str, names: Names, before: dict | None, after: dict | None, *,
                    tz: tzinfo | None = None, setting: str | None = None) -> str:
    """``before``/``after`` as lines "Field: old → new" (changed fields only), or "Field: value" when
    only one side exists; never raw JSON. A setting's ``value`` is named by the setting."""
    before, after = before or {}, after or {}
    currency = str(after.get("currency") or before.get("currency") or "RUB")
    lines = []
    for key in list(dict.fromkeys([*after.keys(), *before.keys()])):
        if key == "currency" and currency == "RUB":
            continue  # the amounts carry it
        value_key = setting if (setting and key == "value") else key
        label = setting_name(lang, setting) if (setting and key == "value") else field_name(lang, key)

        def text(v: Any) -> str:
            return value_text(lang, names, value_key, v, currency=currency, tz=tz)

        if key in before and key in after:
            if before[key] == after[key]:
                continue
            lines.append(f"{label}: {text(before[key])} → {text(after[key])}")
        else:
            lines.append(f"{label}: {text(after[key] if key in after else before[key])}")
    if len(lines) > MAX_DETAIL_LINES:
        lines = [*lines[:MAX_DETAIL_LINES], "…"]
    return "\n".join(lines)


def note_text(lang: str, note: str | None) -> str:
    if not note:
        return ""
    if (m := _PROVIDER_REF.match(note)) and (provider := _known(lang, f"ui.audit_value.provider.{m.group(1)}")):
        return t("ui.audit.provider_ref", lang, provider=provider, ref=m.group(2))
    for pattern, key, params in _NOTES:
        if m := pattern.match(note):
            values = dict(zip(params, m.groups()))
            reason = values.pop("reason", None)
            text = t(key, lang, **values)
            return f"{text}: {reason}" if reason else text
    return _known(lang, f"ui.audit_note.{note}") or note


def action_name(lang: str, action: str) -> str:
    return _known(lang, f"ui.audit_action.{action}") or action


def present(rows: Iterable[Any], names: Names, lang: str, tz: tzinfo | None = None) -> list[AuditText]:
    """Audit entries (``AuditRow``/``AuditEntry``) as the page shows them, in ``lang``."""
    out = []
    for r in rows:
        setting = r.entity_id if r.entity in ("setting", "shop_setting") else None
        details = "\n".join(x for x in (describe_change(lang, names, r.before, r.after, tz=tz, setting=setting),
                                        note_text(lang, r.note)) if x)
        actor = (names.get("staff", r.actor_id) if r.actor_kind == "staff" and r.actor_id else None) \
            or actor_name(lang, r.actor_kind, r.actor_name)
        out.append(AuditText(
            id=r.id, when=formats.moment(r.created_at, lang, tz), actor=actor,
            action=action_name(lang, r.action), action_code=r.action,
            entity=entity_text(lang, names, r.entity, r.entity_id), details=details,
        ))
    return out


def provider_name(lang: str, provider: str | None) -> str:
    """A payment method by the name people use ("перевод по реквизитам", "ЮKassa")."""
    return _known(lang, f"ui.audit_value.provider.{provider}") or (provider or "—")


def letter_detail(lang: str, letter: Any) -> str:
    """What a payment that was not credited is, in words: the provider's payment number, the amount in
    the shop's format and the order's number (the stored English note only when there is no more)."""
    payload = getattr(letter, "payload", None) or {}
    if "amount_minor" not in payload:
        detail = getattr(letter, "detail", None) or ""
        return (detail or value_text(lang, Names(), "payload", payload if payload else None))[:300]
    currency = str(payload.get("currency") or "RUB")
    amount = (formats.number(payload["amount_minor"], lang) + " ⭐") if currency == "XTR" \
        else formats.money(int(payload["amount_minor"]), currency, lang)
    order = payload.get("order_id")
    return t("ui.payments.letter_detail", lang, provider=provider_name(lang, getattr(letter, "provider", None)),
             ref=payload.get("provider_payment_id") or "—", amount=amount,
             order=order_number(lang, order) if order else "—")
