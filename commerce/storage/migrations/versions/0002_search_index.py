"""search index: FTS5 trigram on SQLite, pg_trgm GIN on PostgreSQL

Substring search ("tch" finds "matcha", "湯呑" finds "有田焼の湯呑み") without scanning every product.
SQLite keeps `product_fts` in step with `product.search_text` through triggers.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SQLITE_UP = [
    "CREATE VIRTUAL TABLE product_fts USING fts5(search_text, content='product', content_rowid='id', "
    "tokenize='trigram')",
    "CREATE TRIGGER product_fts_insert AFTER INSERT ON product BEGIN "
    "INSERT INTO product_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER product_fts_delete AFTER DELETE ON product BEGIN "
    "INSERT INTO product_fts(product_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER product_fts_update AFTER UPDATE OF search_text ON product BEGIN "
    "INSERT INTO product_fts(product_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO product_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "INSERT INTO product_fts(product_fts) VALUES ('rebuild')",
]
SQLITE_DOWN = ["DROP TRIGGER product_fts_update", "DROP TRIGGER product_fts_delete",
               "DROP TRIGGER product_fts_insert", "DROP TABLE product_fts"]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_UP:
            op.execute(statement)
    else:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_product_search_trgm ON product USING gin (search_text gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_DOWN:
            op.execute(statement)
    else:
        op.execute("DROP INDEX ix_product_search_trgm")
