"""money columns are 64-bit: an order over ¥2,147,483,647 (or $21 million in cents) no longer overflows

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

_COLUMNS = (("variant", "price_minor"), ("orders", "total_minor"), ("order_line", "unit_price_minor"))


def upgrade() -> None:
    # SQLite's INTEGER is already 64-bit; only PostgreSQL's 32-bit integer columns need widening.
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in _COLUMNS:
        op.alter_column(table, column, type_=sa.BigInteger(), existing_type=sa.Integer(), existing_nullable=False)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in _COLUMNS:
        op.alter_column(table, column, type_=sa.Integer(), existing_type=sa.BigInteger(), existing_nullable=False)
