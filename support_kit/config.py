"""Settings from ``SUPPORT_KIT_*`` environment variables, with secrets masked.

With none of them set the kit runs in demo mode (bundled demo customers, a local sandbox).
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from .app_credentials import parse_expiry
from .dates import DEFAULT_TIMEZONE, parse_day, zone
from .errors import SupportKitError
from .texts import CUSTOMER_LANGUAGES, DEFAULT_CUSTOMER_LANGUAGE

PREFIX = "SUPPORT_KIT_"
NAMES = (
    "CUSTOMERS",
    "TIMEZONE",
    "APP_ID",
    "STATE_SECRET",
    "LWA_CLIENT_ID",
    "LWA_CLIENT_SECRET",
    "LWA_ENDPOINT",
    "SPAPI_ENDPOINT",
    "SELLER_CENTRAL_URL",
)
#: The desk's own settings: they never leave demo mode (a demo desk keeps memory too, and
#: may try reminders against a local mail server).
DESK_NAMES = ("STORE", "TOKEN_KEY", "AGENT", "SMTP_URL", "MAIL_FROM", "CUSTOMER_LANGUAGE",
              "ROLES_CHANGED_ON", "KEEPER_URL")
DEFAULT_LWA_ENDPOINT = "https://api.amazon.com/auth/o2/token"
#: Used only in demo mode, where every link points at the local sandbox.
DEMO_APP_ID = "amzn1.sp.solution.00000000-0000-4000-8000-00000000d3m0"
DEMO_LWA_CLIENT_ID = "amzn1.application-oa2-client.demo"
#: In demo mode links point at `support-kit sandbox` on its default port, not at Amazon.
DEMO_SELLER_CENTRAL_URL = "http://127.0.0.1:8765"
#: Demo-mode keys are public on purpose: they sign nothing but demo customers against the
#: local sandbox, and they let `link` and `verify-callback` run as separate commands.
DEMO_STATE_SECRET = "support-kit-demo-state-key-public"  # noqa: S105 (public by design)
DEMO_LWA_CLIENT_SECRET = "support-kit-demo-client-secret-public"  # noqa: S105
#: Encrypts the refresh tokens of the demo store only (demo sellers on the local sandbox).
DEMO_TOKEN_KEY = "c3VwcG9ydC1raXQtZGVtby10b2tlbi1rZXktcHVibGk="  # noqa: S105


class Secret:
    """A secret value that never shows itself in ``str``, ``repr``, f-strings or logs.

    >>> s = Secret("hunter2")
    >>> s, str(s), s.reveal()
    ([secure], '[secure]', 'hunter2')
    """

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        """The real value, for the one place that sends it (an HTTP body, an HMAC key)."""
        return self._value

    def reveal_bytes(self) -> bytes:
        """The real value as UTF-8 bytes, for keys: any characters work, even bytes from an
        environment that were not valid UTF-8.

        >>> Secret("schlüssel").reveal_bytes()
        b'schl\xc3\xbcssel'
        """
        return self._value.encode("utf-8", "surrogatepass")

    def __repr__(self) -> str:
        return "[secure]"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:  # bytes: compare_digest takes only ASCII text
        return isinstance(other, Secret) and secrets.compare_digest(self.reveal_bytes(),
                                                                    other.reveal_bytes())

    def __hash__(self) -> int:
        return hash(("Secret", len(self._value)))

    def __reduce__(self):
        raise TypeError("a Secret cannot be pickled or copied out")


def _secret(value: str | None) -> Secret | None:
    return Secret(value) if value else None


@dataclass(frozen=True)
class Settings:
    """The kit's settings. Build them with :func:`load_settings`.

    >>> s = load_settings({"SUPPORT_KIT_LWA_CLIENT_SECRET": "abc"})
    >>> "abc" in repr(s), s.demo
    (False, False)
    """

    customers: str | None = None
    timezone: str = DEFAULT_TIMEZONE
    app_id: str | None = None
    state_secret: Secret | None = field(default=None, repr=False)
    lwa_client_id: str | None = None
    lwa_client_secret: Secret | None = field(default=None, repr=False)
    lwa_endpoint: str = DEFAULT_LWA_ENDPOINT
    spapi_endpoint: str | None = None
    seller_central_url: str | None = None
    store: str | None = None
    token_key: Secret | None = field(default=None, repr=False)
    agent: str = ""
    smtp_url: Secret | None = field(default=None, repr=False)  # may hold a password
    mail_from: str | None = None
    lwa_secret_expires: dt.date | None = None
    #: the language of customers whose ``language`` is empty (what sellers read)
    customer_language: str = DEFAULT_CUSTOMER_LANGUAGE
    #: the day the app gained a role: older authorizations must be renewed (Amazon)
    roles_changed_on: dt.date | None = None
    demo: bool = False
    #: A team's keeper service (JupyterHub): then this desk holds no secret and asks it.
    keeper_url: str | None = None

    @property
    def rules(self) -> dict:
        """The settings :func:`support_kit.rules.evaluate` decides with, as keywords.

        >>> load_settings({"SUPPORT_KIT_CUSTOMER_LANGUAGE": "ES"}).rules["customer_language"]
        'es'
        """
        return {"customer_language": self.customer_language,
                "roles_changed_on": self.roles_changed_on}

    @property
    def tz(self) -> ZoneInfo:
        return zone(self.timezone)

    def require(self, *names: str) -> None:
        """Raise a clear error naming the first missing setting among ``names``."""
        for name in names:
            if not getattr(self, name):
                raise SupportKitError(
                    f"The setting {PREFIX}{name.upper()} is not set. Set it in the environment "
                    "(ask your administrator for the value) and start again."
                )


def check_url(name: str, value: str) -> None:
    """A clear error unless ``value`` (when set) is an ``http(s)://host[:port]`` address.

    >>> try:
    ...     check_url("SUPPORT_KIT_SPAPI_ENDPOINT", "sellingpartnerapi-eu.amazon.com")
    ... except SupportKitError as exc:
    ...     print(str(exc)[:70])
    SUPPORT_KIT_SPAPI_ENDPOINT='sellingpartnerapi-eu.amazon.com' is not an
    """
    if not value:
        return
    try:
        parts = urlsplit(value)
    except ValueError:  # a broken [IPv6] host
        parts = urlsplit("")
    shown = value.replace(f":{parts.password}@", ":[secure]@") if parts.password else value
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise SupportKitError(
            f"{name}={shown!r} is not an address: it needs https:// (or http://) and a host, "
            "e.g. https://sellingpartnerapi-eu.amazon.com.")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0 or (port is None and parts.netloc.endswith(":")):
        raise SupportKitError(f"{name}={shown!r} has no valid port: write a number from 1 to "
                              "65535 after the host (host:8443), or leave the port out.")


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the settings from ``environ`` (default: ``os.environ``).

    >>> load_settings({}).demo
    True
    """
    env = os.environ if environ is None else environ
    raw = {n: (env.get(PREFIX + n) or "").strip() for n in NAMES}
    timezone = raw["TIMEZONE"] or DEFAULT_TIMEZONE
    try:
        zone(timezone)
    except ValueError:
        raise SupportKitError(
            f"{PREFIX}TIMEZONE={timezone!r} is not a time zone name; use one like Europe/Berlin."
        ) from None
    for name in ("LWA_ENDPOINT", "SPAPI_ENDPOINT", "SELLER_CENTRAL_URL"):
        check_url(PREFIX + name, raw[name])
    demo = not any(raw.values())
    desk = {n: (env.get(PREFIX + n) or "").strip() for n in DESK_NAMES}
    check_url(PREFIX + "KEEPER_URL", desk["KEEPER_URL"])
    return Settings(
        customers=raw["CUSTOMERS"] or None,
        timezone=timezone,
        app_id=raw["APP_ID"] or (DEMO_APP_ID if demo else None),
        state_secret=_secret(raw["STATE_SECRET"] or (DEMO_STATE_SECRET if demo else "")),
        lwa_client_id=raw["LWA_CLIENT_ID"] or (DEMO_LWA_CLIENT_ID if demo else None),
        lwa_client_secret=_secret(
            raw["LWA_CLIENT_SECRET"] or (DEMO_LWA_CLIENT_SECRET if demo else "")),
        lwa_endpoint=raw["LWA_ENDPOINT"] or DEFAULT_LWA_ENDPOINT,
        spapi_endpoint=raw["SPAPI_ENDPOINT"] or None,
        seller_central_url=raw["SELLER_CENTRAL_URL"] or (DEMO_SELLER_CENTRAL_URL if demo else None),
        store=desk["STORE"] or None,
        token_key=_secret(desk["TOKEN_KEY"] or (DEMO_TOKEN_KEY if demo else "")),
        agent=desk["AGENT"] or agent_name(env),
        smtp_url=_secret(desk["SMTP_URL"]),
        mail_from=desk["MAIL_FROM"] or None,
        lwa_secret_expires=_secret_expires(env, timezone, raw["LWA_CLIENT_ID"]),
        customer_language=_customer_language(desk["CUSTOMER_LANGUAGE"]),
        roles_changed_on=_day(PREFIX + "ROLES_CHANGED_ON", desk["ROLES_CHANGED_ON"], timezone),
        demo=demo,
        keeper_url=desk["KEEPER_URL"] or None,
    )


def _secret_expires(env: Mapping[str, str], timezone: str, client_id: str) -> dt.date | None:
    """``SUPPORT_KIT_LWA_SECRET_EXPIRES``: a date or a saved notification; it does not leave
    demo mode (it says something about the app, not about where the kit points)."""
    return parse_expiry(env.get(PREFIX + "LWA_SECRET_EXPIRES") or "", timezone,
                        client_id or None)


def _customer_language(value: str) -> str:
    """``SUPPORT_KIT_CUSTOMER_LANGUAGE``: one of the languages sellers read, default German."""

    code = value.lower()
    if code and code not in CUSTOMER_LANGUAGES:
        raise SupportKitError(
            f"{PREFIX}CUSTOMER_LANGUAGE={value!r} is not a language the kit writes to sellers "
            f"in; use one of {', '.join(CUSTOMER_LANGUAGES)} (or leave it empty for "
            f"{DEFAULT_CUSTOMER_LANGUAGE}).")
    return code or DEFAULT_CUSTOMER_LANGUAGE


def _day(name: str, value: str, timezone: str) -> dt.date | None:
    """A setting that holds a day (``2026-11-01`` or ``01.11.2026``), or ``None`` when empty.

    >>> _day("SUPPORT_KIT_ROLES_CHANGED_ON", "2026-11-01", "Europe/Berlin")
    datetime.date(2026, 11, 1)
    """
    if not value:
        return None
    day = parse_day(value, timezone)
    if day is None:
        raise SupportKitError(f"{name}={value!r} is not a day; write it as 2026-11-01 "
                              "(or 01.11.2026), or leave it empty.")
    return day


def agent_name(environ: Mapping[str, str] | None = None) -> str:
    """Who is working at the desk: ``SUPPORT_KIT_AGENT``, else ``JUPYTERHUB_USER``, else the
    login name.

    >>> agent_name({"JUPYTERHUB_USER": "ada", "SUPPORT_KIT_AGENT": ""})
    'ada'
    """
    env = os.environ if environ is None else environ
    for name in (PREFIX + "AGENT", "JUPYTERHUB_USER"):
        if (env.get(name) or "").strip():
            return env[name].strip()
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return "unknown"
