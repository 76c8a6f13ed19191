"""The settings page's form (SE1): each shop setting as the owner reads and types it.

Amounts are rubles (``3000`` or ``1 500,50``), referral tiers ``invites:percent`` pairs
(``0:5, 5:7; 15:10``), empty optional links are "none". A value that does not read is refused as
``settings.<kind>_invalid`` naming the field; what reads is checked by :mod:`.shop_config` (ranges,
links, time zones, Telegram markup) and saved all-or-nothing there.
"""
from __future__ import annotations

import re

from pydantic import BaseModel
from sqlmodel import Session

from smo_app.services.core import shop_config
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import ValidationFailed
from smo_app.services.core.form_input import amount, amount_text, whole_number
from smo_app.services.core.permissions import Perm, require

# (key, kind): kind decides how the typed text becomes a value — text, int, money (rubles → kopecks),
# tiers ("invites:percent" pairs), optional (empty → None)
FIELDS: tuple[tuple[str, str], ...] = (
    ("shop_name", "text"), ("vacation_message", "text"), ("auto_cancel_minutes", "int"), ("cashback_pct", "int"),
    ("bonus_spend_cap_pct", "int"), ("referral_reward_minor", "money"), ("referral_min_order_minor", "money"),
    ("referral_lifetime_pct", "int"), ("referral_tiers", "tiers"), ("free_delivery_pickup_minor", "money"),
    ("free_delivery_courier_minor", "money"),
    ("free_delivery_region_pct", "int"), ("start_text_ru", "text"), ("start_text_en", "text"),
    ("about_text_ru", "text"), ("about_text_en", "text"), ("start_photo", "optional"), ("channel_url", "optional"),
    ("support_contact", "optional"), ("shop_timezone", "text"), ("language", "text"),
    ("scale_weight_prefix", "optional_int"), ("scale_price_prefix", "optional_int"),
)
FLAGS = ("vacation_mode", "preorder_mode")
_TIER = re.compile(r"^\s*(\d{1,6})\s*[:→-]\s*(\d{1,3})\s*%?\s*$")


class SettingsForm(BaseModel):
    values: dict[str, str]  # every field of FIELDS as the form shows it
    flags: dict[str, bool]  # every switch of FLAGS


def tiers_text(tiers) -> str:
    """``[(0, 5), (5, 7)]`` → ``0:5, 5:7`` (invites : lifetime %)."""
    return ", ".join(f"{invites}:{pct}" for invites, pct in tiers)


def parse_tiers(text: str) -> list[tuple[int, int]] | None:
    """``0:5, 5:7; 15:10`` → pairs; None if a part does not read ("" → no tiers)."""
    parts = [p for p in re.split(r"[,;\n]", text or "") if p.strip()]
    matches = [_TIER.match(p) for p in parts]
    if not all(matches):
        return None
    return [(int(m.group(1)), int(m.group(2))) for m in matches]


def form_of(cfg: shop_config.ShopConfig) -> SettingsForm:
    values = {}
    for key, kind in FIELDS:
        value = getattr(cfg, key)
        if kind == "money":
            values[key] = amount_text(value)
        elif kind == "tiers":
            values[key] = tiers_text(value)
        else:
            values[key] = "" if value is None else str(value)
    return SettingsForm(values=values, flags={k: bool(getattr(cfg, k)) for k in FLAGS})


def read_form(session: Session, *, actor: Actor) -> SettingsForm:
    return form_of(shop_config.read_config(session, actor=actor))


def _read(key: str, kind: str, raw: str):
    if kind == "int":
        return whole_number(raw, "settings.number_invalid", field=key)
    if kind == "money":
        return amount(raw, "settings.money_invalid", field=key)
    if kind == "tiers":
        tiers = parse_tiers(raw)
        if tiers is None:
            raise ValidationFailed("settings.tiers_invalid", f"{key}: {raw!r}", field=key,
                                   errors=[{"field": key, "code": "settings.tiers_invalid"}])
        return tiers
    if kind == "optional":
        return raw or None
    if kind == "optional_int":
        return whole_number(raw, "settings.number_invalid", field=key) if raw else None
    return raw


def save_form(session: Session, *, actor: Actor, values: dict[str, str], flags: dict[str, bool]) -> SettingsForm:
    """Read every field of the form (``values`` as typed, ``flags`` as ticked) and save them."""
    require(actor, Perm.settings_manage)
    changes = {key: _read(key, kind, str(values.get(key, "")).strip()) for key, kind in FIELDS}
    changes.update({key: bool(flags.get(key)) for key in FLAGS})
    return form_of(shop_config.update_config(session, actor=actor, changes=changes))
