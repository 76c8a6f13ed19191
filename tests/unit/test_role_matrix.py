"""The role matrix from PRODUCT.md, as the services see it."""
import pytest

from smo_app.models.staff import Role
from smo_app.services.core.actor import Actor
from smo_app.services.core.permissions import Perm, can


def _actor(role):
    return Actor.staff(1, role)


@pytest.mark.parametrize("role, allowed, denied", [
    (Role.owner, list(Perm), []),
    (Role.admin, [Perm.staff_manage, Perm.audit_view, Perm.orders_manage, Perm.pos_sell, Perm.analytics_view],
     [Perm.settings_manage, Perm.catalog_delete, Perm.catalog_rename]),
    (Role.manager, [Perm.orders_manage, Perm.customers_manage, Perm.stock_manage, Perm.catalog_edit, Perm.broadcasts_manage, Perm.support_manage],
     [Perm.settings_manage, Perm.staff_manage, Perm.catalog_delete, Perm.catalog_rename, Perm.pos_access, Perm.audit_view]),
    (Role.seller, [Perm.pos_access, Perm.pos_sell, Perm.customers_view],
     [Perm.backoffice_access, Perm.orders_manage, Perm.stock_manage, Perm.staff_manage, Perm.settings_manage, Perm.catalog_edit]),
])
def test_each_role_may_do_what_the_matrix_says_and_nothing_above(role, allowed, denied):
    for perm in allowed:
        assert can(_actor(role), perm), f"{role} should have {perm}"
    for perm in denied:
        assert not can(_actor(role), perm), f"{role} must not have {perm}"


def test_customers_and_anonymous_hold_no_staff_permission():
    for actor in (Actor.customer(1), Actor.anonymous()):
        assert not any(can(actor, p) for p in Perm)


def test_system_actor_runs_jobs_with_every_permission():
    assert all(can(Actor.system(), p) for p in Perm)
