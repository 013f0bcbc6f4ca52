"""The QR payment card: the code scans to exactly the payment URI, and the text on it is readable."""

from __future__ import annotations

import io
import logging
import random
import string
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import qrcode  # type: ignore[import-untyped]  # qrcode ships no type information
import zxingcpp
from PIL import Image, ImageDraw

from media import fonts, payment_card
from media.fonts import Style, font_for
from media.payment_card import PaymentCard, fit_text, qr_matrix, render_payment_card, shorten_address, wrap_text

BTC_ADDRESS = "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"  # BIP84 test vector m/84'/0'/0'/0/0
DEAD = "0x000000000000000000000000000000000000dEaD"
BIP21 = f"bitcoin:{BTC_ADDRESS}?amount=0.00123456&label=Shop&message=Order%2042"
EIP681_NATIVE = f"ethereum:{DEAD}@1?value=12345000000000000"
EIP681_ERC20 = f"ethereum:0xdAC17F958D2ee523a2206206994597C13D831ec7@1/transfer?address={DEAD}&uint256=12500000"

EN_LABELS = {"amount": "Amount", "network": "Network", "address": "Address", "expires": "Expires"}
JA_LABELS = {"amount": "金額", "network": "ネットワーク", "address": "送金先アドレス", "expires": "有効期限"}

BTC_CARD = PaymentCard(uri=BIP21, amount="0.00123456 BTC", network="Bitcoin network only", address=BTC_ADDRESS,
                       expires="Pay by 14:30 (JST)", shop_name="Sakura Goods", title="Order #42", labels=EN_LABELS)
ETH_CARD = PaymentCard(uri=EIP681_NATIVE, amount="0.012345 ETH", network="ETH on Ethereum only", address=DEAD,
                       expires="Pay by 14:30 (JST)", shop_name="Sakura Goods", title="Order #43", labels=EN_LABELS)
USDT_CARD = PaymentCard(uri=EIP681_ERC20, amount="12.500001 USDT", network="USDT on Ethereum only", address=DEAD,
                        expires="Pay by 14:30 (JST)", shop_name="Sakura Goods", title="Order #44", labels=EN_LABELS)
JA_CARD = PaymentCard(uri=EIP681_ERC20, amount="12.500001 USDT", network="Ethereum ネットワークの USDT のみ",
                      address=DEAD, expires="14:30 までにお支払いください", shop_name="さくら雑貨店",
                      title="ご注文 #42", labels=JA_LABELS)
LONG_NAME_CARD = replace(BTC_CARD, shop_name="Sakura Goods & Handmade Ceramics of Arita " * 5,
                         title="Order #1234567 " * 12)
assert len(LONG_NAME_CARD.shop_name) >= 200

CARDS = {"bip21-btc": BTC_CARD, "eip681-eth": ETH_CARD, "eip681-usdt": USDT_CARD, "japanese": JA_CARD,
         "200-char-shop-name": LONG_NAME_CARD}

needs_cjk_font = pytest.mark.skipif(fonts.cjk_font() is None,
                                    reason="no CJK font on this machine (scripts/setup.sh installs "
                                           "fonts-ipaexfont-gothic when run as root)")


def decode(png: bytes) -> str:
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert results, "no QR code found on the card"
    return str(results[0].text)


@pytest.mark.parametrize("card", CARDS.values(), ids=CARDS.keys())
def test_the_qr_code_scans_to_exactly_the_payment_uri(card: PaymentCard) -> None:
    assert decode(render_payment_card(card)) == card.uri


def test_a_long_uri_grows_the_code_and_still_scans() -> None:
    uri = f"bitcoin:{BTC_ADDRESS}?amount=0.00123456&label={'Sakura%20Goods%20' * 12}&message={'Order%2042%20' * 20}"
    card = replace(BTC_CARD, uri=uri)

    assert len(qr_matrix(uri)) > len(qr_matrix(BIP21))
    assert decode(render_payment_card(card)) == uri


def test_the_card_is_a_phone_sized_png() -> None:
    png = render_payment_card(JA_CARD)

    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.width == 720
    assert 700 <= image.height <= 1200
    assert len(png) < 150_000
    image.verify()


def test_rendering_is_deterministic() -> None:
    first = render_payment_card(USDT_CARD)
    payment_card._text_mask.cache_clear()  # a cold text cache draws the same pixels as a warm one

    assert render_payment_card(USDT_CARD) == first
    assert render_payment_card(replace(USDT_CARD, title="Order #45")) != first


def test_the_qr_code_is_large_with_a_quiet_zone() -> None:
    matrix = qr_matrix(EIP681_ERC20)
    quiet = payment_card.QR_BORDER

    assert not any(matrix[quiet - 1]) and not any(row[quiet - 1] for row in matrix)  # light border all round
    assert matrix[quiet][quiet]  # the finder pattern starts right inside it
    assert 380 <= payment_card.qr_image(EIP681_ERC20).width <= 460


@pytest.mark.parametrize("length", [1, 17, 60, 98, 130, 250, 420, 900])
def test_the_fast_encoder_makes_the_matrix_qrcode_makes(length: int) -> None:
    rng = random.Random(length)
    data = "".join(rng.choice(string.ascii_letters + string.digits * 3 + ":/?&=.%-金") for _ in range(length))
    reference = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=payment_card.QR_BORDER)
    reference.add_data(data)
    reference.make(fit=True)

    assert qr_matrix(data) == reference.get_matrix()


def test_the_address_is_shortened_in_the_middle() -> None:
    assert shorten_address(BTC_ADDRESS) == "bc1qcr8te4…8z306fyu"
    assert shorten_address(DEAD) == "0x00000000…0000dEaD"
    assert shorten_address("short-address") == "short-address"


def test_long_text_is_ellipsized_to_fit() -> None:
    font = font_for(LONG_NAME_CARD.shop_name, 28, Style.BOLD).font

    fitted = fit_text(LONG_NAME_CARD.shop_name, font, 640)
    assert fitted.endswith("…") and LONG_NAME_CARD.shop_name.startswith(fitted[:-1])
    assert 600 < font.getlength(fitted) <= 640
    assert fit_text("Sakura Goods", font, 640) == "Sakura Goods"


def test_values_wrap_at_spaces_and_ellipsize_past_the_last_line() -> None:
    font = font_for("Pay by", 28).font

    assert wrap_text("Pay by 14:30 (JST)", font, 640, 2) == ["Pay by 14:30 (JST)"]
    lines = wrap_text("Send only USDT on the Ethereum network to this address " * 3, font, 400, 2)
    assert len(lines) == 2
    assert lines[0].startswith("Send only") and not lines[0].endswith(" ")
    assert lines[1].endswith("…")
    assert all(font.getlength(line) <= 400 for line in lines)


def test_missing_labels_leave_their_place_empty() -> None:
    assert decode(render_payment_card(replace(BTC_CARD, labels={}))) == BIP21


@needs_cjk_font
def test_japanese_text_is_drawn_in_the_cjk_font() -> None:
    cjk = fonts.cjk_font()
    assert cjk is not None

    assert getattr(font_for(JA_CARD.network, 28).font, "path", None) == str(cjk.path)
    assert getattr(font_for("USDT on Ethereum only", 28).font, "path", None) != str(cjk.path)


@needs_cjk_font
def test_japanese_glyphs_render_rather_than_tofu() -> None:
    font = font_for(JA_CARD.labels["amount"], 48).font

    def glyph(char: str) -> bytes:
        image = Image.new("L", (64, 64), 0)
        ImageDraw.Draw(image).text((8, 4), char, font=font, fill=255)
        return image.tobytes()

    kin, gaku, missing = glyph("金"), glyph("額"), glyph("\U0010fffd")  # a code point no font has a glyph for
    assert any(kin) and any(gaku)
    assert len({kin, gaku, missing}) == 3


@pytest.fixture
def no_fonts_installed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setattr(fonts, "CJK_REGULAR", (fonts.FontFile(tmp_path / "missing.ttf"),))
    monkeypatch.setattr(fonts, "CJK_BOLD", ())
    monkeypatch.setattr(fonts, "_fc_match_japanese", lambda: None)
    monkeypatch.setattr(fonts, "LATIN", {style: fonts.FontFile(tmp_path / "missing.ttf") for style in Style})
    fonts.clear_caches()
    yield
    monkeypatch.undo()
    fonts.clear_caches()


@pytest.mark.usefixtures("no_fonts_installed")
def test_without_any_font_file_a_card_still_renders_and_scans(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="media.fonts"):
        png = render_payment_card(JA_CARD)

    assert decode(png) == JA_CARD.uri
    assert fonts.cjk_font() is None
    assert any("no CJK font" in record.getMessage() for record in caplog.records)
    assert any("DejaVu" in record.getMessage() for record in caplog.records)
