"""A buyer's address never lies in clear in the shop's files, and /privacy erase leaves no copy of it.

The whole Telegram journey runs on the production conversation storage (the database): type an address,
save it, order, write to support, take backups along the way, erase. Then every file under the shop's
folder — the database, its -wal and -shm, the backups, the log — is read byte by byte for the address
and the support message; the live database files also for the encrypted copies the shop held before.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiogram import Dispatcher
from sqlalchemy import select
from teremok import MockBot

from bots.cli.main import main
from bots.i18n import Translator
from bots.telegram import build_dispatcher
from bots.telegram.fsm_storage import DatabaseStorage
from commerce.conversations import ConversationStore
from commerce.shop import Shop
from commerce.storage.tables import Address, ConversationState, Order, SupportMessage
from payments.requests import PaymentService
from tests.bots.conftest import SHOP_NAME, TERMS
from tests.bots.telegram_chat import recording_bot
from tests.bots.test_telegram_checkout import ADDRESS_TEXT, ShopChat, photos
from tests.support.factories import make_product

# What must never be found in clear: pieces of the typed address, and what the buyer told support.
ADDRESS_PIECES = ("Hana Sato", "神宮前1-2-3 Sakura Bldg 101", "03-1234-5678")
SUPPORT_TEXT = "Please leave the parcel behind the blue door of the tea house"


@pytest.fixture
def dispatcher(shop: Shop, translator: Translator, payments: PaymentService) -> Dispatcher:
    """As `chatshop run` builds it for long polling: conversations in the database, remembered in memory."""
    return build_dispatcher(shop, translator, shop_name=SHOP_NAME, terms=TERMS, default_locale="ja",
                            payments=payments, storage=DatabaseStorage(ConversationStore(shop.db), sole_writer=True))


@pytest.fixture
def telegram(dispatcher: Dispatcher) -> MockBot:
    return recording_bot(dispatcher)


@pytest.fixture
def shop_log(tmp_path: Path) -> Iterator[Path]:
    """Everything the shop logs (every logger, every level) goes into a file in the shop's folder."""
    path = tmp_path / "logs" / "shop.log"
    path.parent.mkdir()
    handler = logging.FileHandler(path, encoding="utf-8")
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield path
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        handler.close()


def backup(shop: Shop, folder: Path, name: str) -> None:
    """`chatshop backup` of this shop's SQLite database into `folder/backups`."""
    config = folder / "bot.toml"
    config.write_text(f'[shop]\nname = "Test"\n[database]\nurl = "{shop.db.url}"\n[telegram]\nenabled = false\n',
                      encoding="utf-8")
    assert main(["backup", str(folder / "backups" / name), "--config", str(config)]) == 0


async def state_rows(shop: Shop) -> list[str]:
    async with shop.db.uow(write=False) as uow:
        rows = (await uow.session.execute(select(ConversationState))).scalars()
        return [f"{row.key} {row.state} {row.data}" for row in rows]


async def sealed_copies(shop: Shop) -> list[bytes]:
    """The encrypted forms of the buyer's data the database holds now (saved address, the order's copy)."""
    async with shop.db.uow(write=False) as uow:
        addresses = (await uow.session.execute(select(Address.ciphertext))).scalars().all()
        shipping = (await uow.session.execute(select(Order.shipping_ciphertext))).scalars().all()
    return [bytes(token) for token in [*addresses, *shipping] if token]


def files_holding(folder: Path, needles: list[bytes]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        hits = [needle.decode(errors="replace")[:40] for needle in needles if needle in data]
        if hits:
            found[str(path.relative_to(folder))] = hits
    return found


def leftovers(folder: Path, database: Path, sealed: list[bytes], log: Path) -> dict[str, list[str]]:
    """Which files still hold the buyer's data: the address in clear anywhere, what they told support outside the
    backups taken before the erase, or the sealed copies in the live database files."""
    assert log.stat().st_size > 0  # the log did record the journey (and is scanned with the rest)
    found = files_holding(folder, [piece.encode() for piece in ADDRESS_PIECES])
    # A backup taken before the erase keeps what the shop held then: the support message, but no address.
    found |= {name: hits for name, hits in files_holding(folder, [SUPPORT_TEXT.encode()]).items()
              if not name.startswith("backups/")}
    live = [database.with_name(database.name + suffix) for suffix in ("", "-wal", "-shm")]
    for path in live:
        hits = [token.decode()[:20] for token in sealed if path.exists() and token in path.read_bytes()]
        if hits:
            found.setdefault(f"{path.name} (sealed)", hits)
    return found


async def test_a_typed_address_is_never_stored_in_clear_and_erase_leaves_no_copy_in_any_file(
        shop: Shop, owner: int, telegram: MockBot, translator: Translator, tmp_path: Path, shop_log: Path) -> None:
    sqlite = shop.db.is_sqlite
    chat = ShopChat(telegram, 880_001, language_code="en")
    product = await make_product(shop, owner, title="Tea cup", stock=5)
    await chat.send(f"/start p_{product.id}")
    await chat.press(translator.text("en", "button.add_to_cart"))
    await chat.send("/checkout")
    await chat.send(ADDRESS_TEXT)

    # Half-way through checkout the conversation holds the address, but only sealed.
    [row] = await state_rows(shop)
    assert not [piece for piece in ADDRESS_PIECES if piece in row], row
    if sqlite:
        backup(shop, tmp_path, "mid-checkout.db")

    await chat.press(translator.text("en", "button.save_address"))
    await chat.press("USDT (Ethereum)")
    assert photos(await chat.press(translator.text("en", "button.confirm_order")))
    await chat.send("/support")
    await chat.send(SUPPORT_TEXT)
    sealed = await sealed_copies(shop)
    assert len(sealed) == 2  # the saved address and the order's own copy
    if sqlite:
        backup(shop, tmp_path, "after-order.db")

    await chat.send("/privacy")
    await chat.press("Erase")
    await chat.press("Yes")

    assert await state_rows(shop) == [] and await sealed_copies(shop) == []
    async with shop.db.uow(write=False) as uow:
        assert (await uow.session.execute(select(SupportMessage.text))).scalars().all() == ["[erased]"]
    if not sqlite:  # PostgreSQL's files belong to the server: what SQL can see is checked above
        return
    async with shop.db.engine.connect() as connection:
        # Debian builds SQLite with secure_delete on by default; other builds (python.org, macOS) don't.
        assert (await connection.exec_driver_sql("PRAGMA secure_delete")).scalar() == 1
    assert leftovers(tmp_path, Path(shop.db.url.split("///", 1)[1]), sealed, shop_log) == {}
