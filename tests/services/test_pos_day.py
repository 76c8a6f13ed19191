"""The POS seller's day beyond the sale (SQLite and PostgreSQL): what a return would give back
before it is made, a discount typed in roubles, who can approve and whether Telegram can reach
them, and the truth about a queued Z report."""
from __future__ import annotations

import pytest
from sqlmodel import select

from smo_app.models.outbox import Outbox, OutboxStatus
from smo_app.models.presence import SidecarMode
from smo_app.models.staff import Role
from smo_app.services.core.errors import DomainError
from smo_app.services.messaging import presence
from smo_app.services.pos import approvals, cart, delivery, line_discounts, returns, shifts
from smo_app.services.staff import accounts
from tests.commerce_factories import SYSTEM, make_product, variant_id
from tests.factories import make_staff
from tests.services.test_pos import _sell, cid, pos  # noqa: F401 - the shared register fixture


def test_a_return_preview_says_what_the_return_then_gives_back(session, pos):  # noqa: F811
    # given a sale of 3 candles at 1 000 ₽
    r = _sell(session, pos, qty=3)
    line = r.lines[0].order_line_id
    # when the seller taps two of them back; then the screen can show 2 000 ₽ before anything is written
    pre = returns.preview_return(session, actor=pos.seller, sale_id=r.sale_id, lines=[{"order_line_id": line, "qty": 2}])
    assert (pre.goods_minor, pre.money_minor) == (200000, 200000)
    done = returns.return_items(session, actor=pos.seller, register_id=pos.reg, sale_id=r.sale_id, client_id=cid(),
                                lines=[{"order_line_id": line, "qty": 2}])
    assert done.cash_minor + done.card_minor == pre.money_minor
    # and a preview of more than is left is refused the same way the return would be
    with pytest.raises(DomainError) as err:
        returns.preview_return(session, actor=pos.seller, sale_id=r.sale_id, lines=[{"order_line_id": line, "qty": 2}])
    assert err.value.code == "pos.return_too_many"


def test_an_exchange_for_something_dearer_takes_the_difference(session, pos):  # noqa: F811
    # given a 1 000 ₽ candle sold; when it is exchanged for a 1 500 ₽ lamp, the customer paying 500 ₽ by card
    r = _sell(session, pos)
    lamp = variant_id(make_product(session, name="Лампа", price_minor=150000, qty=2))
    cart.add_item(session, actor=pos.seller, register_id=pos.reg, variant_id=lamp)
    out = returns.exchange(session, actor=pos.seller, register_id=pos.reg, sale_id=r.sale_id, client_id=cid(),
                           lines=[{"order_line_id": r.lines[0].order_line_id, "qty": 1}], card_minor=50000)
    # then the new sale is 1 500 ₽: 1 000 ₽ from the candle, 500 ₽ on the card; nothing goes back
    assert (out.sale.total_minor, out.sale.credit_minor, out.sale.card_minor) == (150000, 100000, 50000)
    assert (out.returned.cash_minor, out.returned.card_minor) == (0, 0)


def test_a_discount_in_roubles_becomes_the_whole_percentage_it_covers(session, pos):  # noqa: F811
    cart.add_item(session, actor=pos.seller, register_id=pos.reg, variant_id=pos.vid, qty=2)  # 2 000 ₽
    out = line_discounts.set_line_discount_amount(session, actor=pos.seller, register_id=pos.reg, variant_id=pos.vid,
                                                  amount_minor=20000)
    assert (out.lines[0].manual_pct, out.lines[0].discount_minor) == (10, 20000)
    for bad, code in ((-1, "pos.discount_amount_invalid"), (200001, "pos.discount_above_line")):
        with pytest.raises(DomainError) as err:
            line_discounts.set_line_discount_amount(session, actor=pos.seller, register_id=pos.reg, variant_id=pos.vid,
                                                    amount_minor=bad)
        assert err.value.code == code
    # and the refused amounts changed nothing
    assert cart.get_cart(session, actor=pos.seller, register_id=pos.reg).lines[0].manual_pct == 10


@pytest.mark.parametrize("text,ok", [("15", 15), ("15 %", 15), ("0", 0), ("150", None), ("abc", None), ("-10", None),
                                     ("", 0)])
def test_a_typed_percentage_is_a_whole_number_up_to_100(text, ok):
    if ok is None:
        with pytest.raises(DomainError):
            line_discounts.parse_pct(text)
    else:
        assert line_discounts.parse_pct(text) == ok


def test_approvers_are_the_managers_with_a_pin_and_telegram_only_when_the_bot_is_online(session, pos):  # noqa: F811
    manager = make_staff(session, Role.manager)
    make_staff(session, Role.seller)
    ways = approvals.approval_ways(session, actor=pos.seller)
    assert [a.username for a in ways.approvers] == [manager.username]
    assert not ways.telegram  # nobody linked, bot offline
    accounts.set_telegram_id(session, actor=SYSTEM, staff_id=manager.id, telegram_id=7_000_000_000_555)
    assert not approvals.approval_ways(session, actor=pos.seller).telegram  # still: the bot is offline
    presence.beat(session, instance="bot-1", mode=SidecarMode.online)
    ways = approvals.approval_ways(session, actor=pos.seller)
    assert ways.telegram and ways.approvers[0].has_telegram


def test_the_z_report_says_it_waits_for_the_bot_until_it_is_sent(session, pos):  # noqa: F811
    closed = shifts.close_shift(session, actor=pos.seller, register_id=pos.reg, counted_cash_minor=100000)
    assert delivery.z_report_delivery(session, actor=pos.seller, shift_id=closed.id) == delivery.NOBODY
    admin = make_staff(session, Role.admin)
    accounts.set_telegram_id(session, actor=SYSTEM, staff_id=admin.id, telegram_id=5_100_000_777)
    shifts.open_shift(session, actor=pos.seller, register_id=pos.reg, float_minor=0)
    closed = shifts.close_shift(session, actor=pos.seller, register_id=pos.reg, counted_cash_minor=0)
    assert delivery.z_report_delivery(session, actor=pos.seller, shift_id=closed.id) == delivery.WAITING
    presence.beat(session, instance="bot-1", mode=SidecarMode.online)
    assert delivery.z_report_delivery(session, actor=pos.seller, shift_id=closed.id) == delivery.SENDING
    for row in session.exec(select(Outbox).where(Outbox.kind == "pos_z_report")).all():
        row.status = OutboxStatus.sent
        session.add(row)
    session.commit()
    assert delivery.z_report_delivery(session, actor=pos.seller, shift_id=closed.id) == delivery.SENT


def test_the_code_on_the_receipt_reads_back_as_its_sale():
    zxingcpp = pytest.importorskip("zxingcpp")
    import base64
    import re

    from PIL import Image, ImageDraw

    from smo_app.services.pos import receipt_code

    code = receipt_code.receipt_code(4321)
    svg = base64.b64decode(receipt_code.code128_svg_uri(code).split(",", 1)[1]).decode()
    width = int(re.search(r'viewBox="0 0 (\d+) ', svg).group(1))
    # the SVG drawn as a printer would (3 px a module) and read by a real decoder
    image = Image.new("L", (width * 3, 120), 255)
    draw = ImageDraw.Draw(image)
    for x, w in re.findall(r'<rect x="(\d+)" y="0" width="(\d+)"', svg):
        draw.rectangle([int(x) * 3, 0, (int(x) + int(w)) * 3 - 1, 119], fill=0)
    [found] = zxingcpp.read_barcodes(image)
    assert found.text == code == "S004321"
    assert receipt_code.parse_receipt_code(found.text) == 4321
    assert receipt_code.parse_receipt_code("4321") is None  # a bare number is searched, not opened
