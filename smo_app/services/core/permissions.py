"""The role matrix (PRODUCT.md "Roles") as data, and the one check every service calls."""
from __future__ import annotations

from enum import StrEnum

from smo_app.models.staff import Role
from smo_app.services.core.actor import Actor, own_customer_id
from smo_app.services.core.errors import PermissionDenied


class Perm(StrEnum):
    settings_manage = "settings.manage"  # global settings, testers reset, backups
    staff_manage = "staff.manage"  # create/deactivate/role/PIN (admins: not owners/admins)
    audit_view = "audit.view"
    orders_view = "orders.view"
    orders_manage = "orders.manage"  # status moves, cancel, message customer, B2B entry
    catalog_edit = "catalog.edit"  # create/edit products and categories, prices, discounts
    catalog_rename = "catalog.rename"  # owner-only (CA1)
    catalog_delete = "catalog.delete"  # owner-only (CA1)
    stock_manage = "stock.manage"  # supplies, write-offs, counts, edits
    customers_view = "customers.view"
    customers_manage = "customers.manage"  # bonuses, personal discount, notes, wholesale approval
    promotions_manage = "promotions.manage"  # promo codes, certificates, tracking links, wheel
    broadcasts_manage = "broadcasts.manage"
    support_manage = "support.manage"
    bookings_manage = "bookings.manage"
    analytics_view = "analytics.view"  # summary, revenue, P&L, ABC, stock valuation
    analytics_manual = "analytics.manual"  # owner-only: add and delete manual revenue entries (AN5)
    pos_sell = "pos.sell"  # shifts, sales, returns within policy, customer lookup
    pos_approve = "pos.approve"  # approve above-policy discounts (PO5)
    dead_letters_view = "dead_letters.view"  # failed provider events and calls (PA3)
    dead_letters_manage = "dead_letters.manage"  # resolve them: dismiss with a reason, apply, refund
    payments_view = "payments.view"  # payments, their dead letters and the reconciliation log (PA3)
    payments_manage = "payments.manage"  # resolve payment dead letters, confirm manual transfers, run a reconciliation
    payments_refund = "payments.refund"  # refunds, full or partial (PA4)
    erp_sync = "erp.sync"  # the ERP sync panel: "sync now", runs, conflicts (IN3)
    shipments_manage = "shipments.manage"  # carrier waybills: create again, print (IN1)
    backoffice_access = "backoffice.access"
    pos_access = "pos.access"


_MANAGER = {
    Perm.backoffice_access,
    Perm.orders_view,
    Perm.orders_manage,
    Perm.catalog_edit,
    Perm.stock_manage,
    Perm.customers_view,
    Perm.customers_manage,
    Perm.promotions_manage,
    Perm.broadcasts_manage,
    Perm.support_manage,
    Perm.bookings_manage,
    Perm.pos_approve,
    Perm.dead_letters_view,
    Perm.payments_view,
    Perm.shipments_manage,
}
_SELLER = {Perm.pos_access, Perm.pos_sell, Perm.customers_view}
_ADMIN = _MANAGER | _SELLER | {Perm.staff_manage, Perm.audit_view, Perm.analytics_view, Perm.dead_letters_manage,
                                 Perm.payments_manage, Perm.payments_refund, Perm.erp_sync}
_OWNER = set(Perm)

ROLE_PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.owner: frozenset(_OWNER),
    Role.admin: frozenset(_ADMIN),
    Role.manager: frozenset(_MANAGER),
    Role.seller: frozenset(_SELLER),
}

# Which roles a staff manager of each role may create, change or deactivate.
MANAGEABLE_ROLES: dict[Role, frozenset[Role]] = {
    Role.owner: frozenset(Role),
    Role.admin: frozenset({Role.manager, Role.seller}),
}


def can(actor: Actor, perm: Perm) -> bool:
    """True if ``actor`` holds ``perm``. The system actor (jobs, CLI) may do everything."""
    if actor.is_system:
        return True
    if not actor.is_staff or actor.role is None:
        return False
    if actor.scopes is not None and perm not in actor.scopes:
        return False  # an API token never grants more than its scopes
    return perm in ROLE_PERMISSIONS[actor.role]


def require(actor: Actor, perm: Perm) -> None:
    """Raise PermissionDenied unless ``actor`` holds ``perm``."""
    if not can(actor, perm):
        raise PermissionDenied(perm.value)


def require_staff(actor: Actor) -> None:
    if not (actor.is_staff or actor.is_system):
        raise PermissionDenied("staff")


def ensure_own(actor: Actor, customer_id: int | None = None) -> int:
    """Customers act on their own cart, orders and profile; staff need orders.manage or pos.sell.
    Returns the customer acted on: ``customer_id``, or the calling customer's own when it is None."""
    customer_id = own_customer_id(actor, customer_id)
    if actor.is_system or (actor.is_customer and actor.id == customer_id):
        return customer_id
    if actor.is_staff and (can(actor, Perm.orders_manage) or can(actor, Perm.pos_sell)):
        return customer_id
    require(actor, Perm.orders_manage)
    return customer_id
