"""A run's tests are read in position order: index them that way (replaces the plain testrun_id index)."""

from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_index("ix_tests_testrun_position", "tests", ["testrun_id", "position"])
    op.drop_index("ix_tests_testrun_id", table_name="tests")


def downgrade() -> None:
    op.create_index("ix_tests_testrun_id", "tests", ["testrun_id"])
    op.drop_index("ix_tests_testrun_position", table_name="tests")
