"""`chatshop doctor` against real things: a SQLite file, the fake Bot API server, anvil, a closed port."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.integration.test_cli import chatshop, shop_dir
from tests.support.anvil import Anvil
from tests.support.fake_bot_api import FakeBotApi
from tests.support.litecoind import LitecoinNode

TOKEN = "123456789:AAE-test-token-for-the-fake-bot-api-server"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def add(folder: Path, text: str) -> None:
    config = folder / "bot.toml"
    config.write_text(config.read_text(encoding="utf-8") + text, encoding="utf-8")


def evm_method(rpc_url: str, chain_id: int = 31337) -> str:
    return f"""
[rates.fixed]
ETH = "450000"
[[payments.methods]]
id = "eth"
chain = "evm"
chain_id = {chain_id}
rpc_url = "{rpc_url}"
asset = "ETH"
decimals = 18
receive_address = "0x00000000000000000000000000000000c0ffee01"
confirmations = 1
"""


def test_a_fresh_folder_is_reported_without_creating_anything(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    folder = shop_dir(tmp_path)
    monkeypatch.chdir(folder)
    monkeypatch.delenv("CHATSHOP_DATA_KEY", raising=False)

    assert chatshop(folder, "doctor") == 0
    out = capsys.readouterr().out
    assert "does not exist yet" in out and "chatshop init" in out
    assert "CHATSHOP_DATA_KEY is not set" in out
    assert "no [[payments.methods]]" in out
    assert not (folder / "data" / "shop.db").exists()  # doctor looks, never changes


async def test_a_migrated_shop_with_telegram_and_a_chain_is_all_green(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, anvil: Anvil) -> None:
    folder = shop_dir(tmp_path)
    monkeypatch.chdir(folder)
    monkeypatch.setenv("CHATSHOP_DATA_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    api = FakeBotApi(TOKEN)
    url = await api.start()
    try:
        add(folder, evm_method(anvil.url))
        text = (folder / "bot.toml").read_text(encoding="utf-8")
        (folder / "bot.toml").write_text(text.replace("[telegram]\nenabled = false",
                                                      f'[telegram]\nenabled = true\napi_url = "{url}"'),
                                         encoding="utf-8")
        # Each command runs its own event loop, as from a shell; the fake Bot API keeps serving on this one.
        assert await asyncio.to_thread(chatshop, folder, "migrate") == 0
        capsys.readouterr()
        code = await asyncio.to_thread(chatshop, folder, "doctor")
        out = capsys.readouterr().out
    finally:
        await api.stop()
    assert code == 0, out
    assert "schema up to date" in out
    assert "CHATSHOP_DATA_KEY is set and valid" in out
    assert "token accepted: @sakura_goods_bot (polling)" in out
    assert "chain evm:31337: reachable, tip at height" in out
    assert "1 ETH = 450000 JPY" in out


def test_every_problem_is_named_with_what_to_do(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    folder = shop_dir(tmp_path)
    monkeypatch.chdir(folder)
    monkeypatch.setenv("CHATSHOP_DATA_KEY", "not-a-fernet-key")
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    add(folder, evm_method(f"http://127.0.0.1:{closed_port()}"))
    text = (folder / "bot.toml").read_text(encoding="utf-8")
    (folder / "bot.toml").write_text(text.replace("[telegram]\nenabled = false", "[telegram]\nenabled = true"),
                                     encoding="utf-8")

    assert chatshop(folder, "doctor") == 1
    captured = capsys.readouterr()
    out = captured.out
    assert "CHATSHOP_DATA_KEY is not a valid key" in out
    assert "TELEGRAM_BOT_TOKEN is not set" in out and "@BotFather" in out
    assert "chain evm:31337" in out and "cannot connect" in out
    assert "1 ETH = 450000 JPY" in out  # the fixed rate needs no network
    assert "problem(s) to fix" in captured.err
    assert "not-a-fernet-key" not in out + captured.err  # secrets are never echoed


BIP84_ZPUB = ("zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz"
              "2oz2AGutZYs")   # BIP84's test vector account key (m/84'/0'/0'), public


def test_a_node_of_another_chain_is_refused_naming_both_ids(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                             monkeypatch: pytest.MonkeyPatch, anvil: Anvil,
                                                             litecoind: LitecoinNode) -> None:
    """A mainnet method whose URL points at a test node: the doctor must not call it reachable."""
    folder = shop_dir(tmp_path)
    monkeypatch.chdir(folder)
    monkeypatch.setenv("DOCTOR_LTC_XPUB", BIP84_ZPUB)
    monkeypatch.setenv("DOCTOR_LTC_NODE", litecoind.url)
    add(folder, evm_method(anvil.url, chain_id=1).replace('ETH = "450000"', 'ETH = "450000"\nLTC = "12000"') + """
[[payments.methods]]
id = "ltc"
chain = "bitcoin"
network = "litecoin"
xpub_env = "DOCTOR_LTC_XPUB"
backend = "bitcoind"
url_env = "DOCTOR_LTC_NODE"
""")

    assert chatshop(folder, "doctor") == 1
    out = capsys.readouterr().out
    assert "chain evm:1: evm" in out and "chain id 31337 answered, 1 expected" in out
    assert 'chain litecoin:mainnet: bitcoind' in out and 'chain "regtest" answered, "main" expected' in out
    assert "reachable" not in out
    assert litecoind.password not in out


# ---- the legal disclosure (特定商取引法に基づく表記) ----

COMPLETE_LEGAL = """
[legal]
seller_name = { ja = "株式会社さくら雑貨", en = "Sakura Goods K.K." }
representative = "佐藤 花子"
address = "東京都渋谷区神宮前1-2-3"
phone = "03-1234-5678"
email = "shop@example.com"
delivery = "お支払い確認後3営業日以内に発送"
returns = "未使用品に限り到着後7日以内"
"""


def doctor_says(folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(folder)
    monkeypatch.delenv("CHATSHOP_DATA_KEY", raising=False)
    assert chatshop(folder, "doctor") == 0  # a warning never fails the check
    return next(line for line in capsys.readouterr().out.splitlines() if "legal disclosure" in line)


def test_a_yen_shop_without_its_disclosure_is_warned_with_the_keys_to_fill_in(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    line = doctor_says(shop_dir(tmp_path), capsys, monkeypatch)

    assert line.startswith("! legal disclosure: missing legal.seller_name, "
                           "legal.address (or legal.disclose_on_request = true), "
                           "legal.phone (or legal.disclose_on_request = true), legal.email, legal.delivery, "
                           "legal.returns. A shop selling in Japan must show")
    assert "特定商取引法" in line and "[legal] in bot.toml" in line and "legal.representative" in line


def test_an_individual_who_discloses_on_request_needs_no_address_or_phone(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    folder = shop_dir(tmp_path)
    add(folder, '\n[legal]\nseller_name = "佐藤 花子"\ndisclose_on_request = true\nemail = "a@example.jp"\n')

    line = doctor_says(folder, capsys, monkeypatch)

    assert line.startswith("! legal disclosure: missing legal.delivery, legal.returns. ")


def test_a_complete_disclosure_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    folder = shop_dir(tmp_path)
    add(folder, COMPLETE_LEGAL)

    assert doctor_says(folder, capsys, monkeypatch) == "✓ legal disclosure: complete: /terms shows it to buyers"


def test_a_shop_in_another_currency_is_not_asked_for_it(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    folder = shop_dir(tmp_path)
    config = folder / "bot.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('currency = "JPY"', 'currency = "USD"'),
                      encoding="utf-8")

    line = doctor_says(folder, capsys, monkeypatch)

    assert line == "✓ legal disclosure: not required for a USD shop (checked for JPY shops)"
