"""conversation keys start with their person's identity: `fsm:<bot>:<chat>[:<thread>]:<user>:<destiny>`
becomes `telegram:<user>:fsm:…`

Erasing a customer drops the conversations whose key is one of their identities or starts with one and a
colon; the core no longer knows each front-end's key format. Discord's keys (`discord:<user id>`) already
had that shape; the Telegram front-end's conversations kept aiogram's, and are renamed here.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

_PREFIX = "telegram:"


def upgrade() -> None:
    bind = op.get_bind()
    keys = bind.execute(sa.text("SELECT key FROM conversation_state WHERE key LIKE 'fsm:%'")).scalars().all()
    renames = []
    for key in keys:
        parts = key.split(":")
        if len(parts) >= 5 and parts[-2].isdigit():   # aiogram's key: …:<user>:<destiny>
            renames.append({"old": key, "new": f"{_PREFIX}{parts[-2]}:{key}"})
    if renames:
        bind.execute(sa.text("UPDATE conversation_state SET key = :new WHERE key = :old"), renames)


def downgrade() -> None:
    bind = op.get_bind()
    keys = bind.execute(sa.text("SELECT key FROM conversation_state WHERE key LIKE 'telegram:%:fsm:%'")).scalars().all()
    renames = [{"old": key, "new": key.split(":", 2)[2]} for key in keys]
    if renames:
        bind.execute(sa.text("UPDATE conversation_state SET key = :new WHERE key = :old"), renames)
