"""The data key: `run` makes one on first start when CHATSHOP_DATA_KEY is unset (a 0600 file beside bot.toml,
outside the data folder), says so, uses it afterwards, and refuses to start when the database holds
encrypted data that the key it has can't read. `doctor` tells the same story."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bots.app import open_shop
from bots.cli.main import main
from bots.config import load_settings
from commerce.privacy import PersonalDataCipher, ShippingAddress
from commerce.sealed_data import sealed_samples, unreadable
from commerce.shop import Shop

CONFIG = """\
[shop]
name = "Test"
[database]
url = "sqlite+aiosqlite:///data/shop.db"
[telegram]
enabled = false
"""
HOME = ShippingAddress(name="Taro Sato", postal_code="150-0001", region="Tokyo", city="Shibuya", line1="1-2-3")


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("CHATSHOP_DATA_KEY", raising=False)
    (tmp_path / "bot.toml").write_text(CONFIG, encoding="utf-8")
    return tmp_path


def chatshop(folder: Path, *args: str) -> int:
    return main([*args, "--config", str(folder / "bot.toml")])


async def save_an_address(folder: Path) -> None:
    """What a buyer's checkout does, with the key the shop finds on its own (the file, here)."""
    async with open_shop(load_settings(folder / "bot.toml", environ={})) as shop:
        buyer = await shop.customers.identify("telegram", 77)
        await shop.customers.save_address(buyer.id, HOME)


def one_line(text: str) -> str:
    return " ".join(text.split())


def test_the_first_run_makes_a_private_key_file_beside_bot_toml_and_later_runs_use_it(
        folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key_file = folder / "chatshop-data.key"

    assert chatshop(folder, "run") == 0

    err = one_line(capsys.readouterr().err)
    assert f"CHATSHOP_DATA_KEY is not set: made a new data key in {key_file}" in err
    assert "keep a copy of it somewhere safe, apart from the database backups" in err
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text(encoding="ascii").strip()
    Fernet(key)  # a usable key
    assert not list((folder / "data").rglob("*.key"))  # outside the data folder: backups never carry it
    asyncio.run(save_an_address(folder))  # the shop's cipher uses it: addresses can be taken

    assert chatshop(folder, "run") == 0
    assert f"CHATSHOP_DATA_KEY is not set: using the data key in {key_file}" in one_line(capsys.readouterr().err)
    assert key_file.read_text(encoding="ascii").strip() == key


def test_run_refuses_to_start_when_its_key_cannot_read_the_stored_data(
        folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert chatshop(folder, "run") == 0
    asyncio.run(save_an_address(folder))
    capsys.readouterr()
    other = Fernet.generate_key().decode()
    monkeypatch.setenv("CHATSHOP_DATA_KEY", other)

    assert chatshop(folder, "run") == 1

    err = capsys.readouterr().err
    assert one_line(err) == ("the data key in $CHATSHOP_DATA_KEY can't decrypt the saved addresses already in the "
                             "database (was the key changed?): start with the key they were encrypted with")
    assert other not in err


def test_run_refuses_to_make_a_new_key_over_encrypted_data_whose_key_is_missing(
        folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert chatshop(folder, "run") == 0
    asyncio.run(save_an_address(folder))
    key_file = folder / "chatshop-data.key"
    key_file.unlink()
    capsys.readouterr()

    assert chatshop(folder, "run") == 1

    err = one_line(capsys.readouterr().err)
    assert "holds encrypted personal data (saved addresses) but no key is set" in err
    assert f"put the key file back at {key_file}" in err
    assert not key_file.exists()


def test_a_key_file_that_holds_no_key_is_named(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key_file = folder / "chatshop-data.key"
    key_file.write_text("my secret passphrase\n", encoding="ascii")

    assert chatshop(folder, "run") == 1

    assert f"the data key in {key_file} is not a valid key" in one_line(capsys.readouterr().err)


def test_doctor_says_where_the_key_is_to_keep_a_copy_and_whether_it_reads_the_data(
        folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    key_file = folder / "chatshop-data.key"
    assert chatshop(folder, "doctor") == 0
    out = one_line(capsys.readouterr().out)
    assert "CHATSHOP_DATA_KEY is not set and there is no" in out and "`chatshop run` makes that file" in out
    assert not key_file.exists()  # doctor changes nothing

    assert chatshop(folder, "run") == 0
    asyncio.run(save_an_address(folder))
    capsys.readouterr()
    assert chatshop(folder, "doctor") == 0
    out = one_line(capsys.readouterr().out)
    assert f"using the key in {key_file}; keep a copy of it somewhere safe, apart from the database backups" in out

    key_file.chmod(0o644)
    assert chatshop(folder, "doctor") == 0
    assert f"{key_file} can be read by other users: chmod 600" in one_line(capsys.readouterr().out)

    monkeypatch.setenv("CHATSHOP_DATA_KEY", Fernet.generate_key().decode())
    assert chatshop(folder, "doctor") == 1
    assert "can't decrypt the saved addresses in the database" in one_line(capsys.readouterr().out)


async def test_sealed_data_of_every_kind_is_checked_against_a_key(shop: Shop, data_key: str) -> None:
    assert await sealed_samples(shop.db) == {}
    buyer = await shop.customers.identify("telegram", 78)
    await shop.customers.save_address(buyer.id, HOME)
    [seller] = await shop.sellers.bootstrap_owners(["telegram:79"])
    await shop.two_factor.enrol(seller)

    samples = await sealed_samples(shop.db)

    assert sorted(samples) == ["2FA enrolments", "saved addresses"]
    assert unreadable(PersonalDataCipher(data_key), samples) == []
    assert unreadable(PersonalDataCipher(Fernet.generate_key()), samples) == ["saved addresses", "2FA enrolments"]
    assert unreadable(PersonalDataCipher(None), samples) == ["saved addresses", "2FA enrolments"]
