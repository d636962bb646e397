"""Renewals keyed by customer and region: a seller holds one authorization per Amazon region
(NA, EU, FE), and a renewal confirmed at the desk renews the callback's region only. Older
renewals keep no region: they stand for the customer's only (or first) authorization.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("renewals") as batch:
        batch.add_column(sa.Column("region", sa.String(2)))


def downgrade() -> None:
    with op.batch_alter_table("renewals") as batch:
        batch.drop_column("region")
