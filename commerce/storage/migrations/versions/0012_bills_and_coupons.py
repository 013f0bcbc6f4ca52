"""the bill frozen on each order (subtotal, discount, shipping, tax per rate), order lines' tax rate and discount
share, and coupons with their uses

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08

Older orders had no discount, shipping or tax: their subtotal is their total and the rest is zero, which is
exactly what they charged.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import commerce.storage.types

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

MINOR = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


# Plain ADD / DROP COLUMN, never a batch copy of the table: on SQLite (foreign keys on) copying `orders` or
# `order_line` would fail once other rows point at them.
def upgrade() -> None:
    op.add_column('orders', sa.Column('subtotal_minor', MINOR, nullable=False, server_default='0'))
    op.add_column('orders', sa.Column('discount_minor', MINOR, nullable=False, server_default='0'))
    op.add_column('orders', sa.Column('shipping_minor', MINOR, nullable=False, server_default='0'))
    op.add_column('orders', sa.Column('tax_minor', MINOR, nullable=False, server_default='0'))
    op.add_column('orders', sa.Column('coupon_code', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
    op.add_column('orders', sa.Column('bill', sa.JSON(), nullable=False, server_default='{}'))
    op.execute("UPDATE orders SET subtotal_minor = total_minor")
    op.add_column('order_line', sa.Column('tax_rate', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False,
                                          server_default='0'))
    op.add_column('order_line', sa.Column('discount_minor', MINOR, nullable=False, server_default='0'))
    op.create_table('coupon',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('percent', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('amount_minor', MINOR, nullable=False),
    sa.Column('min_order_minor', MINOR, nullable=False),
    sa.Column('free_shipping', sa.Boolean(), nullable=False),
    sa.Column('starts_at', commerce.storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ends_at', commerce.storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('max_uses', sa.Integer(), nullable=True),
    sa.Column('per_customer', sa.Integer(), nullable=True),
    sa.Column('uses', sa.Integer(), nullable=False),
    sa.Column('product_ids', sa.JSON(), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('reward_for', sa.Integer(), nullable=True),
    sa.Column('paused', sa.Boolean(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', commerce.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('uses >= 0', name='ck_coupon_uses'),
    sa.ForeignKeyConstraint(['created_by'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['owner_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['reward_for'], ['orders.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code'),
    sa.UniqueConstraint('reward_for')
    )
    op.create_index(op.f('ix_coupon_owner_id'), 'coupon', ['owner_id'], unique=False)
    op.create_table('coupon_use',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('coupon_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('created_at', commerce.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('released_at', commerce.storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['coupon_id'], ['coupon.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('order_id')
    )
    op.create_index(op.f('ix_coupon_use_coupon_id'), 'coupon_use', ['coupon_id'], unique=False)
    op.create_index(op.f('ix_coupon_use_customer_id'), 'coupon_use', ['customer_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_coupon_use_customer_id'), table_name='coupon_use')
    op.drop_index(op.f('ix_coupon_use_coupon_id'), table_name='coupon_use')
    op.drop_table('coupon_use')
    op.drop_index(op.f('ix_coupon_owner_id'), table_name='coupon')
    op.drop_table('coupon')
    op.drop_column('order_line', 'discount_minor')
    op.drop_column('order_line', 'tax_rate')
    for column in ('bill', 'coupon_code', 'tax_minor', 'shipping_minor', 'discount_minor', 'subtotal_minor'):
        op.drop_column('orders', column)
