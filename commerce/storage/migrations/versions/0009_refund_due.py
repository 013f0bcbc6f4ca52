"""money reaching an order is accounted for: what each request asks for, refunds due, the buyer's last count

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07

- payment_request.due_minor: the part of the order total (fiat) a request asks for. A request made after a
  partial payment asks only for the remainder; older requests asked for the whole order.
- payment_request.credited_units goes: the watcher now counts an order's money across all its requests
  (orders.credited_minor holds what the buyer was last told had arrived).
- refund_due: money that is not counted toward its order, one row per transfer.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import commerce.storage.types

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

MINOR = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table('orders') as batch:
        batch.add_column(sa.Column('credited_minor', MINOR, nullable=False, server_default='0'))
    with op.batch_alter_table('payment_request') as batch:
        batch.add_column(sa.Column('due_minor', MINOR, nullable=True))
    op.execute("UPDATE payment_request SET due_minor = "
               "(SELECT total_minor FROM orders WHERE orders.id = payment_request.order_id)")
    with op.batch_alter_table('payment_request') as batch:
        batch.alter_column('due_minor', existing_type=MINOR, nullable=False)
        batch.drop_column('credited_units')
    op.create_table('refund_due',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('asset', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('decimals', sa.Integer(), nullable=False),
    sa.Column('amount_units', commerce.storage.types.Units(length=80), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('created_at', commerce.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', commerce.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ),
    sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], ),
    sa.ForeignKeyConstraint(['request_id'], ['payment_request.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('payment_id')
    )
    op.create_index(op.f('ix_refund_due_order_id'), 'refund_due', ['order_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_refund_due_order_id'), table_name='refund_due')
    op.drop_table('refund_due')
    with op.batch_alter_table('payment_request') as batch:
        batch.add_column(sa.Column('credited_units', commerce.storage.types.Units(length=80), nullable=False,
                                   server_default='0'))
        batch.drop_column('due_minor')
    with op.batch_alter_table('orders') as batch:
        batch.drop_column('credited_minor')
