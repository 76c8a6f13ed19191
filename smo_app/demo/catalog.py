"""Demo catalog (SMO_DEMO=1): an aroma shop — oils, candles, cosmetics — with stock bought through
supplies (so costs and the ledger exist), promo codes, a gift certificate and a few orders.

Called by smo_app.demo.seed after staff and customers exist; everything goes through services.
"""
from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from smo_app.models.base import utcnow
from smo_app.models.catalog import Product, Variant
from smo_app.models.customer import Customer
from smo_app.services.sales import carts
from smo_app.services.catalog import products as catalog
from smo_app.services.sales import orders
from smo_app.services.sales import promotions
from smo_app.services.stock import supplies
from smo_app.services.core.actor import Actor

SYSTEM = Actor.system("demo")

# category → subcategory → [(name, description, variants "label:price:weight; …" or price, discount %)]
CATALOG: dict[str, dict[str, list[tuple[str, str, str, int]]]] = {
    "Ароматерапия": {
        "Эфирные масла": [
            ("Лаванда", "Успокаивает, помогает уснуть. 100% натуральное масло из Крыма.", "10 мл:450:25; 30 мл:1100:60", 0),
            ("Чайное дерево", "Антисептик для кожи и воздуха. Австралия.", "10 мл:390:25; 30 мл:990:60", 0),
            ("Эвкалипт", "Свежесть и лёгкое дыхание в сезон простуд.", "10 мл:350:25; 30 мл:890:60", 10),
            ("Апельсин сладкий", "Бодрящий цитрус для хорошего настроения.", "10 мл:290:25; 30 мл:750:60", 0),
            ("Мята перечная", "Ясная голова и прохлада.", "10 мл:380:25; 30 мл:950:60", 0),
            ("Розмарин", "Концентрация и энергия; для волос.", "10 мл:420:25; 30 мл:1050:60", 0),
            ("Иланг-иланг", "Цветочный, чувственный, расслабляющий.", "10 мл:690:25; 30 мл:1790:60", 0),
            ("Бергамот", "Светлый цитрус с пряной ноткой.", "10 мл:520:25; 30 мл:1350:60", 15),
            ("Пачули", "Глубокий землистый аромат.", "10 мл:610:25; 30 мл:1590:60", 0),
            ("Грейпфрут", "Лёгкость и тонус.", "10 мл:340:25; 30 мл:870:60", 0),
            ("Кедр атласский", "Тёплое дерево, спокойствие.", "10 мл:480:25; 30 мл:1250:60", 0),
            ("Сандал", "Медитативный, благородный аромат.", "5 мл:1490:20; 10 мл:2690:25", 0),
        ],
        "Смеси и диффузоры": [
            ("Смесь «Сон»", "Лаванда, ромашка и кедр для спокойной ночи.", "10 мл:590:25", 0),
            ("Смесь «Энергия»", "Цитрусы и мята для бодрого утра.", "10 мл:590:25", 0),
            ("Смесь «Дыши»", "Эвкалипт, пихта и чайное дерево.", "10 мл:590:25", 0),
            ("Аромадиффузор ультразвуковой", "Бесшумный, с подсветкой, 300 мл.", "2490", 0),
            ("Аромалампа керамическая", "Ручная работа, под чайную свечу.", "890", 0),
            ("Аромакулон", "Глиняный кулон для любимого масла.", "450", 0),
            ("Ротанговые палочки", "Набор из 10 палочек для диффузора.", "190", 0),
        ],
    },
    "Свечи": {
        "Соевые свечи": [
            ("Свеча «Лавандовое поле»", "Соевый воск, хлопковый фитиль, 40 часов горения.", "150 мл:890:320; 250 мл:1390:480", 0),
            ("Свеча «Хвойный лес»", "Пихта, кедр и немного дыма.", "150 мл:890:320; 250 мл:1390:480", 0),
            ("Свеча «Ваниль и табак»", "Тёплый вечерний аромат.", "150 мл:950:320; 250 мл:1490:480", 0),
            ("Свеча «Морской бриз»", "Соль, озон и цитрус.", "150 мл:890:320; 250 мл:1390:480", 10),
            ("Свеча «Кофе с корицей»", "Уют кофейни дома.", "150 мл:890:320; 250 мл:1390:480", 0),
            ("Свеча «Белый чай»", "Чистый, лёгкий, спокойный.", "150 мл:890:320; 250 мл:1390:480", 0),
            ("Свеча «Инжир»", "Сочный и древесный.", "150 мл:950:320; 250 мл:1490:480", 0),
        ],
        "Декоративные свечи": [
            ("Свеча в кокосе", "Соевый воск в скорлупе кокоса.", "1190", 0),
            ("Свеча-шар мраморная", "Ручная заливка, без аромата.", "590", 0),
            ("Свеча «Пион»", "Фигурная свеча-цветок.", "490", 0),
            ("Набор чайных свечей", "12 штук, без аромата, 4 часа каждая.", "290", 0),
            ("Свеча в бетоне", "Минималистичный бетонный стакан.", "1290", 0),
        ],
    },
    "Косметика": {
        "Уход за телом": [
            ("Скраб кофейный", "Молотый кофе, кокосовое масло и тростниковый сахар.", "200 г:690:230", 0),
            ("Баттер для тела «Манго»", "Масло ши и манго, тает на коже.", "100 мл:790:130", 0),
            ("Масло для тела «Роза»", "Жожоба, миндаль и абсолют розы.", "100 мл:990:140", 0),
            ("Соль для ванн «Лаванда»", "Английская соль с эфирным маслом.", "500 г:490:520", 0),
            ("Бомбочка для ванны", "Шипучая, с сухоцветами.", "390", 0),
        ],
        "Уход за лицом": [
            ("Гидролат розы", "Тоник для всех типов кожи.", "100 мл:590:130", 0),
            ("Масло жожоба", "Базовое масло для лица и волос.", "30 мл:490:60; 100 мл:1290:140", 0),
            ("Сыворотка с витамином C", "Сияние и ровный тон.", "30 мл:1490:70", 0),
            ("Бальзам для губ «Мёд»", "Пчелиный воск и масло ши.", "390", 0),
            ("Глиняная маска", "Голубая глина и спирулина.", "100 г:450:120", 0),
        ],
        "Мыло ручной работы": [
            ("Мыло «Овсянка и мёд»", "Мягкое мыло для чувствительной кожи.", "350", 0),
            ("Мыло «Уголь и чайное дерево»", "Для жирной кожи.", "350", 0),
            ("Мыло «Лаванда»", "С цветками лаванды.", "350", 0),
            ("Шампунь твёрдый «Крапива»", "Для нормальных волос.", "590", 0),
        ],
    },
}

SUPPLIERS = [("ООО «Арома-Трейд»", "+7 495 123-45-67, opt@aroma-trade.example"),
             ("ИП Соколова (свечи ручной работы)", "@candles_sokolova")]


def seed(session: Session) -> None:
    if session.exec(select(Product.id)).first() is not None:
        return
    variant_ids = _seed_catalog(session)
    _seed_cross_sell(session)
    _seed_stock(session, variant_ids)
    _seed_promotions(session)
    _seed_orders(session, variant_ids)


def _seed_catalog(session: Session) -> list[int]:
    variant_ids: list[int] = []
    for root_pos, (root_name, children) in enumerate(CATALOG.items()):
        root = catalog.create_category(session, actor=SYSTEM, name=root_name, position=root_pos)
        for child_pos, (child_name, products) in enumerate(children.items()):
            child = catalog.create_category(session, actor=SYSTEM, name=child_name, parent_id=root.id,
                                            position=child_pos)
            for pos, (name, description, spec, discount) in enumerate(products):
                kwargs = {"variants": spec} if ":" in spec else {"base_price_minor": int(spec) * 100}
                product = catalog.create_product(
                    session, actor=SYSTEM, name=name, category_id=child.id, description=description,
                    details="Состав и применение — на этикетке. Хранить в тёмном месте.", discount_pct=discount,
                    position=pos, low_stock_threshold=3, unit="шт", **kwargs,
                )
                variant_ids.extend(v.id for v in product.variants)
    return variant_ids


# "buy with it" on the product card and in the cart: product → what goes with it
CROSS_SELL = {
    "Аромадиффузор ультразвуковой": ["Лаванда", "Апельсин сладкий", "Смесь «Сон»"],
    "Аромалампа керамическая": ["Набор чайных свечей", "Лаванда", "Бергамот"],
    "Ротанговые палочки": ["Смесь «Энергия»", "Смесь «Дыши»"],
    "Лаванда": ["Аромалампа керамическая", "Аромакулон", "Аромадиффузор ультразвуковой"],
    "Свеча «Лавандовое поле»": ["Соль для ванн «Лаванда»", "Мыло «Лаванда»"],
    "Скраб кофейный": ["Баттер для тела «Манго»", "Масло для тела «Роза»"],
}


def _seed_cross_sell(session: Session) -> None:
    ids = {p.name: p.id for p in session.exec(select(Product)).all()}
    for name, others in CROSS_SELL.items():
        catalog.update_product(session, actor=SYSTEM, product_id=ids[name], cross_sell=[ids[o] for o in others])


def _seed_stock(session: Session, variant_ids: list[int]) -> None:
    suppliers = [supplies.create_supplier(session, actor=SYSTEM, name=name, contact=contact).id
                 for name, contact in SUPPLIERS]
    start = utcnow() - timedelta(days=45)
    # two supplies per supplier, so average costs move; a few items left at 0 and low stock
    for batch in range(2):
        for n, sid in enumerate(suppliers):
            items = []
            for i, vid in enumerate(variant_ids):
                if i % 2 != n or i % 17 == 5:
                    continue
                qty = 4 + (i * 7 + batch * 5) % 20
                price = session.get(Variant, vid).price_minor
                unit_cost = price * (38 + (i + batch * 3) % 9) // 100
                items.append({"variant_id": vid, "qty": qty, "total_minor": unit_cost * qty})
            supplies.receive_supply(session, actor=SYSTEM, supplier_id=sid, items=items,
                                 comment=f"Поставка {batch + 1}", now=start + timedelta(days=batch * 20 + n))


def _seed_promotions(session: Session) -> None:
    now = utcnow()
    promotions.create_promo(session, actor=SYSTEM, code="WELCOME10", pct=10, once_per_customer=True)
    promotions.create_promo(session, actor=SYSTEM, code="AROMA15", pct=15, usage_limit=100,
                            expires_at=now + timedelta(days=30))
    promotions.create_promo(session, actor=SYSTEM, code="VIP20", pct=20, usage_limit=5)
    promotions.create_certificate(session, actor=SYSTEM, face_minor=200000, code="GIFT-2000", valid_days=180)


def _seed_orders(session: Session, variant_ids: list[int]) -> None:
    customers = session.exec(select(Customer).where(Customer.is_tester.is_(False)).order_by(Customer.id)).all()
    in_stock = [vid for vid in variant_ids if session.get(Variant, vid).qty >= 3]
    if not customers or len(in_stock) < 10:
        return
    now = utcnow()
    plan = [  # (customer index, days ago, final status, promo)
        (0, 20, "completed", None), (1, 12, "completed", "WELCOME10"), (2, 9, "delivered", None),
        (0, 5, "shipped", "AROMA15"), (4, 3, "processing", None), (5, 2, "paid", None),
        (7, 1, "cancelled", None), (8, 0, "new", None),
    ]
    path = ["paid", "processing", "shipped", "delivered", "completed"]
    for n, (idx, days, final, promo) in enumerate(plan):
        customer = customers[idx % len(customers)]
        when = now - timedelta(days=days, minutes=5) if final != "new" else now - timedelta(minutes=3)
        for k in range(1 + n % 3):
            carts.set_qty(session, actor=SYSTEM, customer_id=customer.id, variant_id=in_stock[(n * 3 + k) % len(in_stock)],
                          qty=1 + k % 2, now=when)
        order = orders.place_order(session, actor=SYSTEM, customer_id=customer.id, promo_code=promo,
                                   delivery_type="pickup", address="ПВЗ СДЭК, Тверская 7",
                                   now=when)
        if final == "cancelled":
            orders.cancel_order(session, actor=SYSTEM, order_id=order.id, reason="Покупатель передумал",
                                now=when + timedelta(minutes=10))
            continue
        steps = [] if final == "new" else path[:path.index(final) + 1]
        for i, step in enumerate(steps):
            orders.transition(session, actor=SYSTEM, order_id=order.id, to_status=step,
                              now=when + timedelta(hours=2 + i * 20))
    orders.create_b2b_order(session, actor=SYSTEM, buyer_name="Салон «Лаванда»", items=[
        {"variant_id": in_stock[0], "qty": 2, "unit_price_minor": session.get(Variant, in_stock[0]).price_minor * 70 // 100},
    ], delivery_minor=35000, delivery_payer="shop", comment="Опт по договору", now=now - timedelta(days=7))
