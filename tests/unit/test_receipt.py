"""The receipt / qualified invoice image: a phone-sized PNG and a one-page PDF of the same drawing."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, PdfParser

from media import drawing, fonts
from media.receipt import (
    MAX_LINES,
    Receipt,
    ReceiptLine,
    render_receipt_pdf,
    render_receipt_png,
    shorten_long_words,
)

TX = "0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060"
TELEGRAM_PHOTO_HEIGHT_MAX = 10_000 - 720  # a chat photo's width + height may not pass 10,000 px

JA = Receipt(
    title="適格請求書", shop_name="さくら雑貨店", registration="登録番号 T1234567890123", number="No. 42",
    issued="2025年4月1日", customer="山田太郎 様",
    lines=(ReceiptLine("有田焼 マグカップ（藍）", "¥1,200 × 2", "¥2,400"),
           ReceiptLine("抹茶 100g", "¥1,080 × 1  ※", "¥1,080"),
           ReceiptLine("手作り陶器セット 湯呑み 急須 小皿 五枚組 桐箱入り 贈答用 熨斗対応", "¥12,000 × 1", "¥12,000")),
    summary=(("小計", "¥15,480"), ("割引 (SPRING10)", "−¥1,548"), ("送料 (本州)", "¥800"), ("合計", "¥14,732")),
    taxes=(("10%対象 ¥13,652", "内消費税 ¥1,241"), ("8%対象 ¥1,080", "内消費税 ¥80")),
    total_label="ご請求金額", total="¥14,732",
    footer=("お支払い方法: USDT (Ethereum)", f"Tx: {TX}", "※は軽減税率(8%)対象"),
    more_lines="… ほか {count} 件",
)
EN = Receipt(
    title="Receipt", shop_name="Sakura Goods", registration="", number="No. 43", issued="1 April 2025",
    customer="Taro Yamada",
    lines=(ReceiptLine("Arita mug, blue glaze", "$12.00 × 2", "$24.00"),
           ReceiptLine("Matcha 100 g", "$9.00 × 1  ※", "$9.00")),
    summary=(("Subtotal", "$33.00"), ("Shipping", "$5.00"), ("Total", "$38.00")),
    taxes=(("10% items $29.00", "incl. tax $2.64"), ("8% items $9.00", "incl. tax $0.67")),
    total_label="Total paid", total="$38.00",
    footer=("Paid with USDT on Ethereum", f"Tx: {TX}", "※ reduced rate (8%)"),
    more_lines="… and {count} more",
)

needs_cjk_font = pytest.mark.skipif(fonts.cjk_font() is None,
                                    reason="no CJK font on this machine (scripts/setup.sh installs "
                                           "fonts-ipaexfont-gothic when run as root)")


def png_size(receipt: Receipt) -> tuple[int, int]:
    image = Image.open(io.BytesIO(render_receipt_png(receipt)))
    assert image.format == "PNG"
    return image.size


def with_lines(receipt: Receipt, count: int) -> Receipt:
    lines = tuple(ReceiptLine(f"Arita mug #{index}", "$12.00 × 1", "$12.00") for index in range(count))
    return replace(receipt, lines=lines)


@pytest.mark.parametrize("receipt", [JA, EN], ids=["ja", "en"])
def test_a_receipt_is_a_phone_sized_portrait_png(receipt: Receipt) -> None:
    png = render_receipt_png(receipt)

    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.width == 720
    assert 800 <= image.height <= 1600
    assert len(png) < 150_000
    image.verify()


def test_the_image_grows_with_the_lines() -> None:
    heights = [png_size(with_lines(EN, count))[1] for count in (0, 1, 5, 20)]

    assert heights == sorted(set(heights))


def test_past_the_cap_the_image_stops_growing_and_says_how_many_are_left_out() -> None:
    capped = with_lines(EN, MAX_LINES + 1)
    many = with_lines(EN, MAX_LINES + 140)

    assert png_size(capped)[1] > png_size(with_lines(EN, MAX_LINES))[1]  # the "… and 1 more" row
    assert png_size(many) == png_size(capped)
    assert png_size(many)[1] <= TELEGRAM_PHOTO_HEIGHT_MAX
    # Only the count differs: "… and 1 more" against "… and 140 more".
    assert render_receipt_png(many) != render_receipt_png(capped)


def test_the_total_is_drawn() -> None:
    other = replace(JA, total="¥14,733")

    assert png_size(other) == png_size(JA)
    assert render_receipt_png(other) != render_receipt_png(JA)


def test_rendering_is_deterministic() -> None:
    first = render_receipt_png(JA)
    drawing.text_mask.cache_clear()  # a cold text cache draws the same pixels as a warm one

    assert render_receipt_png(JA) == first
    assert render_receipt_pdf(JA) == render_receipt_pdf(JA)  # no creation date in the PDF


@pytest.mark.parametrize("receipt", [JA, EN], ids=["ja", "en"])
def test_the_pdf_is_one_page_of_the_same_drawing(receipt: Receipt) -> None:
    pdf = render_receipt_pdf(receipt)

    assert pdf.startswith(b"%PDF")
    parsed = PdfParser.PdfParser(buf=pdf)
    assert len(parsed.pages) == 1
    left, bottom, right, top = parsed.read_indirect(parsed.pages[0])[b"MediaBox"]
    width, height = png_size(receipt)
    assert right - left == pytest.approx(595.3, abs=1)  # as wide as A4
    assert (top - bottom) / (right - left) == pytest.approx(height / width)


def test_long_ids_in_the_footer_are_shortened_in_the_middle() -> None:
    assert shorten_long_words(f"Tx: {TX}") == "Tx: 0x5c504ed4…a1b22060"
    assert shorten_long_words("bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu") == "bc1qcr8te4…8z306fyu"
    assert shorten_long_words("※は軽減税率(8%)対象の商品です。ご購入ありがとうございました。") == (
        "※は軽減税率(8%)対象の商品です。ご購入ありがとうございました。")
    assert shorten_long_words("Paid with USDT on Ethereum") == "Paid with USDT on Ethereum"


def test_two_ids_that_differ_only_in_the_middle_look_the_same_on_the_receipt() -> None:
    middle = TX[:20] + "ffff" + TX[24:]
    end = TX[:-4] + "ffff"

    assert render_receipt_png(replace(EN, footer=(f"Tx: {middle}",))) == render_receipt_png(
        replace(EN, footer=(f"Tx: {TX}",)))
    assert render_receipt_png(replace(EN, footer=(f"Tx: {end}",))) != render_receipt_png(
        replace(EN, footer=(f"Tx: {TX}",)))


def test_without_registration_number_or_customer_the_receipt_is_shorter() -> None:
    bare = replace(JA, registration="", customer="")

    assert png_size(replace(JA, registration=""))[1] < png_size(JA)[1]
    assert png_size(replace(JA, customer=""))[1] < png_size(JA)[1]
    assert png_size(bare)[0] == 720


def test_a_long_line_title_wraps_onto_two_lines_then_is_ellipsized() -> None:
    def height_with_title(title: str) -> int:
        return png_size(replace(EN, lines=(ReceiptLine(title, "$12.00 × 1", "$12.00"),)))[1]

    short = height_with_title("Arita mug")
    two_lines = height_with_title("Arita mug with a hand-thrown blue glaze and a gold rim " * 2)
    very_long = height_with_title("Arita mug with a hand-thrown blue glaze and a gold rim " * 20)
    assert short < two_lines == very_long


def test_an_empty_receipt_still_renders() -> None:
    empty = Receipt(title="", shop_name="", registration="", number="", issued="", customer="", lines=(),
                    summary=(), taxes=(), total_label="", total="")

    assert png_size(empty)[0] == 720
    assert render_receipt_pdf(empty).startswith(b"%PDF")


def test_the_fullest_receipt_stays_within_a_chat_photo() -> None:
    text = "長い言葉 long words " * 12
    fullest = Receipt(title=text, shop_name=text, registration=text, number=text, issued=text, customer=text,
                      lines=(ReceiptLine(text, text, text),) * 100, summary=((text, text),) * 30,
                      taxes=((text, text),) * 30, total_label=text, total=text, footer=(text,) * 30,
                      more_lines=text)

    assert png_size(fullest)[1] <= TELEGRAM_PHOTO_HEIGHT_MAX


@needs_cjk_font
def test_japanese_characters_are_drawn_as_glyphs_not_empty_boxes() -> None:
    # Two different characters that a font lacks are drawn as the same box: the images would be equal.
    assert render_receipt_png(replace(JA, title="領収書")) != render_receipt_png(replace(JA, title="請求書"))
    assert render_receipt_png(replace(JA, customer="山田 様")) != render_receipt_png(replace(JA, customer="川田 様"))


NASTY = st.sampled_from([
    "", " ", "\t\n", "😀🛍️👩‍👩‍👧", "שלום עולם", "مرحبا بالعالم", "a" * 300, "Ⅻ" * 80, "\u200b\u200f\u202e",
    "e\u0301", "🇯🇵" * 30, "ｶﾀｶﾅ", "﷽", TX * 3, "{count}", "{", "\\", "(", "\x00",
])
TEXT = st.one_of(NASTY, st.text(max_size=120), st.text(alphabet=st.characters(codec="utf-8"), max_size=40))


@given(receipt=st.builds(
    Receipt, title=TEXT, shop_name=TEXT, registration=TEXT, number=TEXT, issued=TEXT, customer=TEXT,
    lines=st.lists(st.builds(ReceiptLine, TEXT, TEXT, TEXT), max_size=4).map(tuple),
    summary=st.lists(st.tuples(TEXT, TEXT), max_size=3).map(tuple),
    taxes=st.lists(st.tuples(TEXT, TEXT), max_size=2).map(tuple),
    total_label=TEXT, total=TEXT, footer=st.lists(TEXT, max_size=3).map(tuple), more_lines=TEXT,
))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_text_renders_without_raising(receipt: Receipt) -> None:
    width, height = png_size(receipt)

    assert width == 720 and 0 < height <= TELEGRAM_PHOTO_HEIGHT_MAX
    assert render_receipt_pdf(receipt).startswith(b"%PDF")
