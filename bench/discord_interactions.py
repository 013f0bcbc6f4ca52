"""Discord interactions per second through the full stack, against a bare discord.py handler on the same
harness (simcord: the real discord.py client with an in-memory Discord; no network).

Usage: python -m bench.discord_interactions [--cycles 300] [--products 1000] [--users 50]

Each cycle is what a buyer does: `/shop` (categories), `/product <id>` (a card: embed, buttons, the product
read from the catalog) and a click on "Add to cart" (a write). The bare bot has the same two slash commands
and a persistent button, each answering with a fixed message. Target (issue 5): ≤ 3× the bare cost.
Both wall-clock interactions/s and CPU time per interaction are reported: simcord settles every action by
waiting for the loop to go idle in real time, which bounds the wall-clock rate for both bots alike.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import tempfile
import time
from pathlib import Path
from typing import Any

import discord
import simcord
from discord.ext import commands

from bench._common import fresh_shop, products_of
from bench.catalog import fill
from bots.config import parse_settings
from bots.discord.app import build_bot
from bots.i18n import Translator


class BareButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"bare:(?P<id>[0-9]+)"):
    def __init__(self, product_id: int) -> None:
        super().__init__(discord.ui.Button(label="Add", custom_id=f"bare:{product_id}"))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: discord.ui.Button[Any],
                             match: re.Match[str]) -> BareButton:
        return cls(int(match["id"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_message("added", ephemeral=True)


class BareBot(commands.Bot):
    def __init__(self) -> None:
        super().__init__(command_prefix=commands.when_mentioned, intents=discord.Intents(guilds=True))

        @self.tree.command(name="shop", description="Browse")
        async def shop(interaction: discord.Interaction[Any]) -> None:
            await interaction.response.send_message("categories", ephemeral=True)

        @self.tree.command(name="product", description="A product")
        async def product(interaction: discord.Interaction[Any], name: str) -> None:
            view = discord.ui.View(timeout=None)
            view.add_item(BareButton(int(name)))
            await interaction.response.send_message(embed=discord.Embed(title=name), view=view, ephemeral=True)

    async def setup_hook(self) -> None:
        self.add_dynamic_items(BareButton)
        await self.tree.sync()


async def run(bot: commands.Bot, products: list[int], cycles: int, users: int, add_prefix: str
              ) -> tuple[float, float]:
    """(interactions per wall-clock second, CPU milliseconds per interaction)."""
    async with simcord.run(bot) as env:
        channel = env.create_guild("Bench").create_text_channel("shop")
        members = [env.guild.add_member(env.create_user(f"buyer{n}")) for n in range(users)]

        async def cycle(n: int) -> None:
            member = members[n % users]
            await member.slash(channel, "shop")
            card = await member.slash(channel, "product", name=str(products[(n * 7919) % len(products)]))
            assert card.response is not None
            add = next(child["custom_id"] for row in card.response.components for child in row["components"]
                       if child.get("custom_id", "").startswith(add_prefix))
            await member.click(card.response, custom_id=add)

        for n in range(10):  # warm-up: first-use costs (statement caches, command tree)
            await cycle(n)
        start, cpu = time.perf_counter(), time.process_time()
        for n in range(cycles):
            await cycle(n)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return cycles * 3 / elapsed, cpu * 1000 / (cycles * 3)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cycles", type=int, default=300)
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--users", type=int, default=50)
    args = parser.parse_args()

    translator = Translator.load()
    async with fresh_shop("sqlite") as shop:
        await fill(shop, args.products)
        products = [product_id for product_id, _ in await products_of(shop, args.products)]
        with tempfile.TemporaryDirectory() as folder:
            settings = parse_settings('[shop]\nname = "Bench Shop"\ndefault_locale = "en"\n[discord]\nenabled = true\n',
                                      Path(folder), {})
            bare_rate, bare_cpu = await run(BareBot(), products, args.cycles, args.users, "bare:")
            full_rate, full_cpu = await run(build_bot(shop, translator, settings), products, args.cycles, args.users,
                                  "cs:add:")
    print(f"{args.cycles * 3} interactions (/shop, /product, Add to cart), {args.products} products, "
          f"{args.users} buyers (SQLite, simcord)")
    print(f"  bare discord.py : {bare_rate:6.1f} interactions/s, {bare_cpu:6.2f} CPU ms each")
    print(f"  full stack      : {full_rate:6.1f} interactions/s, {full_cpu:6.2f} CPU ms each")
    print(f"  full / bare     : {bare_rate / full_rate:.1f}× wall time, {full_cpu / bare_cpu:.1f}× CPU   (target ≤ 3×)")
    print("  (wall time is mostly simcord settling each action in real time; CPU time is the work done)")


if __name__ == "__main__":
    asyncio.run(main())
