"""aiogram imported through `bots.telegram` leaves its types to build on first use, and every one of them still builds.

Each check runs in a fresh interpreter: in this one, pytest's plugins may have imported aiogram already.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def run_python(code: str) -> dict:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_import_builds_no_bot_api_type() -> None:
    result = run_python(
        "import json, bots.telegram, aiogram.types as t, aiogram.methods as m\n"
        "print(json.dumps({'update': t.Update.__pydantic_complete__, 'message': t.Message.__pydantic_complete__,"
        " 'send_photo': m.SendPhoto.__pydantic_complete__}))")
    assert result == {"update": False, "message": False, "send_photo": False}


def test_every_type_and_method_builds_on_first_use() -> None:
    """The path pydantic takes on a deferred model's first validation: its mock validator's rebuild."""
    result = run_python(
        "import json, bots.telegram, aiogram.types, aiogram.methods\n"
        "from pydantic import BaseModel\n"
        "found, stack = set(), [BaseModel]\n"
        "while stack:\n"
        "    for sub in stack.pop().__subclasses__():\n"
        "        if sub not in found:\n"
        "            found.add(sub)\n"
        "            stack.append(sub)\n"
        "models = [m for m in found if m.__module__.startswith('aiogram.') and not m.__pydantic_complete__]\n"
        "failed = [m.__qualname__ for m in models if m.__pydantic_validator__.rebuild() is None\n"
        "          or m.__pydantic_serializer__ is None]\n"
        "print(json.dumps({'models': len(models), 'failed': failed}))")
    assert result["failed"] == []
    assert result["models"] > 300  # types and methods: the whole Bot API


def test_lazily_built_types_parse_and_dump_as_eagerly_built_ones() -> None:
    update = {"update_id": 7, "callback_query": {
        "id": "1", "chat_instance": "9", "data": "c:p:5", "from": {"id": 5, "is_bot": False, "first_name": "A"},
        "message": {"message_id": 3, "date": 1_700_000_000, "chat": {"id": 5, "type": "private"},
                    "photo": [{"file_id": "f", "file_unique_id": "u", "width": 9, "height": 9}],
                    "caption": "<b>x</b>", "reply_markup": {"inline_keyboard": [[{"text": "Buy",
                                                                                  "callback_data": "b"}]]}}}}
    code = ("import json, sys\nPRELUDE\n"
            "from aiogram.types import Update\n"
            "from aiogram.methods import SetMyCommands\n"
            "from aiogram.methods.base import Response\n"
            "from aiogram.types import BotCommand, BotCommandScopeChat\n"
            f"r = Response[list[Update]].model_validate({{'ok': True, 'result': [{update!r}]}})\n"
            "u = r.result[0]\n"
            "c = SetMyCommands(commands=[BotCommand(command='start', description='s')],"
            " scope=BotCommandScopeChat(chat_id=5), language_code='en')\n"
            "print(json.dumps({'update': u.model_dump(mode='json', exclude_none=True),"
            " 'method': c.model_dump(mode='json', exclude_none=True)}))")
    lazy = run_python(code.replace("PRELUDE", "import bots.telegram"))
    eager = run_python(code.replace("PRELUDE", "import aiogram"))
    assert lazy == eager
    assert lazy["update"]["callback_query"]["message"]["photo"][0]["file_id"] == "f"
