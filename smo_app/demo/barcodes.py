"""Demo barcodes (CA4): every variant gets an SKU and a valid EAN-13, and the shop sells one product
by weight with a scale item code, so the POS can be tried with a scanner — or by typing the codes
the README prints (:func:`examples`)."""
from __future__ import annotations

from sqlmodel import Session, select

from smo_app.models.catalog import Category, Product, Variant
from smo_app.models.stock import Supplier
from smo_app.services.catalog import products as catalog
from smo_app.services.catalog.barcodes import ean13, scale_code
from smo_app.services.core.actor import Actor
from smo_app.services.stock import supplies

SYSTEM = Actor.system("demo")
COMPANY = "46012345"  # 8 digits of a made-up Russian GS1 company prefix; 4 digits per item, a check digit
WEIGHED = ("Морская соль крупная (на развес)", "Крымская морская соль без добавок, отвешиваем при вас.")
WEIGHED_PRICE_PER_KG = 38000  # 380 ₽ / kg
WEIGHED_PLU = 1
WEIGHED_STOCK_G = 25_000


def seed(session: Session) -> None:
    rows = session.exec(select(Variant, Product).join(Product, Product.id == Variant.product_id)
                        .where(Variant.barcode.is_(None)).order_by(Product.id, Variant.position, Variant.id)).all()
    for n, (variant, product) in enumerate(rows, start=1):
        catalog.update_variant(session, actor=SYSTEM, variant_id=variant.id, barcode=ean13(f"{COMPANY}{n:04d}"),
                               sku=f"AR-{product.id:03d}-{variant.position + 1}")
    if session.exec(select(Variant.id).where(Variant.plu == WEIGHED_PLU)).first() is not None:
        return
    category = session.exec(select(Category).where(Category.name == "Уход за телом")).first() or \
        session.exec(select(Category).where(Category.parent_id.is_not(None))).first()
    salt = catalog.create_product(session, actor=SYSTEM, name=WEIGHED[0], description=WEIGHED[1],
                                  category_id=category.id if category else None, base_price_minor=WEIGHED_PRICE_PER_KG,
                                  unit="кг", position=99)
    vid = salt.variants[0].id
    catalog.update_variant(session, actor=SYSTEM, variant_id=vid, unit="kg", plu=WEIGHED_PLU, sku="AR-SALT-KG",
                           barcode=None)
    supplier_id = session.exec(select(Supplier.id).order_by(Supplier.id)).first() or \
        supplies.create_supplier(session, actor=SYSTEM, name="Соляные копи Крыма").id
    supplies.receive_supply(session, actor=SYSTEM, supplier_id=supplier_id, comment="Соль на развес",
                            items=[{"variant_id": vid, "qty": WEIGHED_STOCK_G, "total_minor": WEIGHED_STOCK_G * 15}])


def examples() -> dict[str, str]:
    """Codes to type at the demo POS: a piece's EAN-13, the salt's weight label (0.750 kg) and its
    price label (the scale priced 500 g at 190 ₽)."""
    return {"piece": ean13(f"{COMPANY}0001"), "weight_750g": scale_code(22, WEIGHED_PLU, 750),
            "price_190rub": scale_code(23, WEIGHED_PLU, 19000)}
