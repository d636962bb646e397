"""The app's own credentials: when its LWA client secret expires, and what that means.

Amazon makes the app rotate its LWA client secret every 180 days. When it expires, every
seller's calls fail at once with a 403; no seller needs to re-authorize, the secret must be
rotated (``docs/amazon-facts.md``, "The app's own credentials"). The day comes from the
setting ``SUPPORT_KIT_LWA_SECRET_EXPIRES``: a date, or the path of Amazon's
``APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY`` notification saved as a JSON file.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from .dates import parse_day
from .errors import SupportKitError
from .texts import DEFAULT_LANGUAGE, format_date, text

SETTING = "SUPPORT_KIT_LWA_SECRET_EXPIRES"
#: Amazon notifies 90, 60, 30, ... days ahead: from 90 days the desk says "plan the
#: rotation" (``rotation_due``), from 30 it is urgent (``expiring``).
WARN_DAYS = 90
URGENT_DAYS = 30
SECRET_STATES = ("valid", "rotation_due", "expiring", "expired", "unknown")
#: The states that show a banner, and how loud: plan it, or act now.
BANNER_TONE = {"rotation_due": "warn", "expiring": "urgent", "expired": "urgent"}
NOTIFICATION_TYPE = "APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY"


@dataclass(frozen=True)
class ClientSecret:
    """The state of the app's LWA client secret on a day.

    >>> s = client_secret(dt.date(2026, 12, 20), dt.date(2026, 12, 1))
    >>> s.state, s.days_left, s.to_dict()["client_secret_expires_on"]
    ('expiring', 19, '2026-12-20')
    >>> client_secret(dt.date(2027, 2, 1), dt.date(2026, 12, 1)).state
    'rotation_due'
    """

    expires_on: dt.date | None
    days_left: int | None
    state: str

    def to_dict(self) -> dict:
        """The ``app`` block of ``summary.json``."""
        return {"client_secret_expires_on": self.expires_on.isoformat() if self.expires_on
                else None, "client_secret_days_left": self.days_left,
                "client_secret_state": self.state}

    @property
    def tone(self) -> str:
        """How loud the banner is: ``warn`` (plan the rotation), ``urgent``, or ``""``."""
        return BANNER_TONE.get(self.state, "")

    def banner(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """The warning every panel and the CLI show from 90 days before expiry, else ``""``."""
        if not self.tone:
            return ""
        return text(lang, f"app_secret.{self.state}", date=format_date(self.expires_on, lang),
                    days=self.days_left)


def client_secret(expires_on: dt.date | None, today: dt.date) -> ClientSecret:
    """The secret's state: ``expired`` on the day itself and after (as Amazon's tokens),
    ``expiring`` within :data:`URGENT_DAYS`, ``rotation_due`` within :data:`WARN_DAYS`,
    ``unknown`` when the day is not set."""
    if expires_on is None:
        return ClientSecret(None, None, "unknown")
    days_left = (expires_on - today).days
    state = ("expired" if days_left <= 0 else "expiring" if days_left <= URGENT_DAYS
             else "rotation_due" if days_left <= WARN_DAYS else "valid")
    return ClientSecret(expires_on, days_left, state)


def parse_expiry(value: str, timezone: str, client_id: str | None = None) -> dt.date | None:
    """The expiry day from the setting: ``2027-05-01``, ``01.05.2027`` or a notification file.

    >>> parse_expiry("01.05.2027", "Europe/Berlin")
    datetime.date(2027, 5, 1)
    """
    value = value.strip()
    if not value:
        return None
    day = parse_day(value, timezone)
    if day is not None:
        return day
    if Path(value).is_file():
        return read_notification(Path(value), timezone, client_id)
    raise SupportKitError(f"{SETTING}={value!r} is neither a date (2027-05-01 or 01.05.2027) "
                          "nor a saved APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY notification "
                          "file. Set the day the app's LWA client secret expires.")


def read_notification(path: Path, timezone: str, client_id: str | None = None) -> dt.date:
    """Import Amazon's ``APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY`` notification (a JSON file):
    the day, in the desk's time zone, the client secret expires.

    Refuses (one clear line) another notification type, a missing field, or a notification
    for another client id than ``SUPPORT_KIT_LWA_CLIENT_ID``.
    """
    where = f"{SETTING}: {path}"
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SupportKitError(f"{where} cannot be read as JSON ({type(exc).__name__}). Save "
                              "Amazon's notification as it arrived.") from None
    if not isinstance(data, dict) or data.get("notificationType") != NOTIFICATION_TYPE:
        kind = data.get("notificationType") if isinstance(data, dict) else None
        raise SupportKitError(f"{where} is a {kind or 'unknown'} notification, not "
                              f"{NOTIFICATION_TYPE}.")
    expiry = (data.get("payload") or {}).get("applicationOAuthClientSecretExpiry") \
        if isinstance(data.get("payload"), dict) else None
    if not isinstance(expiry, dict) or not expiry.get("clientSecretExpiryTime"):
        raise SupportKitError(f"{where} has no payload.applicationOAuthClientSecretExpiry."
                              "clientSecretExpiryTime.")
    if client_id and expiry.get("clientId") and expiry["clientId"] != client_id:
        raise SupportKitError(f"{where} is for the client id {expiry['clientId']}, not for "
                              f"SUPPORT_KIT_LWA_CLIENT_ID={client_id}.")
    raw = str(expiry["clientSecretExpiryTime"])
    day = parse_day(raw, timezone)
    if day is None:
        raise SupportKitError(f"{where}: clientSecretExpiryTime {raw!r} is not an ISO 8601 "
                              "time.")
    return day
