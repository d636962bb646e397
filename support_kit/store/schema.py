"""The store's tables as SQLAlchemy Core objects (the newest schema; history in migrations/).

Times are UTC, stored without a zone so SQLite and PostgreSQL sort them alike.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

#: SQLite autoincrements only INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
ID = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData()

events = Table(
    "events", metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("at", DateTime(), nullable=False),
    Column("agent", String(200), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("customer_id", String(200), nullable=False),
    Column("seller_id", String(200)),
    Column("detail", Text(), nullable=False),
)

renewals = Table(
    "renewals", metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("code_hash", String(64), nullable=False, unique=True),
    Column("customer_id", String(200), nullable=False),
    Column("seller_id", String(200)),
    Column("seller_new", Boolean(), nullable=False),
    Column("agent", String(200), nullable=False),
    Column("claimed_at", DateTime(), nullable=False),
    Column("renewed_at", DateTime()),
    Column("token", Text()),
    Column("region", String(2)),  # NA, EU or FE: the authorization renewed (None: before 0004)
)

report_runs = Table(
    "report_runs", metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("source", String(1000), nullable=False),
    Column("as_of", Date(), nullable=False),
    Column("created_at", DateTime(), nullable=False),
    Column("agent", String(200), nullable=False),
    Column("counts", Text(), nullable=False),
    Column("states", LargeBinary(), nullable=False),
)

send_claims = Table(
    "send_claims", metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),  # "reminder"
    Column("customer_id", String(200), nullable=False),
    Column("day", Date(), nullable=False),  # the desk's day the mail is for
    Column("agent", String(200), nullable=False),
    Column("claimed_at", DateTime(), nullable=False),
    Column("sent_at", DateTime()),  # None: being sent (or the sender stopped midway)
    UniqueConstraint("kind", "customer_id", "day", name="uq_send_claims_once"),
)
