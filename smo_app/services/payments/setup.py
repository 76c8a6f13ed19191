"""The owner's payment set-up (PA1–PA4): which methods the shop offers and the providers' keys
(stored encrypted; the environment wins where set), a "check connection"; where a transfer goes — recipient, bank, account or card, the
comment with the order number — and the shop's SBP link (its QR is shown to the customer).

Stored as one shop setting (``payments.transfer``); saved all or nothing, audited. The customer's
order screen reads :func:`transfer_for_order` (the comment filled in with the order number).
"""
from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, SecretStr
from sqlmodel import Session

from integrations.http import IntegrationError
from smo_app.models.base import utcnow
from smo_app.models.shop import ShopSetting
from smo_app.services.core import audit, ports, secrets
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, ValidationFailed
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.tx import atomic
from smo_app.settings import get_settings

TRANSFER_KEY = "payments.transfer"
DEFAULT_COMMENT = "Заказ №{order}"
NAME_MAX = 200
COMMENT_MAX = 140
LINK_MAX = 500
_ACCOUNT = re.compile(r"\+?\d{10,34}")  # a card (16–19 digits), an account (20), a phone (+7…)
_SEPARATORS = re.compile(r"[\s-]+")


class TransferDetails(BaseModel):
    recipient: str = ""
    bank: str = ""
    account: str = ""  # digits (a card, an account) or a phone number for SBP, as the customer types it
    comment: str = DEFAULT_COMMENT  # "{order}" becomes the order number
    sbp_link: str = ""  # https://qr.nspk.ru/… or the bank's SBP payment link
    review_minutes: int = 30  # "a manager usually checks a screenshot within N minutes"
    updated_at: datetime | None = None

    @property
    def ready(self) -> bool:
        return bool(self.recipient and self.account) or bool(self.sbp_link)


class TransferForOrder(BaseModel):
    """What the customer's order screen shows for paying by transfer."""

    recipient: str
    bank: str
    account: str
    comment: str
    sbp_link: str
    review_minutes: int


def transfer_details(session: Session) -> TransferDetails:
    row = session.get(ShopSetting, TRANSFER_KEY)
    return TransferDetails.model_validate(row.value) if row is not None and isinstance(row.value, dict) \
        else TransferDetails()


def transfer_for_order(session: Session, order_id: int) -> TransferForOrder | None:
    """The shop's transfer details with the comment for ``order_id``; None when none are entered."""
    d = transfer_details(session)
    if not d.ready:
        return None
    return TransferForOrder(recipient=d.recipient, bank=d.bank, account=d.account,
                            comment=d.comment.replace("{order}", str(order_id)), sbp_link=d.sbp_link,
                            review_minutes=d.review_minutes)


def get_transfer(session: Session, *, actor: Actor) -> TransferDetails:
    require(actor, Perm.settings_manage)
    out = transfer_details(session)
    session.rollback()
    return out


class TransferIn(BaseModel):
    recipient: str = ""
    bank: str = ""
    account: str = ""
    comment: str = DEFAULT_COMMENT
    sbp_link: str = ""
    review_minutes: str | int = 30


def _checked(data: TransferIn) -> TransferDetails:
    recipient, bank = data.recipient.strip(), data.bank.strip()
    for field, value in (("recipient", recipient), ("bank", bank)):
        if len(value) > NAME_MAX:
            raise ValidationFailed("payment.setup.too_long", f"{field} too long", field=field, max=NAME_MAX)
    account = _SEPARATORS.sub("", data.account.strip())
    if account and not _ACCOUNT.fullmatch(account):
        raise ValidationFailed("payment.setup.account_invalid", "account: 10–34 digits", field="account")
    comment = data.comment.strip() or DEFAULT_COMMENT
    if len(comment) > COMMENT_MAX or re.search(r"\{(?!order\})", comment):
        raise ValidationFailed("payment.setup.comment_invalid", "comment: up to 140, only {order}", field="comment",
                               max=COMMENT_MAX)
    link = data.sbp_link.strip()
    if link and (not link.startswith("https://") or len(link) > LINK_MAX or any(c.isspace() for c in link)):
        raise ValidationFailed("payment.setup.link_invalid", "an https:// link", field="sbp_link")
    try:
        minutes = int(str(data.review_minutes).strip())
    except ValueError:
        minutes = -1
    if not 1 <= minutes <= 24 * 60:
        raise ValidationFailed("payment.setup.minutes_invalid", "1..1440", field="review_minutes")
    if bool(recipient) != bool(account):
        raise ValidationFailed("payment.setup.recipient_and_account", "both or neither",
                               field="account" if recipient else "recipient")
    return TransferDetails(recipient=recipient, bank=bank, account=account, comment=comment, sbp_link=link,
                           review_minutes=minutes)


@atomic
def save_transfer(session: Session, *, actor: Actor, data: TransferIn, now: datetime | None = None) -> TransferDetails:
    """The owner's transfer details and SBP link, all or nothing; audited."""
    require(actor, Perm.settings_manage)
    details = _checked(data)
    details.updated_at = now or utcnow()
    row = session.get(ShopSetting, TRANSFER_KEY, with_for_update=True)
    before = row.value if row is not None else None
    row = row or ShopSetting(key=TRANSFER_KEY, value={})
    row.value, row.updated_at = details.model_dump(mode="json"), details.updated_at
    session.add(row)
    audit.record(session, actor=actor, action="settings.payments_transfer", entity="shop_setting",
                 entity_id=TRANSFER_KEY, before=before, after=details.model_dump(mode="json", exclude={"updated_at"}))
    session.commit()
    return details


# --------------------------------------------------------------------------- providers (PA1–PA4)

PROVIDERS_KEY = "payments.providers"
METHODS = ("yookassa", "stripe", "telegram", "stars", "manual")
# (setting name, stored key, secret) — what the owner may enter; the environment wins where set
FIELDS = (("yookassa_shop_id", False), ("yookassa_secret_key", True), ("stripe_api_key", True),
          ("stripe_webhook_secret", True), ("telegram_payments_provider_token", True))
_SHAPES = {
    "yookassa_shop_id": re.compile(r"\d{3,20}"),
    "yookassa_secret_key": re.compile(r"(test|live)_[A-Za-z0-9_-]{8,200}"),
    "stripe_api_key": re.compile(r"(sk|rk)_(test|live)_[A-Za-z0-9]{8,200}"),
    "stripe_webhook_secret": re.compile(r"whsec_[A-Za-z0-9+/=]{8,200}"),
    "telegram_payments_provider_token": re.compile(r"\d{3,20}:(TEST|LIVE):[A-Za-z0-9_-]{4,200}"),
}


# fiscal receipts (54-FZ, through YooKassa): on/off, the VAT code of the goods, the tax system
RECEIPT_FIELDS = ("yookassa_receipts", "yookassa_vat_code", "yookassa_tax_system_code")
VAT_CODES = tuple(range(1, 13))  # YooKassa's vat_code: 1 without VAT, 2 0%, 3 10%, 4 20%, 5 10/110, 6 20/120, 7–12 5%, 7%…
TAX_SYSTEMS = tuple(range(1, 7))  # 1 OSN, 2 USN income, 3 USN income − expense, 4 ENVD, 5 ESHN, 6 patent


def _stored_providers(session: Session) -> dict:
    row = session.get(ShopSetting, PROVIDERS_KEY)
    return dict(row.value) if row is not None and isinstance(row.value, dict) else {}


def _from_env(settings, name: str) -> bool:
    return name in settings.model_fields_set and getattr(settings, name) is not None


def configured(session: Session, settings):
    """The settings the payment adapters and methods run with: the owner's set-up, with the
    environment's values on top where set (``SMO_PAYMENT_METHODS``, ``SMO_YOOKASSA_SHOP_ID`` …).
    Returns (stamp, settings); the stamp changes whenever the owner saves."""
    stored = _stored_providers(session)
    update: dict = {}
    if stored.get("methods") is not None and "payment_methods" not in settings.model_fields_set:
        update["payment_methods"] = ",".join(stored["methods"])
    for name in RECEIPT_FIELDS:
        if name in stored and name not in settings.model_fields_set:
            update[name] = stored[name]
    for name, secret in FIELDS:
        if _from_env(settings, name) or not stored.get(name):
            continue
        value = secrets.decrypt(stored[name]) if secret else stored[name]
        if value:
            update[name] = SecretStr(value) if secret else value
    return stored.get("updated_at", ""), settings.model_copy(update=update) if update else settings


class SecretView(BaseModel):
    name: str
    set: bool
    masked: str  # never the whole value
    from_env: bool


class ProvidersOut(BaseModel):
    methods: list[str]
    methods_from_env: bool
    receipts: bool = False
    vat_code: int = 1
    tax_system_code: int | None = None
    receipts_from_env: bool = False
    fields: list[SecretView]
    webhook_urls: dict[str, str]  # to paste into YooKassa's / Stripe's dashboard


def get_providers(session: Session, *, actor: Actor, settings=None) -> ProvidersOut:
    require(actor, Perm.settings_manage)
    base = settings or get_settings()
    _stamp, eff = configured(session, base)
    session.rollback()
    views = []
    for name, secret in FIELDS:
        raw = getattr(eff, name)
        value = raw.get_secret_value() if isinstance(raw, SecretStr) else raw
        views.append(SecretView(name=name, set=bool(value), masked=secrets.masked(value) if secret else (value or ""),
                                from_env=_from_env(base, name)))
    public = base.public_url.rstrip("/")
    return ProvidersOut(methods=[m for m in eff.enabled_payment_methods if m in METHODS],
                        methods_from_env="payment_methods" in base.model_fields_set, fields=views,
                        receipts=eff.yookassa_receipts, vat_code=eff.yookassa_vat_code,
                        tax_system_code=eff.yookassa_tax_system_code,
                        receipts_from_env=any(n in base.model_fields_set for n in RECEIPT_FIELDS),
                        webhook_urls={p: f"{public}/api/payments/{p}/webhook" for p in ("yookassa", "stripe")})


class ProvidersIn(BaseModel):
    methods: list[str] = []
    receipts: bool = False
    vat_code: str | int = 1
    tax_system_code: str | int | None = None  # "" / None: not sent
    values: dict[str, str] = {}  # a field left empty keeps what is stored
    clear: list[str] = []  # fields to forget


@atomic
def save_providers(session: Session, *, actor: Actor, data: ProvidersIn, settings=None,
                   now: datetime | None = None) -> ProvidersOut:
    """Which methods the shop offers and the providers' keys (stored encrypted), all or nothing;
    audited without the secrets (only which of them changed)."""
    require(actor, Perm.settings_manage)
    unknown = [m for m in data.methods if m not in METHODS]
    if unknown:
        raise ValidationFailed("payment.method_unknown", "unknown method", method=unknown[0])
    names = {name: secret for name, secret in FIELDS}
    changed: list[str] = []
    row = session.get(ShopSetting, PROVIDERS_KEY, with_for_update=True) or ShopSetting(key=PROVIDERS_KEY, value={})
    stored = dict(row.value or {})
    for name in data.clear:
        if name in names and stored.pop(name, None) is not None:
            changed.append(name)
    for name, value in data.values.items():
        value = (value or "").strip()
        if name not in names or not value:
            continue
        if not _SHAPES[name].fullmatch(value):
            raise ValidationFailed("payment.setup.key_invalid", f"{name} has the wrong shape", field=name)
        stored[name] = secrets.encrypt(value) if names[name] else value
        changed.append(name)
    vat, tax = _code(data.vat_code, VAT_CODES, "vat_code"), _code(data.tax_system_code, TAX_SYSTEMS, "tax_system_code")
    if data.receipts and tax is None:
        raise ValidationFailed("payment.setup.tax_system_required", "choose the tax system", field="tax_system_code")
    before = {k: stored.get(k) for k in ("methods", *RECEIPT_FIELDS)}
    stored.update(yookassa_receipts=data.receipts, yookassa_vat_code=vat or 1, yookassa_tax_system_code=tax)
    stored["methods"] = [m for m in METHODS if m in data.methods]
    stored["updated_at"] = (now or utcnow()).isoformat()
    row.value, row.updated_at = stored, now or utcnow()
    session.add(row)
    audit.record(session, actor=actor, action="settings.payments_providers", entity="shop_setting",
                 entity_id=PROVIDERS_KEY, before=before,
                 after={**{k: stored[k] for k in ("methods", *RECEIPT_FIELDS)}, "keys_changed": sorted(set(changed))})
    session.commit()
    ports.rebuild(ports.PAYMENT)
    return get_providers(session, actor=actor, settings=settings)


# the methods "check connection" knows, and the prefix of the fields each one reads
CHECKS = {"yookassa": "yookassa_", "stripe": "stripe_", "telegram": "telegram_payments_"}


class CheckOut(BaseModel):
    provider: str
    account: str  # the shop / account the keys open
    test: bool  # a test shop or test keys: no real money moves


def _code(value, allowed: tuple[int, ...], field: str) -> int | None:
    text = str(value if value is not None else "").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) not in allowed:
        raise ValidationFailed("payment.setup.code_invalid", f"{field} out of range", field=field)
    return int(text)


def check_provider(session: Session, *, actor: Actor, provider: str, values: dict[str, str] | None = None,
                   settings=None) -> CheckOut:
    """"Check connection": ask the provider who we are with the keys typed on the screen (not saved
    yet; a field left empty falls back to the stored or environment value); the answer in words.
    Telegram: the provider token's shape (``<id>:TEST:…`` / ``<id>:LIVE:…``), then ``getMe`` with the
    shop's bot token. Nothing is saved. Raises ``payment.setup.key_invalid`` for a typed key of the
    wrong shape and ``payment.setup.check_failed`` with the provider's error."""
    require(actor, Perm.settings_manage)
    if provider not in CHECKS:
        raise DomainError("payment.setup.check_unsupported", "no check for this method", method=provider)
    _stamp, eff = configured(session, settings or get_settings())
    session.rollback()
    typed = {k: (v or "").strip() for k, v in (values or {}).items()
             if (v or "").strip() and k in dict(FIELDS) and k.startswith(CHECKS[provider])}
    for name, value in typed.items():
        if not _SHAPES[name].fullmatch(value):
            raise ValidationFailed("payment.setup.key_invalid", f"{name} has the wrong shape", field=name)
    token = typed.get("telegram_payments_provider_token") or (
        eff.telegram_payments_provider_token.get_secret_value() if eff.telegram_payments_provider_token else "")
    if provider == "telegram" and eff.bot_token is None:
        raise DomainError("payment.setup.bot_token_missing", "the shop's bot token is not set")
    if provider == "telegram" and token and not _SHAPES["telegram_payments_provider_token"].fullmatch(token):
        raise ValidationFailed("payment.setup.key_invalid", "provider token has the wrong shape",
                               field="telegram_payments_provider_token")
    update = {k: SecretStr(v) if dict(FIELDS)[k] else v for k, v in typed.items()}
    mode = {"yookassa": {"yookassa_mode": "live"}, "stripe": {"stripe_mode": "live"}}.get(provider, {})
    eff = eff.model_copy(update={**update, **mode})
    port = ports.payment_builder()(provider, eff)
    if port is None:
        raise DomainError("payment.setup.keys_missing", "enter the keys first", method=provider)
    try:
        account, test = port.whoami()
        return CheckOut(provider=provider, account=account, test=test)
    except IntegrationError as exc:
        raise DomainError("payment.setup.check_failed", str(exc), error=exc.message) from exc
    finally:
        close = getattr(port, "close", None)
        if close is not None:
            close()
