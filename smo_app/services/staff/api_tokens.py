"""Staff API tokens (IN7): an owner or admin issues a named token that acts as a staff member they
may manage (or themself) with some scopes and an expiry. The secret is shown once; we keep its
SHA-256. A token's actor may do only what both the staff member's role and the token's scopes
allow (``Actor.scopes``, checked by :func:`~smo_app.services.core.permissions.can`); the audit names
it "<staff> via API token <name>"."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import delete, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from smo_app.models.api_tokens import ApiIdempotency, ApiToken
from smo_app.models.base import utcnow
from smo_app.models.staff import Role, Staff
from smo_app.services.core import audit
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import NotFound, PermissionDenied, ValidationFailed
from smo_app.services.core.form_input import whole_number
from smo_app.services.core.permissions import MANAGEABLE_ROLES, ROLE_PERMISSIONS, Perm, require

# A scope → the permissions a token with it may use. Reading stock needs stock.manage on the screens
# too (the warehouse is one area); the API's routes also demand the scope they name, so a
# ``stock:read`` token still cannot post a write-off.
SCOPES: dict[str, frozenset[Perm]] = {
    "orders:read": frozenset({Perm.orders_view}),
    "orders:write": frozenset({Perm.orders_view, Perm.orders_manage}),
    "stock:read": frozenset({Perm.stock_manage}),
    "stock:write": frozenset({Perm.stock_manage}),
    "catalog:read": frozenset({Perm.catalog_edit}),
    "catalog:write": frozenset({Perm.catalog_edit}),
    "customers:read": frozenset({Perm.customers_view}),
    "customers:write": frozenset({Perm.customers_view, Perm.customers_manage}),
    "analytics:read": frozenset({Perm.analytics_view}),
}
ALWAYS = frozenset({Perm.backoffice_access})
MAX_DAYS = 366
SECRET_PREFIX = "smo_"
TOUCH_EVERY = timedelta(minutes=1)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def scope_perms(scopes: set[str] | frozenset[str]) -> frozenset[str]:
    """The permission values a token with ``scopes`` may use (before the staff role's own limits)."""
    perms: set[Perm] = set(ALWAYS)
    for scope in scopes:
        perms |= SCOPES.get(scope, frozenset())
    return frozenset(p.value for p in perms)


def covers(scopes: tuple[str, ...] | list[str], needed: str) -> bool:
    """Whether a token with ``scopes`` may call a route needing ``needed`` (``x:write`` includes ``x:read``)."""
    return needed in scopes or (needed.endswith(":read") and needed.replace(":read", ":write") in scopes)


def role_scopes(role: Role | str) -> list[str]:
    """The scopes a staff member of ``role`` may be given (all their permissions held)."""
    held = ROLE_PERMISSIONS[Role(role)]
    return [s for s, perms in SCOPES.items() if perms <= held]


class TokenRow(BaseModel):
    id: int
    name: str
    prefix: str
    staff_id: int
    staff_name: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    active: bool


class IssuedToken(BaseModel):
    """A new token: ``secret`` is shown once and never again."""
    token: TokenRow
    secret: str


class TokenForm(BaseModel):
    """What the token screen offers this manager: whom a token may act as (themself first), and the scopes."""
    staff: list[tuple[int, str, str]]  # (id, full name, role)
    scopes: list[str]


def _row(token: ApiToken, staff_name: str, now: datetime) -> TokenRow:
    return TokenRow(id=token.id, name=token.name, prefix=token.prefix, staff_id=token.staff_id, staff_name=staff_name,
                    scopes=[s for s in token.scopes.split(",") if s], created_at=token.created_at,
                    expires_at=token.expires_at, last_used_at=token.last_used_at, revoked_at=token.revoked_at,
                    active=token.revoked_at is None and token.expires_at > now)


def _may_act_as(actor: Actor, staff: Staff) -> bool:
    return staff.id == actor.id or Role(staff.role) in MANAGEABLE_ROLES.get(actor.role, frozenset())


def token_form(session: Session, *, actor: Actor) -> TokenForm:
    require(actor, Perm.staff_manage)
    people = session.exec(select(Staff).where(Staff.is_active.is_(True)).order_by(Staff.full_name)).all()
    people = sorted((s for s in people if _may_act_as(actor, s)), key=lambda s: s.id != actor.id)  # themself first
    return TokenForm(staff=[(s.id, s.full_name, s.role) for s in people],
                     scopes=list(SCOPES))


def list_tokens(session: Session, *, actor: Actor, now: datetime | None = None) -> list[TokenRow]:
    """Tokens acting as someone this manager may manage (or themself), newest first."""
    require(actor, Perm.staff_manage)
    now = now or utcnow()
    rows = session.exec(select(ApiToken, Staff).join(Staff, Staff.id == ApiToken.staff_id)
                        .order_by(ApiToken.id.desc())).all()
    return [_row(tok, staff.full_name, now) for tok, staff in rows if _may_act_as(actor, staff)]


def create_token(session: Session, *, actor: Actor, name: str, staff_id: int | str, scopes: list[str],
                 days: int | str = 90, now: datetime | None = None) -> IssuedToken:
    """Issue a token; commits. Refuses an empty name or one an unrevoked token has, no or unknown scopes, a scope the staff
    member's role lacks, someone this manager may not manage, and an expiry outside 1…366 days."""
    require(actor, Perm.staff_manage)
    now = now or utcnow()
    name = " ".join(str(name or "").split())
    if not name or len(name) > 64:
        raise ValidationFailed("api_tokens.name_invalid", "name 1-64 characters", field="name")
    life = whole_number(days, "api_tokens.days_invalid", field="days", minimum=1)
    if life > MAX_DAYS:
        raise ValidationFailed("api_tokens.days_invalid", "expiry 1-366 days", field="days")
    chosen = sorted(set(scopes or []))
    if not chosen:
        raise ValidationFailed("api_tokens.scopes_required", "choose at least one scope", field="scopes")
    unknown = [s for s in chosen if s not in SCOPES]
    if unknown:
        raise ValidationFailed("api_tokens.scope_unknown", "unknown scope", field="scopes", scope=unknown[0])
    staff = session.get(Staff, int(staff_id)) if str(staff_id).strip().isdigit() else None
    if staff is None or not staff.is_active:
        raise NotFound("staff", staff_id)
    if not _may_act_as(actor, staff):
        raise PermissionDenied(Perm.staff_manage.value)
    lacking = [s for s in chosen if s not in role_scopes(staff.role)]
    if lacking:
        raise ValidationFailed("api_tokens.scope_not_in_role", "the role lacks this scope", field="scopes",
                               scope=lacking[0], name=staff.full_name)
    taken = ValidationFailed("api_tokens.name_taken", "an unrevoked token has this name", field="name", name=name)
    if session.exec(select(ApiToken.id).where(ApiToken.name == name, ApiToken.revoked_at.is_(None))).first():
        raise taken
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, token_hash=hash_secret(secret), prefix=secret[:10], staff_id=staff.id,
                     created_by_id=actor.id, scopes=",".join(chosen), created_at=now,
                     expires_at=now + timedelta(days=life))
    session.add(token)
    try:
        session.flush()  # the unique index on unrevoked names decides between two at once
    except IntegrityError:
        session.rollback()
        raise taken from None
    audit.record(session, actor=actor, action="api_token.create", entity="api_token", entity_id=token.id,
                 after={"name": name, "staff_id": staff.id, "scopes": chosen, "expires_at": token.expires_at})
    session.commit()
    return IssuedToken(token=_row(token, staff.full_name, now), secret=secret)


def revoke_token(session: Session, *, actor: Actor, token_id: int, now: datetime | None = None) -> TokenRow:
    """Revoke a token at once (a conditional UPDATE: of two revocations one audits); commits."""
    require(actor, Perm.staff_manage)
    now = now or utcnow()
    token = session.get(ApiToken, int(token_id))
    staff = session.get(Staff, token.staff_id) if token else None
    if token is None or staff is None or not _may_act_as(actor, staff):
        raise NotFound("api_token", token_id)
    done = session.execute(update(ApiToken).where(ApiToken.id == token.id, ApiToken.revoked_at.is_(None))
                           .values(revoked_at=now).execution_options(synchronize_session=False)).rowcount
    if done:
        audit.record(session, actor=actor, action="api_token.revoke", entity="api_token", entity_id=token.id,
                     before={"name": token.name})
    session.commit()
    session.refresh(token)
    return _row(token, staff.full_name, now)


@dataclass(frozen=True)
class TokenUse:
    """A live token resolved: who acts, with which permissions, and whether ``last_used_at`` is due."""
    token_id: int
    name: str
    scopes: tuple[str, ...]
    actor: Actor
    touch_due: bool


def peek_token(session: Session, *, secret: str, now: datetime | None = None) -> TokenUse | None:
    """The token behind ``secret`` if it is live and its staff member active; None otherwise. Reads only."""
    if not secret or not secret.startswith(SECRET_PREFIX):
        return None
    now = now or utcnow()
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_secret(secret))).first()
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        return None
    staff = session.get(Staff, token.staff_id)
    if staff is None or not staff.is_active:
        return None
    scopes = [s for s in token.scopes.split(",") if s]
    actor = Actor(kind="staff", id=staff.id, role=Role(staff.role), name=f"{staff.full_name} via API token {token.name}",
                  scopes=scope_perms(set(scopes)))
    due = token.last_used_at is None or token.last_used_at <= now - TOUCH_EVERY
    return TokenUse(token_id=token.id, name=token.name, scopes=tuple(scopes), actor=actor, touch_due=due)


def touch_token(session: Session, *, secret: str, now: datetime | None = None) -> None:
    """Record the token's use (at most once a minute; one conditional UPDATE; commits)."""
    now = now or utcnow()
    session.execute(update(ApiToken).where(ApiToken.token_hash == hash_secret(secret),
                                           or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - TOUCH_EVERY))
                    .values(last_used_at=now).execution_options(synchronize_session=False))
    session.commit()


# --------------------------------------------------------------------------- idempotency keys

class StoredAnswer(BaseModel):
    status_code: int
    body: str


def _live_token_id(session: Session, secret: str, now: datetime) -> int | None:
    return session.exec(select(ApiToken.id).where(ApiToken.token_hash == hash_secret(secret),
                                                  ApiToken.revoked_at.is_(None), ApiToken.expires_at > now)).first()


IN_PROGRESS = 0  # the status of a key whose first request is still running
KEEP_KEYS = timedelta(days=7)  # a key older than this is forgotten (its token's next POST prunes it)


def claim_key(session: Session, *, secret: str, key: str, route: str, now: datetime | None = None) -> StoredAnswer | None:
    """Take ``key`` for this token's POST (None: run it, then :func:`remember_answer`), or the answer
    its first request got. The unique (token, key) row decides between two requests at once: the
    second is refused (``api.idempotency_in_progress``) while the first runs. A key reused on
    another route is refused (``api.idempotency_key_reused``). Commits."""
    now = now or utcnow()
    token_id = _live_token_id(session, secret, now)
    if token_id is None:
        return None  # the call itself will be refused as signed out
    session.execute(delete(ApiIdempotency).where(ApiIdempotency.token_id == token_id,
                                                 ApiIdempotency.created_at < now - KEEP_KEYS))
    try:
        session.add(ApiIdempotency(token_id=token_id, key=key, route=route[:200], status_code=IN_PROGRESS, body="",
                                   created_at=now))
        session.commit()
        return None
    except IntegrityError:
        session.rollback()
    row = session.exec(select(ApiIdempotency).where(ApiIdempotency.token_id == token_id,
                                                    ApiIdempotency.key == key)).one()
    if row.route != route[:200]:
        raise ValidationFailed("api.idempotency_key_reused", "key used on another route", field="Idempotency-Key")
    if row.status_code == IN_PROGRESS:
        raise ValidationFailed("api.idempotency_in_progress", "the first request with this key is running")
    return StoredAnswer(status_code=row.status_code, body=row.body)


def remember_answer(session: Session, *, secret: str, key: str, status_code: int | None, body: str = "",
                    now: datetime | None = None) -> None:
    """Keep the first answer under the key taken by :func:`claim_key`; ``status_code=None`` (the call
    broke) frees the key for a retry. Commits."""
    token_id = _live_token_id(session, secret, now or utcnow())
    if token_id is None:
        return
    where = (ApiIdempotency.token_id == token_id, ApiIdempotency.key == key, ApiIdempotency.status_code == IN_PROGRESS)
    if status_code is None:
        session.execute(delete(ApiIdempotency).where(*where))
    else:
        session.execute(update(ApiIdempotency).where(*where).values(status_code=status_code, body=body)
                        .execution_options(synchronize_session=False))
    session.commit()
