"""Stock: supplies and weighted average cost, edits, bulk write-off, inventory count, the line parser."""
import pytest
from sqlmodel import select

from smo_app.models.audit import AuditEntry
from smo_app.models.catalog import StockSubscription
from smo_app.models.outbox import Outbox
from smo_app.models.staff import Role
from smo_app.models.stock import StockMove
from smo_app.services.stock import adjustments, ledger, line_parser, subscriptions, supplies
from smo_app.services.stock.adjustments import StockLine
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, PermissionDenied, ValidationFailed
from smo_app.services.stock.ledger import weighted_average_cost
from tests.commerce_factories import SYSTEM, make_product, qty_of, supplier_id, variant_id
from tests.factories import make_customer, make_staff


def _moves(session, vid):
    session.expire_all()
    return session.exec(select(StockMove).where(StockMove.variant_id == vid).order_by(StockMove.id)).all()


@pytest.mark.parametrize("old_qty, old_cost, in_qty, in_cost, expected", [
    (10, 10000, 10, 20000, 15000),  # equal quantities: the midpoint
    (0, 55500, 7, 30000, 30000),  # supply into zero stock: the incoming cost, old cost forgotten
    (-3, 50000, 5, 40000, 40000),  # preorder sold below zero: the incoming cost
    (3, 10000, 1, 10001, 10000),  # (30000 + 10001) / 4 = 10000.25 → 10000
    (1, 10001, 1, 10000, 10001),  # 10000.5 rounds half up
])
def test_weighted_average_cost_worked_examples(old_qty, old_cost, in_qty, in_cost, expected):
    assert weighted_average_cost(old_qty, old_cost, in_qty, in_cost) == expected


def test_supply_in_three_steps_splits_the_batch_price_and_moves_the_average(session):
    # given a product with 10 units bought at 100 ₽
    product = make_product(session, qty=10, unit_cost_minor=10000)
    vid = variant_id(product)
    manager = make_staff(session, Role.manager).actor()
    sid = supplier_id(session)
    # when a manager receives 30 more for a batch price of 4500 ₽
    out = supplies.receive_supply(session, actor=manager, supplier_id=sid,
                               items=[{"variant_id": vid, "qty": 30, "total_minor": 450000}], comment="март")
    # then each unit cost 150 ₽, the average is (10*100 + 30*150)/40 = 137.50 ₽, and the ledger says so
    assert out.lines[0].unit_cost_minor == 15000
    assert out.lines[0].avg_cost_after_minor == 13750
    moves = _moves(session, vid)
    assert [(m.kind, m.delta, m.qty_after, m.unit_cost_minor) for m in moves] == [
        ("supply", 10, 10, 10000), ("supply", 30, 40, 15000)]
    assert moves[-1].actor_name == manager.name and moves[-1].comment == "март"
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "stock.supply")).all()


def test_seller_cannot_receive_supplies(session):
    product = make_product(session)
    seller = make_staff(session, Role.seller).actor()
    with pytest.raises(PermissionDenied):
        supplies.receive_supply(session, actor=seller, supplier_id=supplier_id(session),
                             items=[{"variant_id": variant_id(product), "qty": 1, "total_minor": 100}])


def _line(product, qty, row=None):
    return StockLine(variant_id=variant_id(product), qty=qty, row=row)


def test_bulk_write_off_applies_every_line(session):
    a, b = make_product(session, qty=10), make_product(session, qty=5)
    out = adjustments.write_off(session, actor=SYSTEM, lines=[_line(a, 3), _line(b, 5)], comment="бой")
    assert len(out.moves) == 2
    assert qty_of(session, variant_id(a)) == 7 and qty_of(session, variant_id(b)) == 0
    assert _moves(session, variant_id(a))[-1].kind == "write_off"


def test_a_bad_line_rejects_the_whole_write_off_with_its_row(session):
    # given two products
    a, b = make_product(session, qty=10), make_product(session, qty=2)
    # when the third line asks for more than there is
    with pytest.raises(ValidationFailed) as err:
        adjustments.write_off(session, actor=SYSTEM, lines=[_line(a, 3), _line(a, 1), _line(b, 5)])
    # then nothing is written off and the error names row 3 with a code and its parameters
    assert err.value.code == "stock.batch_rejected"
    assert err.value.params["row"] == 3
    assert err.value.errors == [{"row": 3, "code": "stock.line_insufficient",
                                 "params": {"id": variant_id(b), "available": 2}}]
    assert qty_of(session, variant_id(a)) == 10 and qty_of(session, variant_id(b)) == 2


@pytest.mark.parametrize("qty, code", [(0, "stock.line_qty"), (-1, "stock.line_qty")])
def test_a_write_off_of_nothing_or_less_is_refused(session, qty, code):
    a = make_product(session, qty=5)
    with pytest.raises(ValidationFailed) as err:
        adjustments.write_off(session, actor=SYSTEM, lines=[_line(a, qty, row=7)])
    assert err.value.errors[0]["row"] == 7 and err.value.errors[0]["code"] == code
    assert qty_of(session, variant_id(a)) == 5


def test_a_write_off_of_an_unknown_variant_names_it(session):
    with pytest.raises(ValidationFailed) as err:
        adjustments.write_off(session, actor=SYSTEM, lines=[{"variant_id": 999999, "qty": 1}])
    assert err.value.errors == [{"row": 1, "code": "stock.line_unknown_id", "params": {"id": 999999}}]


def test_an_empty_batch_is_refused(session):
    with pytest.raises(ValidationFailed) as err:
        adjustments.write_off(session, actor=SYSTEM, lines=[])
    assert err.value.code == "stock.batch_empty"


@pytest.mark.parametrize("text, row, code", [
    ("5", 1, "stock.line_format"),
    ("1 2\nabc 3", 2, "stock.line_format"),
    ("1 x", 1, "stock.line_qty"),
    ("# a comment\n\n1 2 3", 3, "stock.line_format"),
])
def test_the_line_parser_names_malformed_lines(text, row, code):
    parsed = line_parser.parse_lines(text)
    assert [(e.row, e.code) for e in parsed.errors] == [(row, code)]


def test_the_line_parser_turns_text_into_typed_lines_with_their_line_numbers():
    parsed = line_parser.parse_lines("# count of March\n12 3\n\n14: -2\n15;0")
    assert parsed.errors == []
    assert parsed.lines == [StockLine(variant_id=12, qty=3, row=2), StockLine(variant_id=14, qty=-2, row=4),
                            StockLine(variant_id=15, qty=0, row=5)]


def test_the_same_parser_reads_priced_lines_for_the_b2b_form():
    # given the B2B form's "ID qty price" text with a bad price on line 3 and two columns on line 4
    parsed = line_parser.parse_lines("12 3 1500\n14; 2; 99,50\n15 1 дёшево\n16 2", priced=True)
    # then the good lines carry their price in kopecks and the bad ones are named
    assert [(ln.row, ln.variant_id, ln.qty, ln.unit_price_minor) for ln in parsed.lines] == [
        (1, 12, 3, 150000), (2, 14, 2, 9950)]
    assert [(e.row, e.code) for e in parsed.errors] == [(3, "stock.line_price"), (4, "stock.line_format")]


def test_screen_text_goes_through_the_parser_then_the_service(session):
    # given a product and the text a manager typed, with a typo on line 2
    a = make_product(session, qty=4)
    with pytest.raises(ValidationFailed) as err:
        line_parser.lines_from_text(f"{variant_id(a)} 1\nоops")
    assert err.value.params["row"] == 2
    with pytest.raises(ValidationFailed) as empty:
        line_parser.lines_from_text("\n# nothing\n")
    assert empty.value.code == "stock.batch_empty"
    # when the typo is fixed, the parsed lines are written off
    adjustments.write_off(session, actor=SYSTEM, lines=line_parser.lines_from_text(f"{variant_id(a)} 1"))
    assert qty_of(session, variant_id(a)) == 3


def test_inventory_count_shows_discrepancies_then_applies_them(session):
    # given 10 and 4 units on the books
    a, b = make_product(session, qty=10), make_product(session, qty=4)
    counted = [_line(a, 8), _line(b, 4)]
    # when the count is previewed
    preview = adjustments.count_inventory(session, actor=SYSTEM, lines=counted)
    # then the differences show and nothing changes yet
    assert [(l.expected, l.counted, l.difference) for l in preview.lines] == [(10, 8, -2), (4, 4, 0)]
    assert qty_of(session, variant_id(a)) == 10
    # when it is applied
    adjustments.count_inventory(session, actor=SYSTEM, lines=counted, apply=True, comment="ревизия")
    # then only the discrepancy became a count move
    assert qty_of(session, variant_id(a)) == 8
    assert _moves(session, variant_id(a))[-1].kind == "count"
    assert [m.kind for m in _moves(session, variant_id(b))] == ["supply"]


def test_count_rejects_a_duplicate_line(session):
    a = make_product(session, qty=10)
    with pytest.raises(ValidationFailed) as err:
        adjustments.count_inventory(session, actor=SYSTEM, lines=[_line(a, 8), _line(a, 9)], apply=True)
    assert err.value.errors[0] == {"row": 2, "code": "stock.line_duplicate", "params": {"id": variant_id(a), "first": 1}}
    assert qty_of(session, variant_id(a)) == 10


def test_single_edit_logs_the_difference_and_is_audited(session):
    a = make_product(session, qty=10)
    adjustments.set_quantity(session, actor=SYSTEM, variant_id=variant_id(a), qty=12, comment="нашли")
    last = _moves(session, variant_id(a))[-1]
    assert (last.kind, last.delta, last.qty_after) == ("edit", 2, 12)
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "stock.edit")).one().after == {"qty": 12}


def test_decrement_beyond_stock_is_refused_and_leaves_no_move(session):
    a = make_product(session, qty=2)
    with pytest.raises(DomainError) as err:
        ledger.apply_move(session, actor=SYSTEM, variant_id=variant_id(a), delta=-3, kind="sale")
    session.rollback()
    assert err.value.code == "stock.insufficient" and err.value.params["available"] == 2
    assert qty_of(session, variant_id(a)) == 2 and len(_moves(session, variant_id(a))) == 1


def test_back_in_stock_notifies_subscribers_once_and_low_stock_alerts_staff(session):
    # given an empty product, a subscriber, and a manager with Telegram
    a = make_product(session, low_stock_threshold=3)
    vid = variant_id(a)
    customer = make_customer(session)
    assert subscriptions.subscribe_back_in_stock(session, actor=Actor.customer(customer.id), customer_id=customer.id, variant_id=vid)
    manager = make_staff(session, Role.manager)
    from smo_app.models.staff import Staff
    row = session.get(Staff, manager.id)
    row.telegram_id = 5550001
    session.add(row)
    session.commit()
    # when stock arrives, then falls to the threshold
    supplies.receive_supply(session, actor=SYSTEM, supplier_id=supplier_id(session),
                         items=[{"variant_id": vid, "qty": 5, "total_minor": 5000}])
    adjustments.write_off(session, actor=SYSTEM, lines=[{"variant_id": vid, "qty": 2}])
    adjustments.write_off(session, actor=SYSTEM, lines=[{"variant_id": vid, "qty": 1}])
    # then the customer got one back-in-stock message and staff one low-stock alert
    kinds = [(o.kind, o.chat_id) for o in session.exec(select(Outbox).order_by(Outbox.id)).all()]
    assert kinds == [("back_in_stock", customer.telegram_id), ("low_stock", 5550001)]
    assert session.exec(select(StockSubscription)).one().notified_at is not None


def test_rejected_batch_message_reads_in_both_languages(session):
    from smo_app.i18n import error_text
    a = make_product(session, qty=1)
    with pytest.raises(ValidationFailed) as err:
        adjustments.write_off(session, actor=SYSTEM, lines=[_line(a, 1), _line(a, 5, row=2)])
    assert error_text(err.value, "ru") == f"Строка 1: у товара {variant_id(a)} на складе только 1. Пакет не применён целиком."
    assert error_text(err.value, "en") == f"Line 1: product {variant_id(a)} has only 1 in stock. Nothing was applied."
