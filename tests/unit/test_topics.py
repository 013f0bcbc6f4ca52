"""Notices are typed: the core queues only `Topic`s, every order move has one, and the front-ends' one table
from topic to notice covers every topic."""

from __future__ import annotations

import ast
from pathlib import Path

from bots.common.notices import NOTICES, notice_for
from commerce.status import OrderAction
from commerce.topics import Topic

ROOT = Path(__file__).resolve().parents[2]


def test_every_order_move_has_its_topic() -> None:
    assert {Topic.of_move(action) for action in OrderAction} <= set(Topic)


def test_every_topic_says_something_to_someone() -> None:
    assert set(NOTICES) == set(Topic)
    assert all(notice.buyer is not None or notice.staff is not None for notice in NOTICES.values())


def test_a_stored_topic_finds_its_notice_by_its_text_and_an_unknown_one_none() -> None:
    assert notice_for("order.ship") is NOTICES[Topic.ORDER_SHIP]
    assert notice_for("mystery.topic") is None


def test_the_core_names_its_topics_only_through_the_enum() -> None:
    """No `topic="..."` text in commerce/: a new notice is a new Topic, which the table test above then asks for."""
    offenders = []
    for path in sorted((ROOT / "commerce").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call):
                for keyword in node.keywords:
                    if keyword.arg == "topic" and not (isinstance(keyword.value, ast.Attribute | ast.Call | ast.Name)):
                        offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
