"""Staff management and the role matrix as the services enforce it."""
import pytest
from sqlmodel import select

from smo_app.models.audit import AuditEntry
from smo_app.models.staff import Role, Staff
from smo_app.services.staff import accounts as staff_service
from smo_app.services.core.errors import DomainError, PermissionDenied, ValidationFailed
from tests.factories import PASSWORD, make_staff


def test_owner_creates_a_seller_with_pin_and_it_is_audited(session):
    owner = make_staff(session, Role.owner)
    seller = staff_service.create_staff(session, actor=owner.actor(), username="Vera", full_name="Вера", role="seller", pin="1357")
    assert seller.username == "vera" and seller.has_pin and not seller.has_password
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "staff.create", AuditEntry.entity_id == str(seller.id))).one()
    assert entry.actor_id == owner.id and entry.after["role"] == "seller"


@pytest.mark.parametrize("kwargs, code", [
    ({"username": "x", "role": "seller", "pin": "1234"}, "staff.username_invalid"),
    ({"username": "valid", "role": "seller", "pin": "12"}, "staff.pin_invalid"),
    ({"username": "valid", "role": "seller"}, "staff.pin_required"),
    ({"username": "valid", "role": "manager", "password": "short"}, "staff.password_too_short"),
    ({"username": "valid", "role": "wizard", "password": "long-enough"}, "staff.role_invalid"),
])
def test_bad_input_is_refused_and_changes_nothing(session, kwargs, code):
    owner = make_staff(session, Role.owner)
    before = len(session.exec(select(Staff)).all())
    with pytest.raises(ValidationFailed) as err:
        staff_service.create_staff(session, actor=owner.actor(), full_name="Name", **kwargs)
    assert err.value.code == code
    session.rollback()
    assert len(session.exec(select(Staff)).all()) == before


def test_username_must_be_unique(session):
    owner = make_staff(session, Role.owner, username="own")
    with pytest.raises(DomainError) as err:
        staff_service.create_staff(session, actor=owner.actor(), username="OWN", full_name="Dup", role="manager", password="long-enough")
    assert err.value.code == "staff.username_taken"


def test_admin_manages_sellers_but_not_owners_or_admins(session):
    owner = make_staff(session, Role.owner)
    admin = make_staff(session, Role.admin)
    seller = staff_service.create_staff(session, actor=admin.actor(), username="sel1", full_name="S", role="seller", pin="1111")
    assert seller.role == Role.seller
    with pytest.raises(PermissionDenied):
        staff_service.create_staff(session, actor=admin.actor(), username="own2", full_name="O", role="owner", password="long-enough")
    with pytest.raises(PermissionDenied):
        staff_service.set_active(session, actor=admin.actor(), staff_id=owner.id, active=False)
    with pytest.raises(PermissionDenied):
        staff_service.change_role(session, actor=admin.actor(), staff_id=seller.id, role="admin")


@pytest.mark.parametrize("role", [Role.manager, Role.seller])
def test_managers_and_sellers_cannot_manage_staff(session, role):
    make_staff(session, Role.owner)
    someone = make_staff(session, role)
    with pytest.raises(PermissionDenied):
        staff_service.list_staff(session, actor=someone.actor())
    with pytest.raises(PermissionDenied):
        staff_service.create_staff(session, actor=someone.actor(), username="newbie", full_name="N", role="seller", pin="1234")


def test_role_change_is_audited_with_before_and_after(session):
    owner = make_staff(session, Role.owner)
    manager = make_staff(session, Role.manager)
    staff_service.change_role(session, actor=owner.actor(), staff_id=manager.id, role="admin")
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "staff.role_change")).one()
    assert entry.before == {"role": "manager"} and entry.after == {"role": "admin"}


def test_last_owner_cannot_be_demoted_or_deactivated(session):
    from smo_app.services.core.actor import Actor

    # given two owners, one of whom is then deactivated
    owner = make_staff(session, Role.owner)
    other = make_staff(session, Role.owner)
    staff_service.set_active(session, actor=owner.actor(), staff_id=other.id, active=False, confirm_password=PASSWORD)
    system = Actor.system("cli")
    # when someone tries to demote or deactivate the one active owner left
    for attempt in (lambda: staff_service.change_role(session, actor=system, staff_id=owner.id, role="admin"),
                    lambda: staff_service.set_active(session, actor=system, staff_id=owner.id, active=False)):
        with pytest.raises(DomainError) as err:
            attempt()
        # then it is refused and she stays an active owner
        assert err.value.code == "staff.last_owner"
    session.expire_all()
    kept = session.get(Staff, owner.id)
    assert kept.role == "owner" and kept.is_active
    # and nobody changes their own role
    with pytest.raises(DomainError) as err:
        staff_service.change_role(session, actor=owner.actor(), staff_id=owner.id, role="admin")
    assert err.value.code == "staff.cannot_change_own_role"


def test_reset_pin_lets_the_seller_in_with_the_new_pin(session):
    from smo_app.services.staff import auth

    owner = make_staff(session, Role.owner)
    seller = make_staff(session, Role.seller, username="pinny")
    staff_service.reset_pin(session, actor=owner.actor(), staff_id=seller.id, pin="9999")
    assert auth.sign_in_pin(session, username="pinny", pin="9999").staff.id == seller.id
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "staff.pin_reset")).first() is not None


def test_a_seller_is_promoted_with_a_password_given_in_the_same_change(session):
    from smo_app.services.staff import auth

    owner = make_staff(session, Role.owner)
    seller = make_staff(session, Role.seller, username="petr")
    # when the owner makes the seller (who has only a PIN) a manager without a password, it is refused
    with pytest.raises(ValidationFailed) as err:
        staff_service.change_role(session, actor=owner.actor(), staff_id=seller.id, role="manager")
    assert (err.value.code, err.value.params["field"]) == ("staff.password_required", "password")
    # when the password comes with the change
    out = staff_service.change_role(session, actor=owner.actor(), staff_id=seller.id, role="manager",
                                    password="a-long-password-1")
    # then Petr is a manager and signs in to the backoffice with it
    assert out.role == Role.manager
    assert auth.sign_in_password(session, username="petr", password="a-long-password-1").staff.id == seller.id
    # and a manager without a PIN becomes a seller with the PIN given in the same change
    clerk = make_staff(session, Role.manager, pin=None)
    with pytest.raises(ValidationFailed) as err:
        staff_service.change_role(session, actor=owner.actor(), staff_id=clerk.id, role="seller")
    assert err.value.code == "staff.pin_required"
    assert staff_service.change_role(session, actor=owner.actor(), staff_id=clerk.id, role="seller", pin="1357").role == Role.seller


def test_making_or_removing_an_owner_asks_the_acting_owners_password(session):
    owner = make_staff(session, Role.owner)
    admin = make_staff(session, Role.admin)
    # when the owner makes the admin an owner without confirming, or with a wrong password
    for given, code in ((None, "staff.owner_confirm_required"), ("not-mine-123", "staff.owner_confirm_wrong")):
        with pytest.raises(ValidationFailed) as err:
            staff_service.change_role(session, actor=owner.actor(), staff_id=admin.id, role="owner", confirm_password=given)
        # then it is refused and nothing changed
        assert err.value.code == code
        session.expire_all()
        assert session.get(Staff, admin.id).role == "admin"
    # with her own password it is done, and audited
    assert staff_service.change_role(session, actor=owner.actor(), staff_id=admin.id, role="owner",
                                     confirm_password=PASSWORD).role == Role.owner
    # removing an owner — demoting or deactivating — asks the same
    with pytest.raises(ValidationFailed) as err:
        staff_service.set_active(session, actor=owner.actor(), staff_id=admin.id, active=False)
    assert err.value.code == "staff.owner_confirm_required"
    with pytest.raises(ValidationFailed):
        staff_service.change_role(session, actor=owner.actor(), staff_id=admin.id, role="manager")
    assert staff_service.set_active(session, actor=owner.actor(), staff_id=admin.id, active=False,
                                    confirm_password=PASSWORD).is_active is False
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "staff.role_change")).one().after == {"role": "owner"}
