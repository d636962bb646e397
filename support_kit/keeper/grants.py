"""A record nobody rewrites: the PostgreSQL rights of the keeper's own database role.

Agents have no database role at all: only the keeper connects. As a second line, the
keeper's role may read and add events and report runs but never change or delete one;
renewals and send claims keep every row right (a claim is given back, a renewal completed).
The database's owner makes and upgrades the schema: open the store once with the owner's
URL (any command, e.g. ``support-kit history C1``), then give the keeper the role's URL.

    python -m support_kit.keeper.grants keeper | sudo -u postgres psql desk

>>> print(grant_statements("keeper")[0])
GRANT SELECT, INSERT ON "events" TO "keeper";
"""

from __future__ import annotations

import re
import sys

from ..errors import SupportKitError
from ..store.schema import metadata

#: What is written once and kept: added to, never changed or deleted.
INSERT_ONLY = ("events", "report_runs")
_ROLE = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def grant_statements(role: str) -> list[str]:
    """The SQL that gives ``role`` what the keeper needs on the store, and no more."""
    if not _ROLE.fullmatch(role):
        raise SupportKitError(f"{role!r} is not a plain role name: use lower-case letters, "
                              "digits and _ (e.g. keeper).")
    who = f'"{role}"'
    statements = [f'GRANT SELECT, INSERT ON "{name}" TO {who};' for name in INSERT_ONLY]
    statements += [f'GRANT SELECT, INSERT, UPDATE, DELETE ON "{name}" TO {who};'
                   for name in metadata.tables if name not in INSERT_ONLY]
    statements += [f'GRANT SELECT ON "alembic_version" TO {who};',
                   f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {who};",
                   f'REVOKE UPDATE, DELETE, TRUNCATE ON "events" FROM {who};']
    return statements


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m support_kit.keeper.grants ROLE   (prints the SQL)",
              file=sys.stderr)
        return 2
    try:
        print("\n".join(grant_statements(args[0])))
    except SupportKitError as exc:
        print(f"support_kit: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
