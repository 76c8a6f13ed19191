"""The owner's MoySklad connection (IN3): token (stored encrypted), store, price type, the
organisation and counterparty orders are pushed as, who owns which fields, and whether sync runs.

Environment variables win where set (``SMO_MOYSKLAD_TOKEN``, ``SMO_MOYSKLAD_API_BASE``,
``SMO_MOYSKLAD_TOKEN_KIND``); the screen shows that a value comes from the environment.
"""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlmodel import Session

from integrations.http import IntegrationError, ProviderAuthError
from integrations.ports.erp import ErpDirectory, ErpPort
from smo_app.models.base import utcnow
from smo_app.models.erp import ErpConnection
from smo_app.services.core import audit, ports, secrets
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, ValidationFailed
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.tx import atomic
from smo_app.settings import get_settings

PROVIDER = "moysklad"
MAX_TOKEN = 500
TOKEN_KINDS = ("user", "solution")


class Effective(BaseModel):
    """What the sync runs with: the stored settings with the environment's values on top."""

    enabled: bool
    token: str | None
    token_from_env: bool
    token_kind: str
    api_base: str | None
    store_id: str | None
    price_type: str
    organization_id: str | None
    agent_id: str | None
    shop_owns_descriptions: bool
    shop_owns_photos: bool
    new_items_hidden: bool
    push_orders: bool

    @property
    def ready(self) -> bool:
        return self.enabled and bool(self.token)

    @property
    def can_push(self) -> bool:
        return self.ready and self.push_orders and bool(self.organization_id and self.agent_id)


class ConnectionOut(BaseModel):
    """The settings screen's view (the token only masked)."""

    enabled: bool
    token_set: bool
    token_masked: str
    token_from_env: bool
    token_kind: str
    api_base: str
    store_id: str
    store_name: str
    price_type: str
    organization_id: str
    organization_name: str
    agent_id: str
    agent_name: str
    shop_owns_descriptions: bool
    shop_owns_photos: bool
    new_items_hidden: bool
    push_orders: bool
    webhook_url: str
    updated_at: datetime | None


def stored(session: Session) -> ErpConnection:
    return session.get(ErpConnection, PROVIDER) or ErpConnection(provider=PROVIDER)


def effective(session: Session) -> Effective:
    row = stored(session)
    env = get_settings()
    env_token = env.moysklad_token.get_secret_value() if env.moysklad_token else None
    return Effective(enabled=row.enabled, token=env_token or secrets.decrypt(row.token_encrypted),
                     token_from_env=bool(env_token), token_kind=env.moysklad_token_kind or row.token_kind,
                     api_base=env.moysklad_api_base or row.api_base, store_id=row.store_id, price_type=row.price_type,
                     organization_id=row.organization_id, agent_id=row.agent_id,
                     shop_owns_descriptions=row.shop_owns_descriptions, shop_owns_photos=row.shop_owns_photos,
                     new_items_hidden=row.new_items_hidden, push_orders=row.push_orders)


def webhook_url() -> str:
    return get_settings().public_url.rstrip("/") + "/api/webhooks/moysklad"


def port_for(conn: Effective) -> ErpPort | None:
    """The ERP client for this connection, or None (no token, or the ERP port is off)."""
    connector = ports.erp()
    if connector is None or not conn.token:
        return None
    public = get_settings().public_url.rstrip("/")
    prefix = public if public.count("/") <= 2 else None  # MoySklad wants scheme + host at least
    return connector.connect(token=conn.token, base_url=conn.api_base, token_kind=conn.token_kind,
                             webhook_prefix=prefix)


def get_connection(session: Session, *, actor: Actor) -> ConnectionOut:
    require(actor, Perm.settings_manage)
    row = stored(session)
    eff = effective(session)
    return ConnectionOut(
        enabled=row.enabled, token_set=bool(eff.token), token_masked=secrets.masked(eff.token),
        token_from_env=eff.token_from_env, token_kind=eff.token_kind, api_base=eff.api_base or "",
        store_id=row.store_id or "", store_name=row.store_name, price_type=row.price_type,
        organization_id=row.organization_id or "", organization_name=row.organization_name,
        agent_id=row.agent_id or "", agent_name=row.agent_name, shop_owns_descriptions=row.shop_owns_descriptions,
        shop_owns_photos=row.shop_owns_photos, new_items_hidden=row.new_items_hidden, push_orders=row.push_orders,
        webhook_url=webhook_url(), updated_at=row.updated_at if session.get(ErpConnection, PROVIDER) else None)


class ConnectionIn(BaseModel):
    enabled: bool = False
    token: str | None = None  # None or "": keep the stored one
    clear_token: bool = False
    token_kind: str = "user"
    store_id: str = ""
    store_name: str = ""
    price_type: str = ""
    organization_id: str = ""
    organization_name: str = ""
    agent_id: str = ""
    agent_name: str = ""
    shop_owns_descriptions: bool = True
    shop_owns_photos: bool = True
    new_items_hidden: bool = False
    push_orders: bool = True


def _clean_id(value: str, field: str) -> str | None:
    value = (value or "").strip()
    if value and (len(value) > 64 or not all(c.isalnum() or c == "-" for c in value)):
        raise ValidationFailed("erp.bad_reference", f"{field} is not an id", field=field)
    return value or None


@atomic
def save_connection(session: Session, *, actor: Actor, data: ConnectionIn) -> ConnectionOut:
    """The owner's settings, all or nothing; the token encrypted; audited (without the token)."""
    require(actor, Perm.settings_manage)
    token = (data.token or "").strip()
    if token and (len(token) > MAX_TOKEN or any(c.isspace() for c in token)):
        raise ValidationFailed("erp.token_invalid", "the token has spaces or is too long", field="token")
    if data.token_kind not in TOKEN_KINDS:
        raise ValidationFailed("erp.token_kind_invalid", "unknown token kind", field="token_kind")
    row = session.get(ErpConnection, PROVIDER, with_for_update=True)
    is_new = row is None
    row = row or ErpConnection(provider=PROVIDER)
    before = _audited(row)
    if data.clear_token:
        row.token_encrypted = None
    elif token:
        row.token_encrypted = secrets.encrypt(token)
    row.token_kind = data.token_kind
    row.store_id = _clean_id(data.store_id, "store_id")
    row.organization_id = _clean_id(data.organization_id, "organization_id")
    row.agent_id = _clean_id(data.agent_id, "agent_id")
    row.store_name, row.organization_name, row.agent_name = (data.store_name.strip()[:255],
                                                             data.organization_name.strip()[:255],
                                                             data.agent_name.strip()[:255])
    row.price_type = data.price_type.strip()[:255]
    row.shop_owns_descriptions, row.shop_owns_photos = data.shop_owns_descriptions, data.shop_owns_photos
    row.new_items_hidden, row.push_orders = data.new_items_hidden, data.push_orders
    has_token = bool(row.token_encrypted) or bool(get_settings().moysklad_token)
    if data.enabled and not has_token:
        raise ValidationFailed("erp.token_required", "a token is needed to turn sync on", field="token")
    row.enabled = data.enabled
    row.updated_at = utcnow()
    session.add(row)
    audit.record(session, actor=actor, action="settings.erp", entity="erp_connection", entity_id=PROVIDER,
                 before=None if is_new else before, after={**_audited(row), "token_changed": bool(token or data.clear_token)})
    session.commit()
    return get_connection(session, actor=actor)


def _audited(row: ErpConnection) -> dict:
    return {"enabled": row.enabled, "token_kind": row.token_kind, "store_id": row.store_id,
            "price_type": row.price_type, "organization_id": row.organization_id, "agent_id": row.agent_id,
            "shop_owns_descriptions": row.shop_owns_descriptions, "shop_owns_photos": row.shop_owns_photos,
            "new_items_hidden": row.new_items_hidden, "push_orders": row.push_orders}


def check_connection(session: Session, *, actor: Actor, token: str | None = None) -> ErpDirectory:
    """"Check connection": ask MoySklad for its stores, organisations, price types and counterparties
    with the token typed (or the stored one). A refusal is a clear error, nothing is saved."""
    require(actor, Perm.settings_manage)
    conn = effective(session)
    session.rollback()  # no transaction held open while MoySklad answers
    if token and token.strip():
        conn = conn.model_copy(update={"token": token.strip()})
    port = port_for(conn)
    if port is None:
        raise DomainError("erp.token_required", "no token")
    try:
        return port.directory()
    except ProviderAuthError as exc:
        raise DomainError("erp.auth_failed", str(exc)) from exc
    except IntegrationError as exc:
        raise DomainError("erp.unavailable", str(exc)) from exc
