"""The demo shop seeds a believable catalog with stock, promotions and orders, once."""
from sqlmodel import func, select

from smo_app.demo.seed import seed_demo_shop
from smo_app.models.catalog import Category, Product, Variant
from smo_app.models.orders import Order
from tests.demo_support import demo_shop
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


def test_every_demo_product_has_a_photo_the_shop_serves_and_some_suggest_others(sqlite_engine, tmp_path):
    from sqlmodel import Session

    from smo_app.services.catalog import browse
    from smo_app.services.core import ports

    # given the demo shop
    with Session(sqlite_engine, expire_on_commit=False) as session:
        demo_shop(session)
        products = session.exec(select(Product).where(Product.deleted.is_(False))).all()
        # then every product has a photo the image store holds, as a JPEG
        assert products and all(len(p.photos) == 1 for p in products)
        store = ports.images()
        for p in products[:5]:
            assert store.read(p.photos[0])[:3] == b"\xff\xd8\xff"
        # and different kinds of goods look different
        assert len({p.photos[0] for p in products}) == len(products)
        # and the diffuser's card suggests oils to go with it
        diffuser = next(p for p in products if p.name == "Аромадиффузор ультразвуковой")
        names = {p.name for p in session.exec(select(Product).where(Product.id.in_(diffuser.cross_sell))).all()}
        assert names == {"Лаванда", "Апельсин сладкий", "Смесь «Сон»"}
