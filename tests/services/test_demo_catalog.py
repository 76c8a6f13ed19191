"""The demo shop seeds a believable catalog with stock, promotions and orders, once."""
from sqlmodel import func, select

from smo_app.demo.seed import seed_demo_shop
from smo_app.models.catalog import Category, Product, Variant
from smo_app.models.orders import Order
from smo_app.models.promotions import GiftCertificate, PromoCode
from smo_app.models.stock import StockMove, Supplier
from smo_app.services.customers import loyalty


def test_demo_seed_builds_the_shop_and_is_idempotent(sqlite_engine):
    from sqlmodel import Session

    with Session(sqlite_engine, expire_on_commit=False) as session:
        assert seed_demo_shop(session) is True
        assert session.exec(select(func.count(Product.id))).one() >= 40
        assert session.exec(select(func.count(Category.id)).where(Category.parent_id.is_not(None))).one() >= 6
        assert session.exec(select(func.count(Supplier.id))).one() == 2
        assert session.exec(select(func.count(PromoCode.id))).one() == 3
        assert session.exec(select(func.count(GiftCertificate.id))).one() == 1
        statuses = set(session.exec(select(Order.status)).all())
        assert {"new", "paid", "completed", "cancelled"} <= statuses
        # the ledger explains every variant's quantity
        for variant in session.exec(select(Variant)).all():
            moves = session.exec(select(StockMove.delta).where(StockMove.variant_id == variant.id)).all()
            assert sum(moves) == variant.qty
        from smo_app.models.customer import Customer
        for customer in session.exec(select(Customer)).all():
            assert customer.bonus_balance_minor == loyalty.ledger_sum(session, customer.id) >= 0
        # paying by transfer shows where the money goes
        from smo_app.services.payments.setup import transfer_for_order
        assert transfer_for_order(session, 7).comment == "Заказ №7"
        assert seed_demo_shop(session) is False
