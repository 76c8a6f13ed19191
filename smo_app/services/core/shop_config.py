"""Shop-wide settings the owner changes at run time (SE1), typed, with defaults.

Stored one key per row in ``shop_setting``; read with :func:`get_config`, changed with
:func:`update_config` (owner only, audited).
"""
from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator
from sqlalchemy import func, select as sa_select
from sqlmodel import Session, select  # noqa: F401

from smo_app.models.base import utcnow
from smo_app.models.shop import ShopSetting
from smo_app.services.core.locks import xact_lock
from smo_app.services.core.tx import atomic
from smo_app.services.core import audit, shop_locale
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import ValidationFailed
from smo_app.services.core.permissions import Perm, require


def _env_timezone() -> str:
    return shop_locale.env_default().timezone


def _env_language() -> str:
    return shop_locale.env_default().language


MAX_REFERRAL_TIERS = 10


class ShopConfig(BaseModel):
    shop_name: str = Field(default="Аромалавка", max_length=100)
    vacation_mode: bool = False
    vacation_message: str = Field(default="", max_length=500)
    preorder_mode: bool = False
    auto_cancel_minutes: int = Field(default=15, ge=1, le=7 * 24 * 60)
    cashback_pct: int = Field(default=7, ge=0, le=100)
    bonus_spend_cap_pct: int = Field(default=30, ge=0, le=100)  # share of the total payable by bonuses
    referral_reward_minor: int = Field(default=30000, ge=0)  # bonus to the inviter after friend's first paid order
    referral_min_order_minor: int = Field(default=100000, ge=0)
    referral_lifetime_pct: int = Field(default=5, ge=0, le=100)
    referral_tiers: list[tuple[int, int]] = Field(default=[(0, 5), (5, 7), (15, 10)])  # (invites, lifetime %)
    free_delivery_pickup_minor: int = Field(default=300000, ge=0)
    free_delivery_courier_minor: int = Field(default=500000, ge=0)
    free_delivery_region_pct: int = Field(default=0, ge=0, le=100)
    start_text_ru: str = Field(default="Привет, {name}! Добро пожаловать в наш магазин.", max_length=2000)
    start_text_en: str = Field(default="Hi, {name}! Welcome to our shop.", max_length=2000)
    start_photo: str | None = None
    about_text_ru: str = Field(default="Магазин ароматов, свечей и косметики ручной работы.", max_length=4000)
    about_text_en: str = Field(default="A shop of handmade aromas, candles and cosmetics.", max_length=4000)
    channel_url: str | None = None
    # POS discount policy (PO5): the largest line discount % each role gives without approval,
    # the share of a sale payable by bonuses, how long an approval request waits, the return window
    pos_max_discount_seller_pct: int = Field(default=5, ge=0, le=100)
    pos_max_discount_manager_pct: int = Field(default=15, ge=0, le=100)
    pos_max_discount_admin_pct: int = Field(default=30, ge=0, le=100)
    pos_bonus_spend_cap_pct: int = Field(default=30, ge=0, le=100)
    pos_approval_minutes: int = Field(default=5, ge=1, le=60)
    pos_return_days: int = Field(default=14, ge=0, le=365)
    support_contact: str | None = None
    # weight barcodes printed by scales (CA4): EAN-13 starting with this prefix (20–29) carry the item
    # code and the weight in grams, resp. the price in kopecks; None: the shop's scales print none
    scale_weight_prefix: int | None = Field(default=22, ge=20, le=29)
    scale_price_prefix: int | None = Field(default=23, ge=20, le=29)
    # the shop's clock and language; until the owner picks one, the environment's (SMO_SHOP_TIMEZONE,
    # SMO_LANGUAGE). Read them through services.core.shop_locale (cached), not from here.
    shop_timezone: str = Field(default_factory=_env_timezone, max_length=64)
    language: Literal["ru", "en"] = Field(default_factory=_env_language)

    @field_validator("shop_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        if not shop_locale.valid_timezone(value):
            raise ValueError("unknown time zone")
        return value

    @field_validator("scale_price_prefix")
    @classmethod
    def _scale_prefixes_differ(cls, value: int | None, info) -> int | None:
        if value is not None and value == info.data.get("scale_weight_prefix"):
            raise ValueError("the weight and the price codes need different prefixes")
        return value

    @field_validator("referral_tiers")
    @classmethod
    def _tiers(cls, value: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """(invites, lifetime %) pairs: invites ≥ 0 and each once, 0–100 %, at most ten; kept sorted."""
        if len(value) > MAX_REFERRAL_TIERS:
            raise ValueError("too many tiers")
        if any(invites < 0 or not 0 <= pct <= 100 for invites, pct in value):
            raise ValueError("invites >= 0, percent 0..100")
        if len({invites for invites, _ in value}) != len(value):
            raise ValueError("one percent per number of invites")
        return sorted(value)

    @field_validator("start_photo", "channel_url")
    @classmethod
    def _web_link(cls, value: str | None, info) -> str | None:
        """Links the bot sends must be web links (a photo URL, the channel's t.me link); the photo
        may also be a Telegram file id."""
        if value is None:
            return value
        web = value.startswith(("https://", "http://")) and len(value) <= 500 and " " not in value
        file_id = info.field_name == "start_photo" and re.fullmatch(r"[A-Za-z0-9_-]{20,200}", value) is not None
        if not (web or file_id):
            raise ValueError("a link starts with https://")
        return value


_ALL_SETTINGS = sa_select(ShopSetting.__table__.c.key, ShopSetting.__table__.c.value)


_parsed: list = [None, None]  # the stored rows last validated, and their config


def get_config(session: Session) -> ShopConfig:
    """The shop's settings as stored now (read on every call: another worker may have changed them;
    only the validation of the rows seen last time is skipped). The caller gets its own copy."""
    stored = session.connection().execute(_ALL_SETTINGS).all()
    seen, parsed = _parsed
    if parsed is None or seen != stored:
        parsed = ShopConfig.model_validate({k: v for k, v in stored if k in ShopConfig.model_fields})
        _parsed[:] = [stored, parsed]
    return parsed.model_copy()


_T = ShopSetting.__table__
# SQLite: every stored setting as one JSON text ([[key, value], …]), a column a reader of its own
# adds to its statement so that the settings cost no statement of their own (sales.checkout)
SETTINGS_AS_JSON = sa_select(func.json_group_array(func.json_array(_T.c.key, func.json(_T.c.value)))
                             ).scalar_subquery()
_parsed_json: list = [None, None]  # the JSON text last validated, and its config


def config_from_json(stored: str) -> ShopConfig:
    """:func:`get_config`'s answer from the settings read as :data:`SETTINGS_AS_JSON`."""
    seen, parsed = _parsed_json
    if parsed is None or seen != stored:
        parsed = ShopConfig.model_validate({k: v for k, v in json.loads(stored) if k in ShopConfig.model_fields})
        _parsed_json[:] = [stored, parsed]
    return parsed.model_copy()


def read_config(session: Session, *, actor: Actor) -> ShopConfig:
    """The settings page's view of the configuration (owner only, like editing it)."""
    require(actor, Perm.settings_manage)
    return get_config(session)


HTML_KEYS = ("start_text_ru", "start_text_en", "about_text_ru", "about_text_en")


@atomic
def update_config(session: Session, *, actor: Actor, changes: dict[str, Any]) -> ShopConfig:
    """Validate and apply ``changes`` all-or-nothing; audit each changed key; commit."""
    require(actor, Perm.settings_manage)
    unknown = sorted(set(changes) - set(ShopConfig.model_fields))
    if unknown:
        raise ValidationFailed("settings.unknown_key", f"unknown settings: {unknown}", keys=", ".join(unknown))
    from smo_app.services.messaging.telegram_html import html_problem  # why: core ↔ messaging (messaging uses core)

    for key in HTML_KEYS:
        problem = html_problem(changes[key]) if isinstance(changes.get(key), str) else None
        if problem:
            raise ValidationFailed("settings.html_invalid", f"{key}: {problem}", field=key, problem=problem,
                                   errors=[{"field": key, "code": "settings.html_invalid"}])
    # changes run one at a time: the second validates against the first's result and finds the rows
    # it inserted (two first-time changes of one key would otherwise both INSERT it)
    xact_lock(session, "shop_config.update")
    current = get_config(session)
    try:
        updated = ShopConfig.model_validate({**current.model_dump(), **changes})
    except ValidationError as exc:
        errors = [{"field": ".".join(map(str, e["loc"])), "code": e["type"], "message": e["msg"]} for e in exc.errors()]
        raise ValidationFailed("settings.invalid", str(exc), errors=errors) from exc
    new_values = updated.model_dump(mode="json")
    old_values = current.model_dump(mode="json")
    for key in changes:
        if new_values[key] == old_values[key]:
            continue
        row = session.get(ShopSetting, key, populate_existing=True)
        if row is None:
            row = ShopSetting(key=key, value=new_values[key])
        else:
            row.value = new_values[key]
            row.updated_at = utcnow()
        session.add(row)
        audit.record(
            session, actor=actor, action="settings.change", entity="setting", entity_id=key,
            before={"value": old_values[key]}, after={"value": new_values[key]},
        )
    session.commit()
    if set(changes) & set(shop_locale.KEYS):
        shop_locale.invalidate()
    return updated
