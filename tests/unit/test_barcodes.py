"""Barcodes as printed and scanned: GS1 check digits, what a variant may carry, scale labels."""
import pytest

from smo_app.money import line_goods
from smo_app.services.catalog import barcodes
from smo_app.services.core.errors import ValidationFailed
from smo_app.text_fold import fold, phone_key, phone_query_keys
from smo_app.units import qty_text


def _code(fn) -> str:
    with pytest.raises(ValidationFailed) as err:
        fn()
    return err.value.code


def test_gs1_check_digits_of_real_codes():
    assert barcodes.gs1_valid("4006381333931")  # EAN-13
    assert barcodes.gs1_valid("96385074")  # EAN-8
    assert barcodes.gs1_valid("036000291452")  # UPC-A
    assert not barcodes.gs1_valid("4006381333932")
    assert barcodes.ean13("400638133393") == "4006381333931"
    assert barcodes.symbology("4006381333931") == "ean13" and barcodes.symbology("CND-LAV") == "code128"


def test_a_barcode_with_a_wrong_check_digit_or_a_space_is_refused_and_an_empty_one_is_none():
    assert barcodes.clean_barcode(" 4006381333931 ") == "4006381333931"
    assert barcodes.clean_barcode("") is None and barcodes.clean_barcode(None) is None
    assert barcodes.clean_barcode("INT-0042") == "INT-0042"
    assert _code(lambda: barcodes.clean_barcode("4006381333932")) == "catalog.barcode_check_digit"
    assert _code(lambda: barcodes.clean_barcode("46 00702")) == "catalog.barcode_invalid"
    assert _code(lambda: barcodes.clean_barcode("свеча")) == "catalog.barcode_invalid"
    assert _code(lambda: barcodes.clean_barcode("X" * 49)) == "catalog.barcode_invalid"


def test_a_weight_label_carries_the_item_and_the_grams():
    # given a scale printing prefix 22, item 42, 532 g
    code = barcodes.scale_code(22, 42, 532)
    assert code[:12] == "220004200532" and barcodes.gs1_valid(code)
    # when it is read under the shop's prefixes
    label = barcodes.parse_scale_code(code, weight_prefix=22, price_prefix=23)
    # then it names item 42 and 532 grams
    assert (label.kind, label.plu, label.value) == ("weight", 42, 532)


def test_a_price_label_carries_the_item_and_the_kopecks():
    code = barcodes.scale_code(23, 7, 65675)
    label = barcodes.parse_scale_code(code, weight_prefix=22, price_prefix=23)
    assert (label.kind, label.plu, label.value) == ("price", 7, 65675)


def test_a_misread_label_is_refused_and_other_codes_are_not_labels():
    code = barcodes.scale_code(22, 42, 532)
    bad = code[:12] + str((int(code[12]) + 1) % 10)
    assert _code(lambda: barcodes.parse_scale_code(bad, weight_prefix=22, price_prefix=23)) == "pos.scale_check_digit"
    assert barcodes.parse_scale_code("4006381333931", weight_prefix=22, price_prefix=23) is None
    assert barcodes.parse_scale_code(code, weight_prefix=None, price_prefix=None) is None  # the shop has no scales
    assert barcodes.parse_scale_code("2200042", weight_prefix=22, price_prefix=23) is None
    with pytest.raises(ValueError):
        barcodes.scale_code(19, 42, 532)


def test_weight_lines_price_per_kilogram_half_up():
    assert line_goods(123450, 532, 1000) == 65675  # 0.532 kg × 1 234,50 ₽ = 656,754 → 656,75
    assert line_goods(100, 5, 1000) == 1  # 0.5 kopeck rounds up
    assert line_goods(45000, 3) == 135000
    assert qty_text(532, "kg") == "0,532\u00a0кг" and qty_text(532, "kg", "en") == "0.532\u00a0kg"
    assert qty_text(250, "g") == "250\u00a0г" and qty_text(3, "pcs") == "3"


def test_text_folds_case_and_yo_in_any_language_and_phones_lose_their_prefix():
    assert fold("  Свеча  «ЛАВАНДА» ") == "свеча «лаванда»"
    assert fold("Ёлочная", "SKU-1") == "елочная sku-1"
    assert fold("Straße") == "strasse"
    assert phone_key("8 (916) 123-45-67") == phone_key("+7 916 123 45 67") == "9161234567"
    assert phone_query_keys("+7 916") == ("7916", "916") and phone_query_keys("8916") == ("8916", "916")
    assert phone_query_keys("89161234567") == ("9161234567", None) and phone_query_keys("4567") == ("4567", None)
