"""POS tablets on SQLite and PostgreSQL: a cart per device of a register, the shift tablets share,
parked tickets resumed once on any tablet of the register."""
from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select

from smo_app.models.catalog import Variant
from smo_app.models.pos import PosCart, PosDevice, PosParkedTicket, PosRegister, PosSale
from smo_app.models.staff import Role
from smo_app.services.core.errors import DomainError
from smo_app.services.pos import cart, devices, sale, shifts, tickets
from tests.commerce_factories import make_product, qty_of, variant_id
from tests.factories import make_customer, make_staff
from tests.race import outcomes, run_at_once


@pytest.fixture
def till(session):
    """Register «Касса 1» with two named tablets, Сергей's open shift, a product of 500 ₽ (10 in stock)."""
    reg = session.exec(select(PosRegister).where(PosRegister.name == "Касса 1")).first() or PosRegister(name="Касса 1")
    other_reg = PosRegister(name="Касса у склада")
    session.add(reg)
    session.add(other_reg)
    session.commit()
    sergey = make_staff(session, Role.seller, full_name="Сергей").actor()
    anna = make_staff(session, Role.seller, full_name="Анна").actor()
    shifts.open_shift(session, actor=sergey, register_id=reg.id, float_minor=0)
    one = devices.register_device(session, actor=sergey, register_id=reg.id, name="Планшет у входа")
    two = devices.register_device(session, actor=anna, register_id=reg.id, name="Планшет у примерочной")
    product = make_product(session, name="Свеча лаванда", price_minor=50000, qty=10)
    other = make_product(session, name="Мыло", price_minor=20000, qty=10)

    class T:
        pass

    t = T()
    t.reg, t.other_reg, t.sergey, t.anna = reg.id, other_reg.id, sergey, anna
    t.one, t.two, t.token_one = one.device.id, two.device.id, one.token
    t.vid, t.soap = variant_id(product), variant_id(other)
    return t


def test_each_tablet_is_remembered_by_its_token_and_names_are_unique_per_register(session, till):
    # when the tablet comes back with its token; then it is the same device of the same register
    found = devices.device_by_token(session, actor=till.sergey, token=till.token_one)
    assert (found.id, found.name, found.register_name) == (till.one, "Планшет у входа", "Касса 1")
    assert devices.device_by_token(session, actor=till.sergey, token="forgotten") is None
    # a second tablet with a name already taken on the register is refused; on another register it is fine
    with pytest.raises(DomainError) as err:
        devices.register_device(session, actor=till.anna, register_id=till.reg, name="Планшет  у входа")
    assert err.value.code == "pos.device_name_taken"
    devices.register_device(session, actor=till.anna, register_id=till.other_reg, name="Планшет у входа")
    with pytest.raises(DomainError) as err:
        devices.register_device(session, actor=till.anna, register_id=till.reg, name="   ")
    assert err.value.code == "pos.device_name_invalid"
    # only the hash of the token is stored
    assert till.token_one not in {d.token_hash for d in session.exec(select(PosDevice)).all()}


def test_two_tablets_on_one_register_have_independent_carts(session, till):
    # given both tablets ring up a sale in the same shift
    cart.add_item(session, actor=till.sergey, register_id=till.reg, device_id=till.one, variant_id=till.vid, qty=2)
    cart.add_item(session, actor=till.anna, register_id=till.reg, device_id=till.two, variant_id=till.soap)
    # when the second tablet clears its cart
    cart.clear_cart(session, actor=till.anna, register_id=till.reg, device_id=till.two)
    # then the first tablet's cart is untouched
    mine = cart.get_cart(session, actor=till.sergey, register_id=till.reg, device_id=till.one)
    assert [(ln.variant_id, ln.qty) for ln in mine.lines] == [(till.vid, 2)]
    assert cart.get_cart(session, actor=till.anna, register_id=till.reg, device_id=till.two).lines == []
    # and a sale on the first tablet sells its own cart and records the tablet, in the shared shift
    receipt = sale.submit_sale(session, actor=till.sergey, register_id=till.reg, device_id=till.one,
                               client_id="tablet-one-0001", tendered_minor=100000)
    assert receipt.total_minor == 100000 and qty_of(session, till.vid) == 8
    row = session.get(PosSale, receipt.sale_id)
    assert row.device_id == till.one
    cart.add_item(session, actor=till.anna, register_id=till.reg, device_id=till.two, variant_id=till.soap)
    anna_sale = sale.submit_sale(session, actor=till.anna, register_id=till.reg, device_id=till.two,
                                 client_id="tablet-two-0001", tendered_minor=20000)
    assert session.get(PosSale, anna_sale.sale_id).shift_id == row.shift_id


def test_a_device_of_another_register_is_refused(session, till):
    with pytest.raises(DomainError) as err:
        cart.add_item(session, actor=till.sergey, register_id=till.other_reg, device_id=till.one, variant_id=till.vid)
    # the other register has no shift, so that refusal comes first; with a shift the device is refused
    assert err.value.code == "pos.shift_closed"
    shifts.open_shift(session, actor=till.anna, register_id=till.other_reg, float_minor=0)
    with pytest.raises(DomainError) as err:
        cart.add_item(session, actor=till.anna, register_id=till.other_reg, device_id=till.one, variant_id=till.vid)
    assert err.value.code == "pos.device_unknown"


def test_nothing_is_added_once_the_shift_was_closed_on_another_tablet(session, till):
    # given the first tablet has a line, and the shift is closed on the second tablet
    cart.add_item(session, actor=till.sergey, register_id=till.reg, device_id=till.one, variant_id=till.vid)
    status = devices.tablet_status(session, actor=till.anna, register_id=till.reg, device_id=till.two)
    assert status.shift_id is not None and status.joined and status.shift_opened_by_name == "Сергей"
    shifts.close_shift(session, actor=till.anna, register_id=till.reg, counted_cash_minor=0)
    # then the first tablet's poll sees it, and adding or raising a quantity is refused
    assert devices.tablet_status(session, actor=till.sergey, register_id=till.reg, device_id=till.one).shift_id is None
    for call in (lambda: cart.add_item(session, actor=till.sergey, register_id=till.reg, device_id=till.one,
                                       variant_id=till.soap),
                 lambda: cart.set_qty(session, actor=till.sergey, register_id=till.reg, device_id=till.one,
                                      variant_id=till.vid, qty=3)):
        with pytest.raises(DomainError) as err:
            call()
        assert err.value.code == "pos.shift_closed"
    # lowering a quantity is still allowed (the cart can be emptied)
    cart.set_qty(session, actor=till.sergey, register_id=till.reg, device_id=till.one, variant_id=till.vid, qty=0)


def test_a_parked_ticket_is_resumed_on_another_tablet_once(session, till):
    # given the first tablet rings up a customer's goods and parks them
    customer = make_customer(session)
    cart.add_item(session, actor=till.sergey, register_id=till.reg, device_id=till.one, variant_id=till.vid, qty=2)
    cart.set_customer(session, actor=till.sergey, register_id=till.reg, device_id=till.one, customer_id=customer.id)
    parked = tickets.park_ticket(session, actor=till.sergey, register_id=till.reg, device_id=till.one,
                                 name="  Анна,   примерка ")
    # then its cart is empty for the next customer, and the ticket is listed for the register
    assert cart.get_cart(session, actor=till.sergey, register_id=till.reg, device_id=till.one).lines == []
    listed = tickets.list_tickets(session, actor=till.anna, register_id=till.reg)
    assert [(x.name, x.lines_count, x.goods_minor) for x in listed] == [("Анна, примерка", 1, 100000)]
    # when the second tablet resumes it; then its cart has the lines and the customer, and the list is empty
    resumed = tickets.resume_ticket(session, actor=till.anna, register_id=till.reg, device_id=till.two,
                                    ticket_id=parked.id)
    assert [(ln.variant_id, ln.qty) for ln in resumed.lines] == [(till.vid, 2)] and resumed.customer.id == customer.id
    assert tickets.list_tickets(session, actor=till.anna, register_id=till.reg) == []
    # and resuming it again is refused, naming the tablet that has it
    with pytest.raises(DomainError) as err:
        tickets.resume_ticket(session, actor=till.sergey, register_id=till.reg, device_id=till.one, ticket_id=parked.id)
    assert err.value.code == "pos.ticket_gone" and err.value.params["device"] == "Планшет у примерочной"


def test_parking_needs_goods_and_a_name_and_resuming_needs_an_empty_cart(session, till):
    with pytest.raises(DomainError) as err:
        tickets.park_ticket(session, actor=till.sergey, register_id=till.reg, device_id=till.one, name="Анна")
    assert err.value.code == "pos.ticket_cart_empty"
    cart.add_item(session, actor=till.sergey, register_id=till.reg, device_id=till.one, variant_id=till.vid)
    with pytest.raises(DomainError) as err:
        tickets.park_ticket(session, actor=till.sergey, register_id=till.reg, device_id=till.one, name=" ")
    assert err.value.code == "pos.ticket_name_invalid"
    parked = tickets.park_ticket(session, actor=till.sergey, register_id=till.reg, device_id=till.one, name="Анна")
    cart.add_item(session, actor=till.anna, register_id=till.reg, device_id=till.two, variant_id=till.soap)
    with pytest.raises(DomainError) as err:
        tickets.resume_ticket(session, actor=till.anna, register_id=till.reg, device_id=till.two, ticket_id=parked.id)
    assert err.value.code == "pos.ticket_cart_busy"
    # the refused resume left the ticket parked and the cart as it was
    assert [x.id for x in tickets.list_tickets(session, actor=till.anna, register_id=till.reg)] == [parked.id]
    assert [ln.variant_id for ln in cart.get_cart(session, actor=till.anna, register_id=till.reg,
                                                  device_id=till.two).lines] == [till.soap]


def test_two_tablets_resuming_the_same_ticket_at_once_one_wins(engine, session, till):
    cart.add_item(session, actor=till.sergey, register_id=till.reg, device_id=till.one, variant_id=till.vid, qty=3)
    parked = tickets.park_ticket(session, actor=till.sergey, register_id=till.reg, device_id=till.one, name="Анна")
    session.rollback()
    results = run_at_once(engine, [
        lambda s, d=d: tickets.resume_ticket(s, actor=till.anna, register_id=till.reg, device_id=d,
                                             ticket_id=parked.id).device_id for d in (till.one, till.two)])
    assert outcomes(results) == {"ok": 1, "pos.ticket_gone": 1}, results
    winner = next(v for o, v in results if o == "ok")
    session.expire_all()
    carts = {c.device_id: c.lines for c in session.exec(select(PosCart).where(PosCart.device_id.is_not(None))).all()}
    assert [ln["qty"] for ln in carts[winner]] == [3]
    assert all(lines == [] for d, lines in carts.items() if d != winner)
    assert session.exec(select(func.count(PosParkedTicket.id)).where(PosParkedTicket.status == "resumed")).one() == 1


def test_first_taps_on_a_new_tablet_at_once_make_one_cart(engine, session, till):
    session.rollback()
    results = run_at_once(engine, [
        lambda s: cart.add_item(s, actor=till.anna, register_id=till.reg, device_id=till.two,
                                variant_id=till.vid).lines[0].qty] * 3)
    assert outcomes(results) == {"ok": 3}, results
    session.expire_all()
    rows = session.exec(select(PosCart).where(PosCart.device_id == till.two)).all()
    assert len(rows) == 1 and rows[0].lines[0]["qty"] == 3


def test_two_tablets_naming_themselves_alike_at_once_one_wins(engine, session, till):
    session.rollback()
    results = outcomes(run_at_once(engine, [
        lambda s: devices.register_device(s, actor=till.anna, register_id=till.reg, name="Касса у окна").device.id] * 2))
    assert results == {"ok": 1, "pos.device_name_taken": 1}, results
    session.expire_all()
    assert session.exec(select(func.count(PosDevice.id)).where(PosDevice.name == "Касса у окна")).one() == 1


def test_the_customer_display_follows_the_cart_and_shows_the_change(session, till):
    from smo_app.services.pos import display

    # given an empty register: the display greets, with the QR link to the Mini App
    empty = display.customer_display(session, actor=till.sergey, register_id=till.reg)
    assert empty.lines == [] and empty.last_total_minor is None and "startapp" in empty.join_link
    # when the second tablet rings up soap; then the unpaired display shows it (the cart touched last)
    cart.add_item(session, actor=till.anna, register_id=till.reg, device_id=till.two, variant_id=till.soap, qty=2)
    shown = display.customer_display(session, actor=till.sergey, register_id=till.reg)
    assert [(ln.name, ln.qty) for ln in shown.lines] == [("Мыло", 2)] and shown.total_minor == 40000
    # and a display paired with the first tablet shows only that tablet's cart
    cart.add_item(session, actor=till.sergey, register_id=till.reg, device_id=till.one, variant_id=till.vid)
    paired = display.customer_display(session, actor=till.sergey, register_id=till.reg, device_id=till.one)
    assert [ln.name for ln in paired.lines] == ["Свеча лаванда"] and paired.version != shown.version
    # when the first tablet's sale is paid with 1 000 ₽ cash; then its display thanks with the change due
    sale.submit_sale(session, actor=till.sergey, register_id=till.reg, device_id=till.one,
                     client_id="display-sale-01", tendered_minor=100000)
    after = display.customer_display(session, actor=till.sergey, register_id=till.reg, device_id=till.one)
    assert after.lines == [] and (after.last_total_minor, after.last_change_minor) == (50000, 50000)


def test_an_offline_sale_for_a_customer_earns_cashback_when_it_arrives(session, till):
    from smo_app.models.customer import Customer
    from smo_app.services.pos import offline

    customer = make_customer(session)
    body = {"client_id": "offline-cash-0001", "register_id": till.reg, "device_id": till.one,
            "customer_id": customer.id, "lines": [{"variant_id": till.vid, "qty": 1}], "card_minor": 50000}
    receipt = offline.submit_offline_sale(session, actor=till.sergey, sale=body)
    # then stock and the loyalty programme apply as for any sale: 7 % of 500 ₽ in bonuses
    assert receipt.customer_id == customer.id and receipt.cashback_minor == 3500
    session.expire_all()
    assert session.get(Customer, customer.id).bonus_balance_minor == 3500 and qty_of(session, till.vid) == 9


def test_an_offline_sale_sent_twice_at_once_is_one_sale(engine, session, till):
    from smo_app.services.pos import offline

    body = {"client_id": "offline-race-0001", "register_id": till.reg, "device_id": till.one,
            "lines": [{"variant_id": till.vid, "qty": 2}], "tendered_minor": 100000}
    session.rollback()
    results = run_at_once(engine, [
        lambda s: offline.submit_offline_sale(s, actor=till.sergey, sale=body).sale_id] * 2)
    assert [r[0] for r in results] == ["ok", "ok"] and results[0][1] == results[1][1], results
    session.expire_all()
    assert session.exec(select(func.count(PosSale.id))).one() == 1 and qty_of(session, till.vid) == 8


def test_the_demo_shop_has_two_named_tablets_and_a_parked_ticket_a_new_browser_can_pick_up(session):
    from tests.demo_support import demo_shop

    demo_shop(session)
    seller = make_staff(session, Role.seller, username="till_seller").actor()  # not the demo's seller2
    known = devices.all_devices(session, actor=seller)
    assert [d.name for d in known] == ["Планшет у входа", "Планшет у примерочной"]
    reg = known[0].register_id
    parked = tickets.list_tickets(session, actor=seller, register_id=reg)
    assert [t.name for t in parked] == ["Анна Лебедева, примерка"] and parked[0].goods_minor > 0
    # a new browser picks the first tablet: it gets that device (and a token only it holds)
    setup = devices.adopt_device(session, actor=seller, device_id=known[0].id)
    assert devices.device_by_token(session, actor=seller, token=setup.token).name == "Планшет у входа"


def test_an_exchange_on_a_tablet_sells_that_tablets_cart(session, till):
    from smo_app.services.pos import returns

    first = cart.add_item(session, actor=till.sergey, register_id=till.reg, device_id=till.one, variant_id=till.vid)
    assert first.device_id == till.one
    sold = sale.submit_sale(session, actor=till.sergey, register_id=till.reg, device_id=till.one,
                            client_id="exchange-sale-01", tendered_minor=50000)
    # given the second tablet has its own goods and the first rings up soap for the exchange
    cart.add_item(session, actor=till.anna, register_id=till.reg, device_id=till.two, variant_id=till.vid)
    cart.add_item(session, actor=till.sergey, register_id=till.reg, device_id=till.one, variant_id=till.soap)
    out = returns.exchange(session, actor=till.sergey, register_id=till.reg, device_id=till.one,
                           sale_id=sold.sale_id, client_id="exchange-0001",
                           lines=[{"order_line_id": sold.lines[0].order_line_id, "qty": 1}])
    # then the soap was sold from the first tablet, and the second tablet's cart is as it was
    assert [ln.name for ln in out.sale.lines] == ["Мыло"]
    assert [ln.variant_id for ln in cart.get_cart(session, actor=till.anna, register_id=till.reg,
                                                  device_id=till.two).lines] == [till.vid]


def test_a_discount_in_roubles_and_a_pin_approval_stay_on_the_tablets_cart(session, till):
    from smo_app.services.pos import approvals, line_discounts
    from tests.factories import PIN

    manager = make_staff(session, Role.manager, full_name="Мария")
    # given both tablets have the candle in their carts
    cart.add_item(session, actor=till.sergey, register_id=till.reg, device_id=till.one, variant_id=till.vid)
    cart.add_item(session, actor=till.anna, register_id=till.reg, device_id=till.two, variant_id=till.vid)
    # when the first tablet types 100 ₽ off its line, then 20 % (above the seller's policy)
    off = line_discounts.apply_typed_discount(session, actor=till.sergey, register_id=till.reg, device_id=till.one,
                                              variant_id=till.vid, text="100", unit="rub")
    assert off.lines[0].discount_minor == 10000
    line_discounts.apply_typed_discount(session, actor=till.sergey, register_id=till.reg, device_id=till.one,
                                        variant_id=till.vid, text="20", unit="pct")
    # and the manager's PIN approves it on that tablet
    approvals.approve_with_pin(session, actor=till.sergey, register_id=till.reg, device_id=till.one,
                               username=manager.username, pin=PIN)
    mine = cart.get_cart(session, actor=till.sergey, register_id=till.reg, device_id=till.one)
    assert mine.approval_status == "approved" and not mine.needs_approval
    # then the second tablet's line is undiscounted and has no approval
    theirs = cart.get_cart(session, actor=till.anna, register_id=till.reg, device_id=till.two)
    assert theirs.lines[0].discount_minor == 0 and theirs.approval_status == ""


def test_the_two_second_poll_notices_a_cart_change_a_parked_ticket_and_a_closed_shift(session, till):
    def pulse(device):
        return devices.tablet_pulse(session, actor=till.anna, register_id=till.reg, device_id=device)

    before = pulse(till.two)
    status = devices.tablet_status(session, actor=till.anna, register_id=till.reg, device_id=till.two)
    assert (before.shift_id, before.cart_updated_at, before.parked) == (status.shift_id, None, 0)
    # when the first tablet rings up and parks; then the second sees the parked count, not a cart change
    tapped = cart.add_item(session, actor=till.sergey, register_id=till.reg, device_id=till.one, variant_id=till.vid)
    # (the tablet's own tap reads as the time the poll sees: no reload after its own taps)
    assert str(pulse(till.one).cart_updated_at) == str(tapped.updated_at) and pulse(till.two).cart_updated_at is None
    tickets.park_ticket(session, actor=till.sergey, register_id=till.reg, device_id=till.one, name="Ольга")
    assert pulse(till.two).parked == 1
    # a device asked about another register's cart sees none; the shared cart is polled without a device
    assert devices.tablet_pulse(session, actor=till.anna, register_id=till.other_reg, device_id=till.one).cart_updated_at is None
    assert pulse(None).shift_id == before.shift_id
    # and the shift closed elsewhere shows as none
    shifts.close_shift(session, actor=till.anna, register_id=till.reg, counted_cash_minor=0)
    assert pulse(till.two).shift_id is None
