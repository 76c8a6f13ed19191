"""Pricing: one pure function; rounding is explicit; the breakdown always adds up."""
from hypothesis import given, settings
from hypothesis import strategies as st

from smo_app.services.sales.pricing import PriceLineIn, pct_floor, pct_half_up, price


def line(price_minor, qty=1, discount_pct=0, vid=1, **kw):
    return PriceLineIn(variant_id=vid, qty=qty, price_minor=price_minor, discount_pct=discount_pct, **kw)


def test_seven_percent_of_999_99_rounds_half_up_for_discounts_and_down_for_cashback():
    # 7% of 999.99 ₽ is 69.9993 ₽
    assert pct_half_up(99999, 7) == 7000
    assert pct_floor(99999, 7) == 6999
    # half a kopeck goes up for discounts: 5% of 0.10 ₽ = 0.5 kopeck
    assert pct_half_up(10, 5) == 1
    assert pct_floor(10, 5) == 0


def test_better_of_product_and_personal_discount_applies_not_both():
    # given a 10% product discount and a 15% personal discount
    result = price([line(100000, discount_pct=10)], personal_discount_pct=15)
    # then the personal one wins, alone
    assert result.discounts == {"product": 0, "personal": 15000, "manual": 0, "promo": 0}
    assert result.total_minor == 85000


def test_promo_applies_after_line_discounts_and_certificate_then_bonus_capped():
    # given 2 × 1000 ₽ with 10% product discount, a 10% promo, a 300 ₽ certificate, 1000 ₽ of bonuses
    result = price([line(100000, qty=2, discount_pct=10)], promo_pct=10, certificate_minor=30000,
                   bonus_balance_minor=100000, bonus_requested_minor=100000, bonus_cap_pct=30)
    # then goods 2000, product −200, promo −180, certificate −300, bonuses capped at 30% of 1620 = 486
    assert result.goods_minor == 200000
    assert result.discounts == {"product": 20000, "personal": 0, "manual": 0, "promo": 18000}
    assert result.certificate_minor == 30000
    assert result.bonus_minor == 48600
    assert result.total_minor == 200000 - 20000 - 18000 - 30000 - 48600
    assert result.adds_up()


def test_wholesale_price_applies_from_the_minimum_quantity_without_further_discounts():
    # given a variant at 500 ₽ retail, 300 ₽ wholesale from 10 units, and a 10% product discount
    kw = {"wholesale_price_minor": 30000, "wholesale_min_qty": 10, "discount_pct": 10}
    below = price([line(50000, qty=9, **kw)], wholesale=True)
    at = price([line(50000, qty=10, **kw)], wholesale=True)
    retail = price([line(50000, qty=10, **kw)], wholesale=False)
    # then below the minimum the retail price (with its discount) applies, from it the wholesale one
    assert below.lines[0].wholesale is False and below.total_minor == 9 * 45000
    assert at.lines[0].wholesale is True and at.total_minor == 300000
    assert retail.total_minor == 450000


def test_a_sellers_line_discount_replaces_the_automatic_one_only_when_it_gives_more():
    # given a 10 % product discount, a 15 % personal discount and the seller's line discounts
    smaller = price([line(100000, discount_pct=10, manual_discount_pct=12)], personal_discount_pct=15)
    larger = price([line(100000, discount_pct=10, manual_discount_pct=20)], personal_discount_pct=15)
    # then 12 % by hand changes nothing (the personal 15 % is better); 20 % by hand replaces it
    assert (smaller.lines[0].discount_kind, smaller.lines[0].discount_pct, smaller.total_minor) == ("personal", 15, 85000)
    assert (larger.lines[0].discount_kind, larger.lines[0].discount_pct, larger.total_minor) == ("manual", 20, 80000)
    assert larger.discounts == {"product": 0, "personal": 0, "manual": 20000, "promo": 0}
    # and on a wholesale-priced line (no automatic discount there) the seller's discount still applies
    wholesale = price([line(50000, qty=10, discount_pct=10, manual_discount_pct=5, wholesale_price_minor=30000,
                            wholesale_min_qty=10)], wholesale=True)
    assert wholesale.lines[0].wholesale and wholesale.total_minor == 300000 - 15000


def test_free_delivery_threshold_and_amount_left():
    # given a 3000 ₽ pickup threshold and a 350 ₽ quote
    small = price([line(250000)], delivery_type="pickup", delivery_quote_minor=35000, free_delivery_pickup_minor=300000)
    big = price([line(300000)], delivery_type="pickup", delivery_quote_minor=35000, free_delivery_pickup_minor=300000)
    # then below it delivery is charged and 500 ₽ are left; at it delivery is free
    assert (small.delivery_minor, small.free_delivery_left_minor) == (35000, 50000)
    assert (big.delivery_minor, big.free_delivery_left_minor) == (0, 0)
    assert small.total_minor == 285000


def test_certificate_larger_than_the_order_covers_goods_only_and_total_is_delivery():
    result = price([line(10000)], certificate_minor=500000, delivery_type="courier", delivery_quote_minor=40000)
    assert result.certificate_minor == 10000
    assert result.total_minor == 40000
    assert result.adds_up()


lines_strategy = st.lists(
    st.builds(PriceLineIn, variant_id=st.integers(1, 50), qty=st.integers(1, 50),
              price_minor=st.integers(0, 5_000_000), discount_pct=st.integers(0, 100),
              manual_discount_pct=st.integers(0, 100),
              wholesale_price_minor=st.one_of(st.none(), st.integers(0, 5_000_000)),
              wholesale_min_qty=st.integers(1, 20)),
    min_size=0, max_size=6,
)


@settings(max_examples=200, deadline=None)
@given(lines=lines_strategy, personal=st.integers(0, 100), wholesale=st.booleans(), promo=st.integers(0, 100),
       cert=st.integers(0, 10_000_000), balance=st.integers(0, 10_000_000), requested=st.integers(0, 10_000_000),
       cap=st.integers(0, 100), dtype=st.sampled_from(["pickup", "courier", "region", "store"]),
       quote=st.integers(0, 200_000), free=st.integers(0, 1_000_000), region_pct=st.integers(0, 100))
def test_total_never_negative_no_discount_over_its_cap_and_breakdown_adds_up(
        lines, personal, wholesale, promo, cert, balance, requested, cap, dtype, quote, free, region_pct):
    result = price(lines, personal_discount_pct=personal, wholesale=wholesale, promo_pct=promo,
                   certificate_minor=cert, bonus_balance_minor=balance, bonus_requested_minor=requested,
                   bonus_cap_pct=cap, delivery_type=dtype, delivery_quote_minor=quote,
                   free_delivery_pickup_minor=free, free_delivery_courier_minor=free, free_delivery_region_pct=region_pct)
    # the total is never negative and the breakdown adds up to it
    assert result.total_minor >= 0
    assert result.adds_up()
    # every line discount stays within its own % (rounded half up) and within the line
    for src, out in zip(lines, result.lines, strict=True):
        assert 0 <= out.discount_minor <= out.goods_minor
        if out.discount_kind:
            cap_pct = max(src.discount_pct, personal, src.manual_discount_pct)
            assert out.discount_minor <= pct_half_up(out.goods_minor, cap_pct)
    after_lines = (result.goods_minor - result.discounts["product"] - result.discounts["personal"]
                   - result.discounts["manual"])
    assert 0 <= result.discounts["promo"] <= pct_half_up(after_lines, promo)
    after_promo = after_lines - result.discounts["promo"]
    assert 0 <= result.certificate_minor <= min(cert, after_promo)
    # bonuses: within the balance, the request, the cap share
    assert 0 <= result.bonus_minor <= min(balance, requested, pct_floor(after_promo, cap))
    assert 0 <= result.delivery_minor <= quote
