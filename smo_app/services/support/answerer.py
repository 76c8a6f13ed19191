"""What the assistant knows when a question comes, and the answer given without an AI endpoint.

:func:`retrieve` reads the live facts a question is about — the products whose names match its
words (each variant with its price and whether it is in stock), the customer's own recent orders
and their statuses, the owner's FAQ entries that match — and both answerers use only these: the
AI endpoint gets them as its tools' results, :func:`offline_answer` fills a template with them.
Nothing out of stock is ever called available; when nothing matches the answer says so and offers
a person.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape

from sqlalchemy import or_
from sqlmodel import Session, select

from smo_app.i18n import t
from smo_app.models.catalog import Product, Variant
from smo_app.models.orders import Order
from smo_app.money import format_money
from smo_app.services.core.text_search import folded_contains
from smo_app.text_fold import fold

MAX_PRODUCTS = 3
MAX_ORDERS = 3
MAX_FAQ = 2
_WORD = re.compile(r"[\w-]+", re.UNICODE)
# words that say nothing about what is asked (questions' glue, both languages)
STOP = frozenset(fold(w) for w in """
а и в во на по с со к ко о об от до за из у не ни ли же бы да нет есть ваш ваши вас вам мне меня мой моя мое мои
я вы мы он она они это этот эта эти что как где когда какой какая какие сколько почему можно ли нужно хочу
хотел хотела подскажите скажите пожалуйста здравствуйте привет добрый день вечер утро спасибо у вас а ещё еще
без делать сделать нужен нужна нужно купить заказать стоит стоят цена наличии наличие что-нибудь что-то
the a an and or of to in on for is are do does can i you we my your what how where when which price much
there have has please hello hi thanks any
""".split())
# what a question about an order, delivery or payment says (the topic commands set it without words)
TOPIC_WORDS = {
    "order": ("заказ", "order"),
    "delivery": ("доставк", "достав", "курьер", "самовывоз", "delivery", "shipping", "ship"),
    "payment": ("оплат", "платеж", "карт", "сбп", "payment", "pay", "card"),
}


@dataclass
class VariantFact:
    label: str
    price_minor: int
    in_stock: int  # units on hand; 0 = not in stock


@dataclass
class ProductFact:
    id: int
    name: str
    variants: list[VariantFact]

    @property
    def available(self) -> bool:
        return any(v.in_stock > 0 for v in self.variants)


@dataclass
class OrderFact:
    id: int
    status: str
    total_minor: int


@dataclass
class Facts:
    """What the shop knows that a question is about (all of it live, read now)."""

    products: list[ProductFact] = field(default_factory=list)
    orders: list[OrderFact] = field(default_factory=list)
    faq: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.products or self.orders or self.faq)


# Russian endings cut off a word (the longest first), so "розой", "розы" and "роза" all look for "роз"
_ENDINGS = tuple(sorted("ами ями ого его ому ему ой ей ый ий ая яя ое ее ые ие ую юю ов ев ах ях ам ям ом ем а я ы и у ю е о"
                        .split(), key=len, reverse=True))


def stem(word: str) -> str:
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[:-len(ending)]
    return word


def stems(text: str) -> list[str]:
    """The question's meaningful words, cut to a stem so Russian endings do not matter
    ("свечи" and "свечу" both look for "свеч")."""
    out = []
    for word in _WORD.findall(fold(text)):
        if word in STOP or len(word) < 3 or word.isdigit():
            continue
        cut = stem(word)
        if cut not in out:
            out.append(cut)
    return out[:8]


def topic_of(text: str) -> str:
    words = fold(text)
    for topic, marks in TOPIC_WORDS.items():
        if any(m in words for m in marks):
            return topic
    return ""


def find_products(session: Session, query: str, *, limit: int = MAX_PRODUCTS) -> list[ProductFact]:
    """Products on sale whose name matches the query's words, best matches first, each with its
    active variants' prices and units on hand."""
    words = stems(query)
    if not words:
        return []
    rows = session.exec(
        select(Product).where(Product.hidden.is_(False), Product.deleted.is_(False),
                              or_(*[folded_contains(Product.search_key, w) for w in words]))
        .order_by(Product.id).limit(50)
    ).all()
    score = {p.id: sum(w in p.search_key for w in words) for p in rows}
    best = max(score.values(), default=0)
    # only the best matches, and only when they match enough of the question: "the candle came
    # cracked, what now?" matches every candle by one word of five — that is no question about them
    if best < -(-len(words) // 2):
        return []
    scored = sorted((p for p in rows if score[p.id] == best), key=lambda p: p.id)[:limit]
    if not scored:
        return []
    variants = session.exec(
        select(Variant).where(Variant.product_id.in_([p.id for p in scored]), Variant.active.is_(True))
        .order_by(Variant.product_id, Variant.position, Variant.id)
    ).all()
    suspended = {p.id for p in scored if p.suspended}  # visible but not for sale: never "in stock"
    by_product: dict[int, list[VariantFact]] = {}
    for v in variants:
        on_hand = 0 if v.product_id in suspended else max(0, v.qty)
        by_product.setdefault(v.product_id, []).append(VariantFact(label=v.label, price_minor=v.price_minor,
                                                                   in_stock=on_hand))
    return [ProductFact(id=p.id, name=p.name, variants=by_product.get(p.id, [])) for p in scored]


def recent_orders(session: Session, customer_id: int, *, limit: int = MAX_ORDERS,
                  order_id: int | None = None) -> list[OrderFact]:
    query = select(Order).where(Order.customer_id == customer_id)
    if order_id is not None:
        query = query.where(Order.id == order_id)
    rows = session.exec(query.order_by(Order.id.desc()).limit(limit)).all()
    return [OrderFact(id=o.id, status=o.status, total_minor=o.total_minor) for o in rows]


def faq_entries(faq: str) -> list[str]:
    """The owner's FAQ as entries: paragraphs separated by a blank line."""
    return [p.strip() for p in re.split(r"\n\s*\n", faq or "") if p.strip()]


def find_faq(faq: str, query: str, topic: str = "", *, limit: int = MAX_FAQ) -> list[str]:
    words = stems(query) + list(TOPIC_WORDS.get(topic, ()))
    if not words:
        return []
    scored = []
    for i, entry in enumerate(faq_entries(faq)):
        folded = fold(entry)
        score = sum(w in folded for w in words)
        if score:
            scored.append((-score, i, entry))
    return [entry for _, _, entry in sorted(scored)[:limit]]


def retrieve(session: Session, *, customer_id: int, question: str, topic: str = "", faq: str = "",
             order_id: int | None = None) -> Facts:
    topic = topic or topic_of(question)
    orders = (recent_orders(session, customer_id, order_id=order_id)
              if topic == "order" or order_id is not None else [])
    products = find_products(session, question) if topic not in ("delivery", "payment") else []
    return Facts(products=products, orders=orders, faq=find_faq(faq, question, topic))


def product_lines(products: list[ProductFact], lang: str) -> list[str]:
    lines = []
    for p in products:
        for v in p.variants or [VariantFact("", 0, 0)]:
            name = escape(p.name + (f" ({v.label})" if v.label else ""))
            stock = (t("support.fact.in_stock", lang, qty=v.in_stock) if v.in_stock > 0
                     else t("support.fact.out_of_stock", lang))
            lines.append(t("support.fact.product", lang, name=name, price=format_money(v.price_minor), stock=stock))
    return lines


def offline_answer(facts: Facts, lang: str) -> str | None:
    """The answer from a template, or None when nothing is known about the question (the caller
    then says so and offers a person)."""
    if facts.empty:
        return None
    parts = []
    if facts.products:
        parts.append(t("support.answer.products", lang) + "\n" + "\n".join(product_lines(facts.products, lang)))
        if not any(p.available for p in facts.products):
            parts.append(t("support.answer.none_in_stock", lang))
    if facts.orders:
        parts.append(t("support.answer.orders", lang) + "\n" + "\n".join(
            t("support.fact.order", lang, number=o.id, status=t(f"order.status.{o.status}", lang),
              total=format_money(o.total_minor)) for o in facts.orders))
    for entry in facts.faq:
        parts.append(escape(entry))
    return "\n\n".join(parts)
