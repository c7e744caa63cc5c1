"""The schema before Alembic: test runs and their tests (databases of earlier adapters are stamped with it)."""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "testruns",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("testset", sa.String(64), nullable=False),
        sa.Column("cluster_id", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("meta", sa.JSON, nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("ended_at", sa.DateTime, nullable=True),
        sa.Column("pid", sa.Integer, nullable=True),
        sa.Column("stop_requested", sa.Boolean, nullable=False),
    )
    op.create_index("ix_testruns_cluster_set", "testruns", ["cluster_id", "testset", "id"])
    op.create_index("ix_testruns_status", "testruns", ["status"])
    op.create_table(
        "tests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("testrun_id", sa.Integer, sa.ForeignKey("testruns.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("test_id", sa.String(512), nullable=False),
        sa.Column("testset", sa.String(64), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("duration", sa.String(64), nullable=True),
        sa.Column("nodeid", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("message", sa.Text, nullable=True),
        sa.Column("step", sa.Integer, nullable=True),
        sa.Column("taken", sa.Float, nullable=True),
        sa.UniqueConstraint("testrun_id", "test_id"),
    )
    op.create_index("ix_tests_testrun_id", "tests", ["testrun_id"])


def downgrade() -> None:
    op.drop_table("tests")
    op.drop_table("testruns")
