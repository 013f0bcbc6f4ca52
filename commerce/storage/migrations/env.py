"""Alembic environment: runs on the connection `commerce.storage.migrate` hands over."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import commerce.storage.tables  # noqa: F401  (registers the tables on the metadata)

# The search index (migration 0002) is maintained by hand: raw FTS5 tables on SQLite, a GIN index on PostgreSQL.
HAND_MADE = ("product_fts", "ix_product_search_trgm")


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    return not (name or "").startswith(HAND_MADE)


connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_object=include_object,
)
with context.begin_transaction():
    context.run_migrations()
