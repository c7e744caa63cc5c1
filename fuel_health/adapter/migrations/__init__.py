"""Alembic migrations of the adapter's database (applied at start by models.init_db)."""
