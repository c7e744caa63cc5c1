"""Alembic environment: the adapter passes its own connection (models.init_db); no ini file, no logging setup."""

from __future__ import annotations

from alembic import context

from fuel_health.adapter.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
