"""Catalog management: tree, products with variants, hiding, owner-only rename and delete."""
import pytest
from sqlmodel import select

from smo_app.models.audit import AuditEntry
from smo_app.models.staff import Role
from smo_app.services.catalog import products as catalog
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, PermissionDenied, ValidationFailed
from tests.commerce_factories import SYSTEM
from tests.factories import make_staff


def test_variants_parse_from_volume_price_weight():
    out = catalog.parse_variants("10 мл:450:15; 30 мл:1 100,50:40\n100 мл:2990")
    assert [(v.label, v.price_minor, v.weight_g) for v in out] == [
        ("10 мл", 45000, 15), ("30 мл", 110050, 40), ("100 мл", 299000, 0)]


def test_bad_variant_spec_names_the_option():
    with pytest.raises(ValidationFailed) as err:
        catalog.parse_variants("10 мл:450:15; 30 мл:много")
    assert err.value.params["line"] == 2


def test_tree_with_hidden_branch_is_invisible_to_customers_but_not_to_staff(session):
    # given a two-level tree with a hidden subcategory holding a product
    oils = catalog.create_category(session, actor=SYSTEM, name="Масла")
    secret = catalog.create_category(session, actor=SYSTEM, name="Скоро", parent_id=oils.id, hidden=True)
    catalog.create_category(session, actor=SYSTEM, name="Эфирные", parent_id=oils.id)
    catalog.create_product(session, actor=SYSTEM, name="Лаванда", category_id=oils.id, variants="10 мл:450:15")
    catalog.create_product(session, actor=SYSTEM, name="Новинка", category_id=secret.id, base_price_minor=1000)
    with pytest.raises(ValidationFailed):
        catalog.create_category(session, actor=SYSTEM, name="Третий", parent_id=secret.id)
    # when a customer and a manager look
    shopper = catalog.list_catalog(session, actor=Actor.customer(1))
    staff = catalog.list_catalog(session, actor=SYSTEM)
    # then the customer sees one child and one product; staff see everything
    assert [c.name for c in shopper.categories[0].children] == ["Эфирные"]
    assert [p.name for p in shopper.products] == ["Лаванда"]
    assert len(staff.categories[0].children) == 2 and len(staff.products) == 2


def test_product_without_options_gets_one_default_variant(session):
    p = catalog.create_product(session, actor=SYSTEM, name="Свеча", base_price_minor=89000, unit="шт")
    assert len(p.variants) == 1 and p.variants[0].is_default and p.variants[0].price_minor == 89000


def test_manager_edits_price_and_discount_audited_but_cannot_rename_or_delete(session):
    manager = make_staff(session, Role.manager).actor()
    p = catalog.create_product(session, actor=SYSTEM, name="Мыло", base_price_minor=30000)
    catalog.update_product(session, actor=manager, product_id=p.id, base_price_minor=35000, discount_pct=10,
                           cross_sell=[1, 2], hidden=False)
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "catalog.product_update")).one()
    assert entry.before == {"base_price_minor": 30000, "discount_pct": 0, "hidden": False}
    with pytest.raises(PermissionDenied):
        catalog.update_product(session, actor=manager, product_id=p.id, name="Мыло ручной работы")
    with pytest.raises(PermissionDenied):
        catalog.delete_product(session, actor=manager, product_id=p.id)
    owner = make_staff(session, Role.owner).actor()
    assert catalog.update_product(session, actor=owner, product_id=p.id, name="Мыло ручной работы").name == "Мыло ручной работы"
    catalog.delete_product(session, actor=owner, product_id=p.id)
    assert catalog.list_catalog(session, actor=SYSTEM).products == []


def test_a_price_out_of_bounds_is_refused_with_the_bound_named(session):
    from smo_app.i18n import error_text

    # a mistyped 99 999 999 999 999 ₽ is "too large, at most 100 000 000 ₽", not "cannot be negative"
    with pytest.raises(ValidationFailed) as err:
        catalog.create_product(session, actor=SYSTEM, name="Свеча", base_price_minor=99_999_999_999_999_00)
    assert error_text(err.value, "ru") == "Слишком большая цена — не больше 100\u00a0000\u00a0000\u00a0₽."
    p = catalog.create_product(session, actor=SYSTEM, name="Свеча", base_price_minor=100)
    for change in (lambda: catalog.update_product(session, actor=SYSTEM, product_id=p.id, base_price_minor=10**13),
                   lambda: catalog.update_variant(session, actor=SYSTEM, variant_id=p.variants[0].id, price_minor=10**13)):
        with pytest.raises(ValidationFailed) as err:
            change()
        assert err.value.code == "catalog.price_too_large"
    with pytest.raises(ValidationFailed) as err:
        catalog.update_product(session, actor=SYSTEM, product_id=p.id, base_price_minor=-1)
    assert err.value.code == "catalog.price_invalid"


def test_category_with_products_cannot_be_deleted(session):
    cat = catalog.create_category(session, actor=SYSTEM, name="Свечи")
    catalog.create_product(session, actor=SYSTEM, name="Свеча", category_id=cat.id, base_price_minor=100)
    with pytest.raises(DomainError) as err:
        catalog.delete_category(session, actor=SYSTEM, category_id=cat.id)
    assert err.value.code == "catalog.category_not_empty"


def test_variant_price_change_is_audited(session):
    p = catalog.create_product(session, actor=SYSTEM, name="Масло", variants="10 мл:450:15")
    catalog.update_variant(session, actor=SYSTEM, variant_id=p.variants[0].id, price_minor=49000,
                           wholesale_price_minor=30000, wholesale_min_qty=10)
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "catalog.price_change")).one()
    assert entry.after["price_minor"] == 49000 and entry.before["price_minor"] == 45000
