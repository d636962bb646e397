"""Report runs: as-of day, source, counts and each customer's state (for "what changed").

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "report_runs",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(1000), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("agent", sa.String(200), nullable=False),
        sa.Column("counts", sa.Text(), nullable=False),
        # each customer's state as one Parquet blob: a million rows in a fraction of a second
        sa.Column("states", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_report_runs_source_as_of", "report_runs", ["source", "as_of"])


def downgrade() -> None:
    op.drop_table("report_runs")
