"""The renewal link (Seller Central consent URL) with a signed state, and callback checks.

The ``state`` is signed with ``SUPPORT_KIT_STATE_SECRET`` by itsdangerous, binds the customer
id and the expected seller id, and carries its own expiry (7 days by default: links go out
by e-mail). Amazon sends it back on the callback; :func:`verify_callback` checks it first.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from urllib.parse import parse_qs, urlencode, urlsplit

import pandas as pd
from itsdangerous import BadSignature, URLSafeSerializer

from . import marketplaces, rules
from .config import Secret, Settings
from .customers import CustomerList
from .errors import SupportKitError
from .texts import DEFAULT_LANGUAGE, customer_language, format_date, text, texts
from .views import render

DEFAULT_VALID_DAYS = 7
#: A link older than the token's own year makes no sense; 0 or less would be expired already.
MAX_VALID_DAYS = 365
CONSENT_PATH = "/apps/authorize/consent"
_SALT = "support-kit.renewal-state"
_NOT_TEXT = re.compile("[\ud800-\udfff]")  # bytes a terminal passed on that were not UTF-8
CALLBACK_PROBLEMS = ("state_invalid", "state_expired", "seller_mismatch", "code_missing",
                     "customer_unknown", "seller_missing", "customer_mismatch")


class NoLink(SupportKitError):
    """No consent link can be made for this customer (the message says why and what to do)."""


@dataclass(frozen=True)
class RenewalLink:
    """A consent link for one customer and the instructions to send with it."""

    customer_id: str
    url: str
    host: str
    region: str
    state_expires_at: dt.datetime
    instructions: str
    lang: str

    def to_dict(self) -> dict:
        data = asdict(self)
        data["state_expires_at"] = self.state_expires_at.isoformat()
        return data

    def __str__(self) -> str:
        return self.instructions

    def _repr_html_(self) -> str:
        return render("renewal_link.html", link=self)


@dataclass(frozen=True)
class CallbackResult:
    """The verdict on a callback URL: ok, whose it is, and what is wrong in plain words."""

    ok: bool
    customer_id: str | None
    selling_partner_id: str | None
    problems: tuple[str, ...]
    messages: tuple[str, ...]
    code: Secret | None = field(default=None, repr=False)
    redirect_uri: str | None = None
    #: The customer had no seller id on file: Amazon's is new and must be compared.
    seller_new: bool = False
    #: The whole callback address (it holds the code): a keeper service verifies it again
    #: before it spends the code.
    url: Secret | None = field(default=None, repr=False, compare=False)
    #: The region of the authorization the link was made for (None: a link without one).
    region: str | None = None

    def to_dict(self) -> dict:
        return {"ok": self.ok, "customer_id": self.customer_id, "region": self.region,
                "selling_partner_id": self.selling_partner_id, "seller_new": self.seller_new,
                "problems": list(self.problems), "messages": list(self.messages)}

    def __str__(self) -> str:
        return "\n".join(self.messages)

    def _repr_html_(self) -> str:
        return render("callback.html", result=self)


@lru_cache(maxsize=4)
def _serializer(secret: Secret) -> URLSafeSerializer:
    return URLSafeSerializer(secret.reveal_bytes(), salt=_SALT)


def sign_state(customer_id: str, seller_id: str, secret: Secret, expires_at: dt.datetime,
               region: str | None = None) -> str:
    """A signed, unique ``state`` binding customer, expected seller and the authorization's
    region until ``expires_at``.

    >>> s = sign_state("42", "A1", Secret("k"), dt.datetime(2030, 1, 1, tzinfo=dt.UTC), "NA")
    >>> read_state(s, Secret("k"))["c"], read_state(s, Secret("k"))["r"]
    ('42', 'NA')
    """
    payload = {"c": customer_id, "s": seller_id, "e": int(expires_at.timestamp()),
               "n": secrets.token_urlsafe(8)}
    if region:
        payload["r"] = region
    return _serializer(secret).dumps(payload)


def read_state(state: str, secret: Secret) -> dict | None:
    """The payload of a state we signed, or ``None`` when it is forged, foreign or tampered."""
    try:
        payload = _serializer(secret).loads(state)
    except (BadSignature, UnicodeEncodeError):  # forged, or bytes that are not text
        return None
    return payload if isinstance(payload, dict) and {"c", "s", "e"} <= payload.keys() else None


def _customer(customers: CustomerList, customer_id: str, as_of: dt.date,
              settings: Settings, region: str | None = None) -> pd.Series:
    """The customer's authorization in ``region``, or the most urgent one."""
    every = rules.authorizations(customers, customer_id, as_of, settings.timezone,
                                 **settings.rules)
    if region:
        chosen = every[every["region"] == region.upper()]
        if chosen.empty:
            held = ", ".join(sorted(every["region"].dropna().astype(str))) or "none"
            raise SupportKitError(f"Customer {customer_id} has no authorization in region "
                                  f"{region.upper()} (regions in the list: {held}).")
        return chosen.iloc[0]
    return rules.most_urgent(every)


def renewal_link(customers: CustomerList, customer_id: str, settings: Settings,
                 redirect_uri: str | None = None, draft: bool = False, lang: str | None = None,
                 valid_days: int = DEFAULT_VALID_DAYS, now: dt.datetime | None = None,
                 message_lang: str | None = None, region: str | None = None) -> RenewalLink:
    """The Seller Central consent link for a customer's authorization in ``region`` (default:
    their most urgent one), with instructions in their language.

    Raises :class:`NoLink` (in ``message_lang``, the agent's language; default ``lang``) when
    the customer's situation allows no link - an unknown marketplace, an Amazon Payments or
    Vendor Central account, the Individual plan - and a clear error when the app id or state
    secret is not set.
    """
    if not 1 <= valid_days <= MAX_VALID_DAYS:
        raise SupportKitError(f"A renewal link must be valid for 1 to {MAX_VALID_DAYS} days "
                              f"(--valid-days), not {valid_days}.")
    now = now or dt.datetime.now(dt.UTC)
    row = _customer(customers, customer_id, now.date(), settings, region)
    lang = customer_language(lang or row["language"], settings.customer_language)
    situation = str(row["situation"])
    if not rules.SITUATIONS[situation].link_allowed:
        raise NoLink(text(message_lang or lang, f"situation.{situation}.no_link",
                          customer_id=row["customer_id"]))
    settings.require("app_id", "state_secret")
    market = marketplaces.lookup(row["country_code"])
    expires_at = now + dt.timedelta(days=valid_days)
    state = sign_state(str(row["customer_id"]), str(row["seller_id"]), settings.state_secret,
                       expires_at, market.region)
    query = {"application_id": settings.app_id, "state": state}
    if redirect_uri:
        query["redirect_uri"] = redirect_uri
    if draft:
        query["version"] = "beta"
    base = settings.seller_central_url or f"https://{market.seller_central_host}"
    url = f"{base.rstrip('/')}{CONSENT_PATH}?{urlencode(query)}"
    host = urlsplit(base).netloc
    return RenewalLink(str(row["customer_id"]), url, host, market.region, expires_at,
                       instructions(lang, url, format_date(expires_at.date(), lang)), lang)


def instructions(lang: str, url: str | None, valid_until: str = "") -> str:
    """The customer's instructions: preparations, the four steps, the link (if any).

    >>> "Token beantragen / erneuern" in instructions("de", None, None)
    True
    """
    lines = [text(lang, "renewal.title"), ""]
    lines += [f"- {p}" for p in texts(lang, "renewal.preparations")]
    lines.append("")
    lines += [f"{n}. {s}" for n, s in enumerate(texts(lang, "renewal.steps"), start=1)]
    lines.append("")
    if url:
        lines += [text(lang, "renewal.link_intro", valid_until=valid_until), url]
    else:
        lines.append(text(lang, "renewal.no_link"))
    lines += ["", text(lang, "renewal.anytime"), text(lang, "renewal.questions")]
    return "\n".join(lines)


def verify_callback(url: str, customers: CustomerList, settings: Settings,
                    lang: str = DEFAULT_LANGUAGE, now: dt.datetime | None = None,
                    customer_id: str | None = None) -> CallbackResult:
    """Check that a callback URL comes from our link, for that customer's own seller account.

    Problems: ``state_invalid``, ``state_expired``, ``customer_unknown``, ``seller_mismatch``,
    ``seller_missing`` (no ``selling_partner_id``), ``code_missing``, and
    ``customer_mismatch`` when ``customer_id`` (the one on screen) is given and the link was
    made for another customer.
    """
    settings.require("state_secret")
    if _NOT_TEXT.search(url):
        raise SupportKitError("The callback URL holds bytes that are not UTF-8 text (it was "
                              "damaged on the way): copy the whole address again from the "
                              "browser's address bar.")
    now = now or dt.datetime.now(dt.UTC)
    parts = urlsplit(url.strip())
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    seller = query.get("selling_partner_id") or None
    code = query.get("spapi_oauth_code") or None
    redirect_uri = f"{parts.scheme}://{parts.netloc}{parts.path}" if parts.netloc else None
    problems: list[str] = []
    messages: list[str] = []

    def problem(pid: str, **fields: object) -> None:
        problems.append(pid)
        messages.append(text(lang, f"callback.{pid}", **fields))

    on_screen = customer_id
    payload = read_state(query.get("state", ""), settings.state_secret)
    customer_id = payload["c"] if payload else None
    expected = ""
    if payload is None:
        problem("state_invalid")
    else:
        if on_screen is not None and str(on_screen) != customer_id:
            problem("customer_mismatch", customer_id=customer_id, on_screen=on_screen)
        if now.timestamp() > payload["e"]:
            problem("state_expired")
        if (customers.customers["customer_id"] == customer_id).sum() == 0:
            problem("customer_unknown")
        expected = payload["s"]
        if seller is None:
            problem("seller_missing")
        elif expected and seller != expected:
            problem("seller_mismatch", got=seller, expected=expected)
    if code is None:
        problem("code_missing")
    seller_new = payload is not None and not expected and seller is not None
    if not problems:
        messages.append(text(lang, "callback.ok"))
        if seller_new:
            messages.append(text(lang, "callback.seller_new", seller_id=seller))
    return CallbackResult(not problems, customer_id, seller, tuple(problems), tuple(messages),
                          Secret(code) if code else None, redirect_uri, seller_new, Secret(url),
                          payload.get("r") if payload else None)
