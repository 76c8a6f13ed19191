"""Staff management (owner: everyone; admin: managers and sellers). Every change is audited."""
from __future__ import annotations

import re

from sqlmodel import Session, select

from smo_app.models.base import utcnow
from smo_app.models.staff import Role, Staff
from smo_app.services.core import audit
from smo_app.services.core.actor import Actor
from smo_app.services.staff.auth import revoke_all_sessions
from smo_app.services.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from smo_app.services.staff.passwords import hash_secret, verify_secret
from smo_app.services.core.permissions import MANAGEABLE_ROLES, Perm, require
from smo_app.services.core.locks import xact_lock
from smo_app.services.core.unique import unique_as
from smo_app.services.staff.dto import StaffOut
from smo_app.services.core.shop_locale import shop_language

USERNAME_RE = re.compile(r"^[a-z0-9_.-]{3,32}$")
PIN_RE = re.compile(r"^\d{4,6}$")
MIN_PASSWORD = 8


def _check_username(username: str) -> str:
    name = (username or "").strip().lower()
    if not USERNAME_RE.match(name):
        raise ValidationFailed("staff.username_invalid", "username: 3-32 of a-z 0-9 _ . -", field="username")
    return name


def _check_full_name(full_name: str) -> str:
    name = (full_name or "").strip()
    if not 1 <= len(name) <= 128:
        raise ValidationFailed("staff.full_name_invalid", "full name: 1-128 characters", field="full_name")
    return name


def _check_password(password: str) -> str:
    if password is None or len(password) < MIN_PASSWORD or len(password) > 256:
        raise ValidationFailed("staff.password_too_short", "password: at least 8 characters", field="password", min=MIN_PASSWORD)
    return password


def _check_pin(pin: str) -> str:
    pin = (pin or "").strip()
    if not PIN_RE.match(pin):
        raise ValidationFailed("staff.pin_invalid", "PIN: 4-6 digits", field="pin")
    return pin


def _check_role(role: str | Role) -> Role:
    try:
        return Role(role)
    except ValueError as exc:
        raise ValidationFailed("staff.role_invalid", f"unknown role {role!r}", field="role") from exc


def _require_manages(actor: Actor, *roles: Role) -> None:
    require(actor, Perm.staff_manage)
    if actor.is_system:
        return
    allowed = MANAGEABLE_ROLES.get(actor.role, frozenset())
    for role in roles:
        if role not in allowed:
            raise PermissionDenied(f"staff.manage.{role.value}")


def _get(session: Session, staff_id: int) -> Staff:
    staff = session.get(Staff, staff_id)
    if staff is None:
        raise NotFound("staff", staff_id)
    return staff


def _is_last_active_owner(session: Session, staff: Staff) -> bool:
    """True if ``staff`` is the only active owner. Locks the active owner rows (in id order, so two
    requests never deadlock) until the transaction ends: two owners removing each other at the same
    moment run one after the other, and the second sees the first's change (PostgreSQL re-checks
    a locked row's WHERE after the lock is granted; SQLite runs writers one at a time anyway)."""
    owner_ids = session.exec(
        select(Staff.id).where(Staff.role == Role.owner, Staff.is_active).order_by(Staff.id).with_for_update()
    ).all()
    return staff.id in owner_ids and len(owner_ids) <= 1


def list_staff(session: Session, *, actor: Actor) -> list[StaffOut]:
    require(actor, Perm.staff_manage)
    return [StaffOut.of(s) for s in session.exec(select(Staff).order_by(Staff.role, Staff.username)).all()]


def list_pos_sellers(session: Session) -> list[StaffOut]:
    """Who may sign in on the POS tablet (shown as tiles before the PIN pad)."""
    rows = session.exec(
        select(Staff).where(Staff.is_active, Staff.pin_hash.is_not(None), Staff.role.in_([Role.owner, Role.admin, Role.seller])).order_by(Staff.full_name)
    ).all()
    return [StaffOut.of(s) for s in rows]


def create_staff(
    session: Session,
    *,
    actor: Actor,
    username: str,
    full_name: str,
    role: str | Role,
    password: str | None = None,
    pin: str | None = None,
    telegram_id: int | None = None,
    language: str | None = None,
) -> StaffOut:
    """Create a staff account. Sellers need a PIN; backoffice roles need a password. ``language``
    (of their alerts and screens) defaults to the shop's."""
    role = _check_role(role)
    _require_manages(actor, role)
    name = _check_username(username)
    full = _check_full_name(full_name)
    if role == Role.seller and not pin:
        raise ValidationFailed("staff.pin_required", "a seller needs a PIN", field="pin")
    if role != Role.seller and not password:
        raise ValidationFailed("staff.password_required", "this role needs a password", field="password")
    if password is not None and password != "":
        _check_password(password)
    if pin:
        _check_pin(pin)
    if language is None:
        language = shop_language(session)
    if language not in ("ru", "en"):
        raise ValidationFailed("common.language_invalid", "language must be ru or en", field="language")
    if session.exec(select(Staff.id).where(Staff.username == name)).first() is not None:
        raise DomainError("staff.username_taken", f"username {name} is taken", username=name)
    staff = Staff(
        username=name,
        full_name=full,
        role=role.value,
        password_hash=hash_secret(password) if password else None,
        pin_hash=hash_secret(pin) if pin else None,
        telegram_id=telegram_id,
        language=language,
    )
    session.add(staff)
    with unique_as(session, "staff", "username",
                   lambda: DomainError("staff.username_taken", f"username {name} is taken", username=name)), \
            unique_as(session, "staff", "telegram_id", _telegram_taken):
        session.flush()
    audit.record(
        session, actor=actor, action="staff.create", entity="staff", entity_id=staff.id,
        after={"username": name, "full_name": full, "role": role.value, "has_pin": bool(pin)},
    )
    session.commit()
    return StaffOut.of(staff)


def _confirm_owner_change(session: Session, actor: Actor, confirm_password: str | None) -> None:
    """Making someone owner or removing an owner: the acting owner confirms with their own password
    (a job or the command line has none to give and is trusted as it is)."""
    if not actor.is_staff:
        return
    if not confirm_password:
        raise ValidationFailed("staff.owner_confirm_required", "confirm with your password", field="confirm_password")
    me = session.get(Staff, actor.id)
    if me is None or not verify_secret(confirm_password, me.password_hash):
        raise ValidationFailed("staff.owner_confirm_wrong", "wrong password", field="confirm_password")


def change_role(session: Session, *, actor: Actor, staff_id: int, role: str | Role, password: str | None = None,
                pin: str | None = None, confirm_password: str | None = None) -> StaffOut:
    """Give ``staff_id`` another role. A backoffice role needs a password and the till a PIN: when the
    person has none yet, it comes with the change (``password`` / ``pin``, in the same transaction).
    Making someone owner or demoting an owner asks the acting owner's ``confirm_password``."""
    new_role = _check_role(role)
    staff = _get(session, staff_id)
    old_role = Role(staff.role)
    _require_manages(actor, old_role, new_role)
    if actor.id == staff.id and actor.is_staff:
        raise DomainError("staff.cannot_change_own_role", "you cannot change your own role")
    if old_role == new_role:
        return StaffOut.of(staff)
    if Role.owner in (old_role, new_role):
        _confirm_owner_change(session, actor, confirm_password)  # before the owners' lock: hashing is slow
    if old_role == Role.owner and staff.is_active and _is_last_active_owner(session, staff):
        raise DomainError("staff.last_owner", "the shop must keep at least one active owner")
    if new_role == Role.seller and staff.pin_hash is None:
        if not pin:
            raise ValidationFailed("staff.pin_required", "set a PIN before making this person a seller", field="pin")
        staff.pin_hash = hash_secret(_check_pin(pin))
    if new_role != Role.seller and staff.password_hash is None:
        if not password:
            raise ValidationFailed("staff.password_required", "set a password before giving backoffice access",
                                   field="password")
        staff.password_hash = hash_secret(_check_password(password))
    staff.role = new_role.value
    staff.updated_at = utcnow()
    session.add(staff)
    revoke_all_sessions(session, staff_id=staff.id)
    audit.record(session, actor=actor, action="staff.role_change", entity="staff", entity_id=staff.id,
                 before={"role": old_role.value}, after={"role": new_role.value})
    session.commit()
    return StaffOut.of(staff)


def set_active(session: Session, *, actor: Actor, staff_id: int, active: bool,
               confirm_password: str | None = None) -> StaffOut:
    """Deactivate or reactivate ``staff_id``; deactivating an owner asks the acting owner's password."""
    staff = _get(session, staff_id)
    _require_manages(actor, Role(staff.role))
    if actor.id == staff.id and actor.is_staff and not active:
        raise DomainError("staff.cannot_deactivate_self", "you cannot deactivate yourself")
    if staff.is_active == active:
        return StaffOut.of(staff)
    if not active and staff.role == Role.owner:
        _confirm_owner_change(session, actor, confirm_password)
    if not active and staff.role == Role.owner and _is_last_active_owner(session, staff):
        raise DomainError("staff.last_owner", "the shop must keep at least one active owner")
    staff.is_active = active
    staff.updated_at = utcnow()
    session.add(staff)
    if not active:
        revoke_all_sessions(session, staff_id=staff.id)
    audit.record(session, actor=actor, action="staff.activate" if active else "staff.deactivate",
                 entity="staff", entity_id=staff.id, before={"is_active": not active}, after={"is_active": active})
    session.commit()
    return StaffOut.of(staff)


def reset_pin(session: Session, *, actor: Actor, staff_id: int, pin: str) -> StaffOut:
    staff = _get(session, staff_id)
    _require_manages(actor, Role(staff.role))
    staff.pin_hash = hash_secret(_check_pin(pin))
    staff.locked_until = None
    staff.updated_at = utcnow()
    session.add(staff)
    audit.record(session, actor=actor, action="staff.pin_reset", entity="staff", entity_id=staff.id)
    session.commit()
    return StaffOut.of(staff)


def reset_password(session: Session, *, actor: Actor, staff_id: int, password: str) -> StaffOut:
    staff = _get(session, staff_id)
    if not (actor.is_staff and actor.id == staff.id):
        _require_manages(actor, Role(staff.role))
    staff.password_hash = hash_secret(_check_password(password))
    staff.locked_until = None
    staff.updated_at = utcnow()
    session.add(staff)
    revoke_all_sessions(session, staff_id=staff.id)
    audit.record(session, actor=actor, action="staff.password_reset", entity="staff", entity_id=staff.id)
    session.commit()
    return StaffOut.of(staff)


def set_telegram_id(session: Session, *, actor: Actor, staff_id: int, telegram_id: int | None) -> StaffOut:
    """Link the staff member's Telegram account (for alerts and approvals)."""
    staff = _get(session, staff_id)
    if not (actor.is_staff and actor.id == staff.id):
        _require_manages(actor, Role(staff.role))
    if telegram_id is not None and telegram_id <= 0:
        raise ValidationFailed("staff.telegram_id_invalid", "Telegram id must be a positive number", field="telegram_id")
    try:
        assign_telegram_id(session, actor=actor, staff=staff, telegram_id=telegram_id)
    except DomainError:
        session.rollback()
        raise
    session.commit()
    return StaffOut.of(staff)


def _telegram_taken() -> DomainError:
    return DomainError("staff.telegram_taken", "this Telegram account is linked to another staff member")


def assign_telegram_id(session: Session, *, actor: Actor, staff: Staff, telegram_id: int | None,
                       now=None) -> None:
    """Set ``staff``'s Telegram account inside the caller's transaction (audited, no commit).

    One Telegram account belongs to one staff member: an active one holding it refuses the link
    (``staff.telegram_taken``); a deactivated one (a former employee) gives it up, audited. Every
    path that links takes the same per-id lock first, and the partial unique index on
    ``staff.telegram_id`` holds the rule whatever the timing (its refusal is the same error).
    """
    now = now or utcnow()
    if telegram_id is not None:
        xact_lock(session, f"staff.telegram_id:{telegram_id}")
        holders = session.exec(select(Staff).where(Staff.telegram_id == telegram_id, Staff.id != staff.id)
                               .execution_options(populate_existing=True)).all()
        if any(h.is_active for h in holders):
            raise _telegram_taken()
        for former in holders:
            former.telegram_id, former.updated_at = None, now
            session.add(former)
            audit.record(session, actor=actor, action="staff.telegram_unlink", entity="staff", entity_id=former.id,
                         before={"telegram_id": telegram_id}, after={"telegram_id": None})
        session.flush()  # released before it is taken: the unique index sees one holder at a time
    before = staff.telegram_id
    staff.telegram_id, staff.updated_at = telegram_id, now
    session.add(staff)
    with unique_as(session, "staff", "telegram_id", _telegram_taken):
        session.flush()
    audit.record(session, actor=actor, action="staff.telegram_link", entity="staff", entity_id=staff.id,
                 before={"telegram_id": before}, after={"telegram_id": telegram_id})


def create_owner(session: Session, *, username: str, full_name: str, password: str, pin: str | None = None) -> StaffOut:
    """Bootstrap (CLI): create an owner account as the system actor."""
    return create_staff(session, actor=Actor.system("cli"), username=username, full_name=full_name,
                        role=Role.owner, password=password, pin=pin)
