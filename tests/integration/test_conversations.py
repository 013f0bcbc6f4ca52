"""Conversation state in the database: survives a restart, shared by processes, forgotten when finished."""

from __future__ import annotations

from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import func, select

from bots.telegram.fsm_storage import DatabaseStorage
from commerce.conversations import ConversationStore
from commerce.shop import Shop
from commerce.storage.tables import ConversationState

KEY = StorageKey(bot_id=42, chat_id=555, user_id=555)


async def rows(shop: Shop) -> int:
    async with shop.db.uow(write=False) as uow:
        return (await uow.session.execute(select(func.count()).select_from(ConversationState))).scalar_one()


async def test_state_and_data_survive_a_restart_and_vanish_when_the_conversation_ends(shop: Shop) -> None:
    first = DatabaseStorage(ConversationStore(shop.db))
    await first.set_state(KEY, "Checkout:address")
    await first.update_data(KEY, {"order": 7, "note": "置き配希望"})

    restarted = DatabaseStorage(ConversationStore(shop.db))       # a new process, same database
    assert await restarted.get_state(KEY) == "Checkout:address"
    assert await restarted.get_data(KEY) == {"order": 7, "note": "置き配希望"}
    assert await restarted.get_state(StorageKey(bot_id=42, chat_id=556, user_id=556)) is None

    await restarted.set_state(KEY, None)
    await restarted.set_data(KEY, {})
    assert (await restarted.get_state(KEY), await restarted.get_data(KEY)) == (None, {})
    assert await rows(shop) == 0


async def test_a_polling_bot_remembers_conversations_and_still_writes_every_change(shop: Shop) -> None:
    polling = DatabaseStorage(ConversationStore(shop.db), sole_writer=True)
    assert await polling.get_state(KEY) is None  # remembered as "no conversation"
    await polling.set_state(KEY, "Checkout:address")
    await polling.update_data(KEY, {"order": 7, "lines": [1, 2]})
    assert await polling.get_state(KEY) == "Checkout:address"
    data = await polling.get_data(KEY)
    data["lines"].append(3)  # a handler changing its copy changes nothing stored
    assert await polling.get_data(KEY) == {"order": 7, "lines": [1, 2]}

    restarted = DatabaseStorage(ConversationStore(shop.db), sole_writer=True)
    assert (await restarted.get_state(KEY), await restarted.get_data(KEY)) == (
        "Checkout:address", {"order": 7, "lines": [1, 2]})
    await restarted.set_state(KEY, None)
    await restarted.set_data(KEY, {})
    assert (await restarted.get_state(KEY), await restarted.get_data(KEY)) == (None, {})
    assert await rows(shop) == 0


async def test_erasing_a_customer_drops_every_conversation_of_theirs_and_no_one_elses(shop: Shop) -> None:
    storage = DatabaseStorage(ConversationStore(shop.db))
    theirs = [StorageKey(bot_id=42, chat_id=555, user_id=555),
              StorageKey(bot_id=42, chat_id=-100777, user_id=555, thread_id=9)]  # in a group's topic
    others = [StorageKey(bot_id=42, chat_id=5551, user_id=5551), StorageKey(bot_id=555, chat_id=1, user_id=1),
              StorageKey(bot_id=42, chat_id=-100777, user_id=1555)]
    for key in theirs + others:
        await storage.set_state(key, "Checkout:method")
    customer = await shop.customers.identify("telegram", 555)
    await shop.customers.erase(customer.id)
    assert [await storage.get_state(key) for key in theirs] == [None, None]
    assert [await storage.get_state(key) for key in others] == ["Checkout:method"] * 3
