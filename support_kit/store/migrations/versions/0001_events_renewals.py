"""The first store: desk events and renewals (tokens encrypted).

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("agent", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("customer_id", sa.String(200), nullable=False),
        sa.Column("seller_id", sa.String(200)),
        sa.Column("detail", sa.Text(), nullable=False),
    )
    op.create_index("ix_events_customer_at", "events", ["customer_id", "at"])
    op.create_index("ix_events_kind_customer_at", "events", ["kind", "customer_id", "at"])
    op.create_table(
        "renewals",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("customer_id", sa.String(200), nullable=False),
        sa.Column("seller_id", sa.String(200)),
        sa.Column("seller_new", sa.Boolean(), nullable=False),
        sa.Column("agent", sa.String(200), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=False),
        sa.Column("renewed_at", sa.DateTime()),
        sa.Column("token", sa.Text()),
    )
    op.create_index("ix_renewals_customer_renewed", "renewals", ["customer_id", "renewed_at"])


def downgrade() -> None:
    op.drop_table("renewals")
    op.drop_table("events")
