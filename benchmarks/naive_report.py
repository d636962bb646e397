"""The baseline a per-row Python loop gives: what a hand-written script would do.

Reads the customers with csv.DictReader, works out expiry and state row by row with
datetime, and writes customers.csv with csv.writer. Used by report_scale.py only.
"""

import csv
import datetime as dt
import sys
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")


def parse(value: str):
    value = value.strip()
    if not value:
        return None
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            pass
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return "bad"
    return (moment.astimezone(BERLIN) if moment.tzinfo else moment).date()


def main(source: str, target: str, as_of: dt.date) -> None:
    with open(source, newline="", encoding="utf-8") as fh, \
            open(target, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["customer_id", "shop_name", "marketplace", "state", "expires_on",
                         "days_left", "findings"])
        for row in csv.DictReader(fh):
            authorized = parse(row["authorized_at"])
            revoked = parse(row["revoked_at"])
            expires = days = None
            if authorized is None:
                state = "not_authorized"
            elif authorized == "bad" or authorized > as_of:
                state = "unknown"
            else:
                try:
                    year_later = authorized.replace(year=authorized.year + 1)
                except ValueError:
                    year_later = authorized.replace(year=authorized.year + 1, day=28)
                expires = min(authorized + dt.timedelta(days=365), year_later)
                days = (expires - as_of).days
                if revoked not in (None, "bad") and authorized <= revoked <= as_of:
                    state = "revoked"
                elif days <= 0:
                    state = "expired"
                elif days <= 30:
                    state = "expiring"
                else:
                    state = "valid"
            findings = []
            if row["selling_plan"].strip().lower() == "individual":
                findings.append("plan_not_professional")
            writer.writerow([row["customer_id"], row["shop_name"], row["marketplace"].upper(),
                             state, expires or "", "" if days is None else days,
                             ";".join(findings)])


if __name__ == "__main__":
    import time

    started = time.perf_counter()
    main(sys.argv[1], sys.argv[2], dt.date.fromisoformat(sys.argv[3]))
    print(f"work {time.perf_counter() - started:.3f}")
