"""Price labels (CA4): the PDF rendered to an image and its barcodes read back by a real decoder."""
import pytest

from smo_app.models.staff import Role
from smo_app.services.catalog import labels
from smo_app.services.catalog import products as catalog
from smo_app.services.core.errors import DomainError
from tests.commerce_factories import SYSTEM, make_product
from tests.factories import make_staff

pdfium = pytest.importorskip("pypdfium2")
zxingcpp = pytest.importorskip("zxingcpp")


def _decoded(pdf: bytes) -> list[list[tuple[str, str]]]:
    """Each page rendered at 300 dpi and the barcodes a scanner library reads on it."""
    doc = pdfium.PdfDocument(pdf)
    try:
        pages = []
        for i in range(len(doc)):
            image = doc[i].render(scale=300 / 72).to_pil()
            pages.append(sorted((r.format.name, r.text) for r in zxingcpp.read_barcodes(image)))
        return pages
    finally:
        doc.close()


@pytest.fixture
def goods(session):
    candle = make_product(session, name="Свеча «Лаванда» ароматическая в стеклянном стакане", price_minor=45000)
    catalog.update_variant(session, actor=SYSTEM, variant_id=candle.variants[0].id, barcode="4006381333931")
    cheese = make_product(session, name="Сыр гауда", price_minor=123450)
    catalog.update_variant(session, actor=SYSTEM, variant_id=cheese.variants[0].id, sku="CHEESE-GOUDA", unit="kg")
    small = make_product(session, name="Саше", price_minor=9900)
    catalog.update_variant(session, actor=SYSTEM, variant_id=small.variants[0].id, barcode="96385074")
    return candle.variants[0].id, cheese.variants[0].id, small.variants[0].id


@pytest.mark.parametrize("size", ["58x40", "43x25"])
def test_roll_labels_print_one_label_a_page_and_scan_back_to_their_codes(session, goods, size):
    candle, cheese, small = goods
    manager = make_staff(session, Role.manager).actor()
    # when two copies of the candle, the cheese and the sachet are printed
    pdf = labels.labels_pdf(session, actor=manager, size=size, items=[
        labels.LabelItem(variant_id=candle, copies=2), labels.LabelItem(variant_id=cheese),
        labels.LabelItem(variant_id=small)])
    # then each page is one label whose barcode reads back as the variant's code
    assert _decoded(pdf) == [[("EAN13", "4006381333931")], [("EAN13", "4006381333931")],
                             [("Code128", "CHEESE-GOUDA")], [("EAN8", "96385074")]]


def test_an_a4_sheet_holds_24_labels(session, goods):
    candle, cheese, _ = goods
    pdf = labels.labels_pdf(session, actor=SYSTEM, size="a4_3x8", items=[
        labels.LabelItem(variant_id=candle, copies=23), labels.LabelItem(variant_id=cheese, copies=2)])
    pages = _decoded(pdf)
    assert len(pages) == 2
    assert pages[0].count(("EAN13", "4006381333931")) == 23 and pages[0].count(("Code128", "CHEESE-GOUDA")) == 1
    assert pages[1] == [("Code128", "CHEESE-GOUDA")]


def test_the_label_says_the_price_and_per_kg_for_goods_sold_by_weight(session, goods):
    candle, cheese, _ = goods
    rows = labels.label_rows(session, actor=SYSTEM, items=[labels.LabelItem(variant_id=cheese),
                                                          labels.LabelItem(variant_id=candle)])
    assert [r.price for r in rows] == ["1\u00a0234,50\u00a0₽ / кг", "450\u00a0₽"]


@pytest.mark.parametrize(("items", "size", "code"), [
    ([], "58x40", "catalog.labels_none"),
    ([{"variant_id": 1, "copies": 0}], "58x40", "catalog.labels_copies"),
    ([{"variant_id": 1, "copies": 201}], "58x40", "catalog.labels_copies"),
    ([{"variant_id": 999999, "copies": 1}], "58x40", "catalog.labels_none"),
    ([{"variant_id": 1, "copies": 1}], "100x100", "catalog.labels_size"),
])
def test_a_request_that_cannot_print_is_refused(session, goods, items, size, code):
    items = [labels.LabelItem(**{**i, "variant_id": goods[0] if i["variant_id"] == 1 else i["variant_id"]})
             for i in items]
    with pytest.raises(DomainError) as err:
        labels.labels_pdf(session, actor=SYSTEM, items=items, size=size)
    assert err.value.code == code


def test_a_seller_may_not_print_labels(session, goods):
    seller = make_staff(session, Role.seller).actor()
    with pytest.raises(DomainError):
        labels.labels_pdf(session, actor=seller, items=[labels.LabelItem(variant_id=goods[0])])


def test_variants_to_label_are_found_by_name_sku_or_barcode(session, goods):
    assert [p.code for p in labels.find_variants(session, actor=SYSTEM, query="СЫР")] == ["CHEESE-GOUDA"]
    assert [p.variant_id for p in labels.find_variants(session, actor=SYSTEM, query="4006381333931")] == [goods[0]]
