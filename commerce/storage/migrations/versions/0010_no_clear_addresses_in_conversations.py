"""conversation state holds no shipping address in clear: drop the checkouts an older version left with one

Before this, a checkout half-way through kept the typed address as plain JSON in conversation_state (so in
the database file and in every backup). Addresses are now sealed with the data key before they are kept;
a migration has no key to seal the old ones with, so those conversations are dropped: the buyer starts
that checkout again. On SQLite the file is then vacuumed (commerce.storage.migrate), so no copy of them is
left in free pages either.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import context, op

from commerce.storage.migrate import VACUUM_AFTER

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DELETE FROM conversation_state "
                   "WHERE json_valid(data) AND json_type(data, '$.address') = 'object'")
        context.config.attributes[VACUUM_AFTER] = True
    else:
        op.execute("DELETE FROM conversation_state WHERE json_typeof(data -> 'address') = 'object'")


def downgrade() -> None:
    pass  # what was dropped can't come back, and the old code reads sealed addresses no worse than none
