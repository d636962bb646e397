"""A local Amazon on 127.0.0.1 for demo, training and tests, speaking Amazon's contract.

- ``POST /auth/o2/token``: Login with Amazon, both grants, Amazon's error shapes.
- ``GET /sellers/v1/account`` and ``/sellers/v1/marketplaceParticipations``. As at Amazon,
  getAccount answers for EU sellers only, and only while the app has the role (switch
  ``account_role``); an expired client secret (switch ``client_secret_expired``) makes every
  Sellers API call a 403 saying so.
- ``GET /apps/authorize/consent``: a Seller Central-like consent page, with a switch to sign
  in as another seller, an Individual-plan account, with Amazon Payments credentials or as a
  user who is not the account's primary user ("Invalid Access"); ``consent_error`` makes it
  show any consent-page error code.
- ``GET /callback``: shows what came back, for a trainee to copy.

Faults (latency, 5xx, 429, dropped connections, malformed JSON) can be injected into the
API endpoints for tests and benchmarks.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

from . import consent_errors, marketplaces, rules
from .amazon import ACCOUNT_REGIONS
from .config import Settings
from .customers import CustomerList
from .http_limits import IDLE_TIMEOUT_S, LimitedHandler, QuietServer
from .renewal import read_state
from .texts import LANGUAGES
from .views import render

CODE_LIFETIME_S = 300  # spapi_oauth_code: 5 minutes, single use
ACCESS_LIFETIME_S = 3600
SIGN_IN_AS = ("own", "other", "individual", "payments", "secondary")
#: Amazon's 403 when an app without the role (or outside the EU) calls getAccount.
DENIED = {"code": "Unauthorized", "message": "Access to requested resource is denied."}
SECRET_EXPIRED = "The LWA secret token you provided has expired."  # noqa: S105 (a message)
_MARKET_DETAILS = {  # currency, language, consumer domain
    "CA": ("CAD", "en_CA", "www.amazon.ca"), "US": ("USD", "en_US", "www.amazon.com"),
    "MX": ("MXN", "es_MX", "www.amazon.com.mx"), "BR": ("BRL", "pt_BR", "www.amazon.com.br"),
    "IE": ("EUR", "en_IE", "www.amazon.ie"), "ES": ("EUR", "es_ES", "www.amazon.es"),
    "GB": ("GBP", "en_GB", "www.amazon.co.uk"), "FR": ("EUR", "fr_FR", "www.amazon.fr"),
    "BE": ("EUR", "fr_BE", "www.amazon.com.be"), "NL": ("EUR", "nl_NL", "www.amazon.nl"),
    "DE": ("EUR", "de_DE", "www.amazon.de"), "IT": ("EUR", "it_IT", "www.amazon.it"),
    "SE": ("SEK", "sv_SE", "www.amazon.se"), "ZA": ("ZAR", "en_ZA", "www.amazon.co.za"),
    "PL": ("PLN", "pl_PL", "www.amazon.pl"), "EG": ("EGP", "ar_EG", "www.amazon.eg"),
    "TR": ("TRY", "tr_TR", "www.amazon.com.tr"), "SA": ("SAR", "ar_SA", "www.amazon.sa"),
    "AE": ("AED", "ar_AE", "www.amazon.ae"), "IN": ("INR", "hi_IN", "www.amazon.in"),
    "SG": ("SGD", "en_SG", "www.amazon.sg"), "AU": ("AUD", "en_AU", "www.amazon.com.au"),
    "JP": ("JPY", "ja_JP", "www.amazon.co.jp"),
}


@dataclass(frozen=True)
class Account:
    """Who is signed in to the sandbox's Seller Central."""

    seller_id: str
    store_name: str
    plan: str  # PROFESSIONAL | INDIVIDUAL
    account_type: str  # seller_central | amazon_payments | vendor_central
    country_code: str
    customer_id: str | None = None


@dataclass(frozen=True)
class Faults:
    """Fault injection for the API endpoints: probabilities per request and a latency."""

    latency_ms: int = 0
    fail_rate: float = 0.0
    throttle_rate: float = 0.0
    drop_rate: float = 0.0
    malformed_rate: float = 0.0


class Sandbox:
    """A running local Amazon. Use as a context manager, or ``start()`` / ``stop()``.

    >>> from support_kit.customers import load, demo_path
    >>> from support_kit.config import load_settings
    >>> with Sandbox(load(demo_path()), load_settings({})) as amazon:
    ...     amazon.url.startswith("http://127.0.0.1:")
    True
    """

    def __init__(self, customers: CustomerList, settings: Settings,
                 as_of: dt.date | None = None, port: int = 0, faults: Faults = Faults(),
                 draft_app: bool = False, redirect_uris: tuple[str, ...] = (),
                 seed: int | None = None, account_role: bool = True,
                 client_secret_expired: bool = False, consent_error: str | None = None,
                 idle_timeout: float = IDLE_TIMEOUT_S):
        self.settings = settings
        self.idle_timeout = idle_timeout
        self.faults = faults
        self.draft_app = draft_app
        self.account_role = account_role
        self.client_secret_expired = client_secret_expired
        self.consent_error = consent_errors.normalise(consent_error) if consent_error else None
        if consent_error and self.consent_error is None:
            consent_errors.explain(consent_error, "en")  # raises: names the known codes
        self._extra_redirects = tuple(redirect_uris)
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.as_of = as_of or rules.today(settings.timezone)
        frame = rules.evaluate(customers.customers, self.as_of, settings.timezone)
        self._accounts = {row.customer_id: _account(row) for row in frame.itertuples()}
        working = set(frame.loc[~frame["state"].isin(rules.STOPPED_STATES), "customer_id"])
        self._refresh: dict[str, tuple[str | None, Account | None]] = {}
        for customer_id, token in customers.refresh_tokens.pairs():
            alive = customer_id in working
            self._refresh[token] = (customer_id, self._accounts[customer_id] if alive else None)
        self.languages: dict[str, str] = {}  # state -> the language its consent page used
        self._codes: dict[str, tuple[Account, str, float]] = {}
        self.code_exchanges = 0
        self._access: dict[str, tuple[Account, float]] = {}
        self._server = QuietServer(("127.0.0.1", port), _handler(self))  # capped, time-limited
        self._thread: threading.Thread | None = None

    # --- life cycle ----------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def redirect_uris(self) -> tuple[str, ...]:
        """The app's registered redirect URIs; the first is the default."""
        return (f"{self.url}/callback", *self._extra_redirects)

    def client_settings(self, base: Settings | None = None) -> Settings:
        """Settings that point links, LWA and the Sellers API at this sandbox."""
        return dataclasses.replace(base or self.settings, spapi_endpoint=self.url,
                                   lwa_endpoint=f"{self.url}/auth/o2/token",
                                   seller_central_url=self.url)

    def start(self) -> Sandbox:
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="support-kit-sandbox", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        """Stop a sandbox started with :meth:`start`."""
        self._server.shutdown()
        self.close()

    def close(self) -> None:
        """Release the port (after :meth:`serve_forever` returned)."""
        self._server.server_close()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- Amazon's behaviour --------------------------------------------------------------
    def roll(self, rate: float) -> bool:
        with self._lock:
            return rate > 0 and self._random.random() < rate

    def signed_in(self, state: str, sign_in_as: str) -> Account:
        payload = read_state(state, self.settings.state_secret) if self.settings.state_secret \
            else None
        own = self._accounts.get(payload["c"]) if payload else None
        own = own or Account("A0SANDBOXSELLER", "Sandbox Store", "PROFESSIONAL",
                             "seller_central", "DE")
        if sign_in_as == "other":
            return Account("A2OTHERSELLER9X", "Another Seller's Store", "PROFESSIONAL",
                           "seller_central", own.country_code)
        if sign_in_as == "individual":
            return dataclasses.replace(own, plan="INDIVIDUAL")
        if sign_in_as == "payments":
            return dataclasses.replace(own, account_type="amazon_payments")
        return own

    def issue_code(self, account: Account, redirect_uri: str) -> str:
        code = "ANsandbox" + secrets.token_urlsafe(12)
        with self._lock:
            self._codes[code] = (account, redirect_uri, time.monotonic() + CODE_LIFETIME_S)
        return code

    def token(self, form: dict[str, str]) -> tuple[int, dict]:
        if (form.get("client_id") != self.settings.lwa_client_id
                or self.settings.lwa_client_secret is None
                or form.get("client_secret") != self.settings.lwa_client_secret.reveal()):
            return 401, {"error": "invalid_client",
                         "error_description": "Client authentication failed"}
        grant = form.get("grant_type")
        if grant == "refresh_token":
            with self._lock:
                _, account = self._refresh.get(form.get("refresh_token", ""), (None, None))
            if account is None:
                return 400, {"error": "invalid_grant", "error_description":
                             "The request has an invalid grant parameter : refresh_token. "
                             "User may have revoked or didn't grant the permission."}
            return 200, self._grant(account, refresh=None)
        if grant == "authorization_code":
            with self._lock:
                self.code_exchanges += 1  # tests see whether Amazon was asked again
                entry = self._codes.pop(form.get("code", ""), None)  # single use
            if entry is None or time.monotonic() > entry[2] or (
                    form.get("redirect_uri") and form["redirect_uri"] != entry[1]):
                return 400, {"error": "invalid_grant", "error_description":
                             "The request has an invalid grant parameter : code"}
            refresh = "Atzr|sandbox-" + secrets.token_urlsafe(24)
            with self._lock:
                self._refresh[refresh] = (entry[0].customer_id, entry[0])
            return 200, self._grant(entry[0], refresh=refresh)
        if not grant:
            return 400, {"error": "invalid_request",
                         "error_description": "The request is missing grant_type"}
        return 400, {"error": "unsupported_grant_type",
                     "error_description": f"Grant type {grant} is not supported"}

    def _grant(self, account: Account, refresh: str | None) -> dict:
        access = "Atza|sandbox-" + secrets.token_urlsafe(24)
        with self._lock:
            self._access[access] = (account, time.monotonic() + ACCESS_LIFETIME_S)
        body = {"access_token": access, "token_type": "bearer", "expires_in": ACCESS_LIFETIME_S}
        if refresh:
            body["refresh_token"] = refresh
        return body

    def account_for(self, access_token: str) -> Account | None:
        with self._lock:
            account, until = self._access.get(access_token, (None, 0.0))
        return account if account and time.monotonic() < until else None


def _account(row) -> Account:
    plan = "INDIVIDUAL" if row.selling_plan == "individual" else "PROFESSIONAL"
    country = row.country_code if isinstance(row.country_code, str) else "DE"
    return Account(row.seller_id or f"A0{row.customer_id}", row.shop_name or row.customer_id,
                   plan, row.account_type or "seller_central", country, row.customer_id)


def participation(account: Account) -> dict:
    """One ``MarketplaceParticipation`` in Amazon's schema."""
    market = marketplaces.lookup(account.country_code)
    currency, lang, domain = _MARKET_DETAILS[market.country_code]
    return {"marketplace": {"id": market.marketplace_id, "name": market.name,
                            "countryCode": market.country_code, "defaultCurrencyCode": currency,
                            "defaultLanguageCode": lang, "domainName": domain},
            "storeName": account.store_name,
            "participation": {"isParticipating": True, "hasSuspendedListings": False}}


def _handler(sandbox: Sandbox) -> type[LimitedHandler]:
    class Handler(LimitedHandler):
        server_version = "SupportKitSandbox/0.1"
        timeout = sandbox.idle_timeout
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # quiet: tests and notebooks
            pass

        # --- plumbing --------------------------------------------------------------------
        def _send(self, status: int, body: bytes, content_type: str,
                  headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, data: object, headers: dict[str, str] | None = None
                  ) -> None:
            self._send(status, json.dumps(data).encode(), "application/json", headers)

        def _html(self, status: int, page: str) -> None:
            self._send(status, page.encode(), "text/html; charset=utf-8")

        def _faulty(self) -> bool:
            """Apply injected faults; True when the request was answered by a fault."""
            faults = sandbox.faults
            if faults.latency_ms:
                time.sleep(faults.latency_ms / 1000)
            if sandbox.roll(faults.drop_rate):
                self.close_connection = True
                self.connection.close()
                return True
            if sandbox.roll(faults.throttle_rate):
                self._json(429, {"errors": [{"code": "QuotaExceeded",
                                             "message": "You exceeded your quota for the "
                                             "requested resource."}]}, {"Retry-After": "0"})
                return True
            if sandbox.roll(faults.fail_rate):
                self._json(503, {"errors": [{"code": "ServiceUnavailable",
                                             "message": "Service temporarily unavailable."}]})
                return True
            if sandbox.roll(faults.malformed_rate):
                self._send(200, b'{"payload": {"sellingPlan": ', "application/json")
                return True
            return False

        def _language(self, q: dict[str, str]) -> str:
            """The page's language: the link's ``language`` (training), else the browser's."""
            wanted = q.get("language") or self.headers.get("Accept-Language", "")[:2]
            return wanted.lower() if wanted.lower() in LANGUAGES else "en"

        def _query(self) -> dict[str, str]:
            return {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}

        def _form(self) -> dict[str, str] | None:
            body = self.read_body()  # None: too large or malformed, already answered
            if body is None:
                return None
            raw = body.decode("utf-8", "replace")
            return {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}

        # --- routes ----------------------------------------------------------------------
        def do_POST(self) -> None:
            path = urlsplit(self.path).path
            form = self._form() if path in ("/auth/o2/token", "/apps/authorize/confirm") \
                else {}
            if form is None:
                return
            if path == "/auth/o2/token":
                if not self._faulty():
                    self._json(*sandbox.token(form))
            elif path == "/apps/authorize/confirm":
                self._confirm(form)
            else:
                self._json(404, {"errors": [{"code": "NotFound", "message": "Not found"}]})

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            if path.startswith("/sellers/v1/"):
                if not self._faulty():
                    self._sellers(path)
            elif path == "/apps/authorize/consent":
                self._consent(self._query())
            elif path == "/callback":
                params = self._query()
                self._html(200, render("sandbox/callback.html", params=params,
                                       lang=sandbox.languages.get(params.get("state", ""),
                                                                  self._language({})),
                                       url=f"{sandbox.url}{self.path}"))
            elif path == "/":
                self._html(200, render("sandbox/message.html", title="support_kit sandbox",
                                       code=None, message="A local Amazon for demo, training "
                                       "and tests. Nothing here reaches Amazon."))
            else:
                self._json(404, {"errors": [{"code": "NotFound", "message": "Not found"}]})

        def _sellers(self, path: str) -> None:
            account = sandbox.account_for(self.headers.get("x-amz-access-token", ""))
            if account is None:
                self._json(403, {"errors": [{"code": "Unauthorized", "message":
                                             "Access to requested resource is denied.",
                                             "details": "The access token you provided is "
                                             "revoked, malformed or invalid."}]})
                return
            if sandbox.client_secret_expired:
                self._json(403, {"errors": [DENIED | {"details": SECRET_EXPIRED}]})
                return
            limit = {"x-amzn-RateLimit-Limit": "0.016"}
            if path == "/sellers/v1/account" and not (
                    sandbox.account_role and marketplaces.lookup(account.country_code).region
                    in ACCOUNT_REGIONS):
                self._json(403, {"errors": [DENIED]})
            elif path == "/sellers/v1/account":
                self._json(200, {"payload": {
                    "businessType": "PRIVATE_LIMITED",
                    "sellingPlan": account.plan,
                    "marketplaceParticipationList": [participation(account)],
                }}, limit)
            elif path == "/sellers/v1/marketplaceParticipations":
                self._json(200, {"payload": [participation(account)]}, limit)
            else:
                self._json(404, {"errors": [{"code": "NotFound", "message": "Not found"}]})

        def _problem_page(self, q: dict[str, str]) -> str | None:
            forced = sandbox.consent_error or (
                "INVALID_ACCESS" if q.get("as") == "secondary" else None)
            if forced:
                return render("sandbox/message.html", title="We're sorry",
                              code=consent_errors.SHOWN.get(forced, forced),
                              message=consent_errors.AMAZON_PAGES[forced])
            if q.get("application_id") != sandbox.settings.app_id:
                return render("sandbox/message.html", title="We're sorry", code="MD9100",
                              message="The application id in this link is unknown.")
            if sandbox.draft_app and q.get("version") != "beta":
                return render("sandbox/message.html", title="We're sorry", code="MD1000",
                              message="This application is in draft state and can only be "
                              "authorized with version=beta in the link.")
            redirect = q.get("redirect_uri")
            if redirect and "#" in redirect:
                return render("sandbox/message.html", title="We're sorry", code="MD5110",
                              message="The redirect_uri contains a fragment (#).")
            if redirect and redirect not in sandbox.redirect_uris:
                return render("sandbox/message.html", title="We're sorry", code="MD5101",
                              message="The redirect_uri is not registered for this "
                              "application.")
            return None

        def _consent(self, q: dict[str, str], error: str | None = None) -> None:
            problem = self._problem_page(q)
            if problem:
                self._html(400, problem)
                return
            sign_in_as = q.get("as", "own") if q.get("as") in SIGN_IN_AS else "own"
            account = sandbox.signed_in(q.get("state", ""), sign_in_as)
            switch = {k: v for k, v in q.items() if k != "as"}
            links = {who: "/apps/authorize/consent?" + urlencode(switch | {"as": who})
                     for who in SIGN_IN_AS}
            lang = self._language(q)
            sandbox.languages[q.get("state", "")] = lang  # the callback page keeps it
            self._html(200, render("sandbox/consent.html", account=account, q=q, lang=lang,
                                   sign_in_as=sign_in_as, links=links, error=error))

        def _confirm(self, form: dict[str, str]) -> None:
            problem = self._problem_page(form)
            if problem:
                self._html(400, problem)
                return
            account = sandbox.signed_in(form.get("state", ""), form.get("as", "own"))
            if account.account_type != "seller_central" or account.plan != "PROFESSIONAL":
                self._consent(form)
                return
            if form.get("consent") != "on":
                self._consent(form, error="Please tick the checkbox to confirm.")
                return
            redirect = form.get("redirect_uri") or sandbox.redirect_uris[0]
            code = sandbox.issue_code(account, redirect)
            query = urlencode({"state": form.get("state", ""),
                               "selling_partner_id": account.seller_id,
                               "spapi_oauth_code": code})
            self.send_response(302)
            self.send_header("Location", f"{redirect}{'&' if '?' in redirect else '?'}{query}")
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Handler

