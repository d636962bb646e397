"""A local Amazon on 127.0.0.1 for demo, training and tests, speaking Amazon's contract.

- ``POST /auth/o2/token``: Login with Amazon, both grants, Amazon's error shapes.
- ``GET /sellers/v1/account`` and ``/sellers/v1/marketplaceParticipations``. As at Amazon,
  getAccount answers for EU sellers only, and only while the app has the role (switch
  ``account_role``); an expired client secret (switch ``client_secret_expired``) makes every
  Sellers API call a 403 saying so. Under ``/na``, ``/eu`` and ``/fe`` the same calls are one
  region's endpoint: a seller authorized in another region gets Amazon's 403.
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

from . import consent_errors, dates, marketplaces, rules
from .amazon import ACCOUNT_REGIONS
from .config import Settings
from .customers import CustomerList, authorization_key
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

    @property
    def region(self) -> str:
        """The region of the account's marketplace: one authorization per region."""
        market = marketplaces.lookup(self.country_code)
        return market.region if market else ""


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
        self.as_of = as_of or dates.today(settings.timezone)
        frame = rules.evaluate(customers.customers, self.as_of, settings.timezone,
                               **settings.rules)
        # one account per authorization (customer and region); by customer: the first one
        keys = [authorization_key(r.customer_id, r.region) for r in frame.itertuples()]
        self._accounts = {key: _account(row) for key, row in zip(keys, frame.itertuples(),
                                                                   strict=True)}
        first = {}
        for key, row in zip(keys, frame.itertuples(), strict=True):
            first.setdefault(row.customer_id, key)
            self._accounts.setdefault(row.customer_id, self._accounts[key])
        stopped = frame["state"].isin(rules.STOPPED_STATES).to_numpy()
        working = {k for k, out in zip(keys, stopped, strict=True) if not out}
        self._refresh: dict[str, tuple[str | None, Account | None]] = {}
        for key, token in customers.refresh_tokens.pairs():  # key: customer[@region]
            alive = (key if key in self._accounts and "@" in key else first.get(key)) in working
            self._refresh[token] = (key.split("@")[0],
                                    self._accounts.get(key) if alive else None)
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
        own = (self._accounts.get(authorization_key(payload["c"], payload.get("r")))
               or self._accounts.get(payload["c"])) if payload else None  # its region's
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


# --- the HTTP side: each route a small function of the sandbox and the request -----------
@dataclass(frozen=True)
class Answer:
    """What a route answers: a status, a body and its type, extra headers."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


#: A fault that drops the connection instead of answering.
DROPPED = Answer(0)


def json_answer(status: int, data: object, headers: dict[str, str] | None = None) -> Answer:
    """An answer with a JSON body.

    >>> json_answer(429, {"errors": []}, {"Retry-After": "0"})
    Answer(status=429, body=b'{"errors": []}', content_type='application/json', \
headers=(('Retry-After', '0'),))
    """
    return Answer(status, json.dumps(data).encode(), "application/json",
                  tuple((headers or {}).items()))


def html_answer(status: int, page: str) -> Answer:
    return Answer(status, page.encode(), "text/html; charset=utf-8")


def not_found() -> Answer:
    return json_answer(404, {"errors": [{"code": "NotFound", "message": "Not found"}]})


def fault(sandbox: Sandbox) -> Answer | None:
    """An injected fault's answer (:data:`DROPPED` to drop the connection), or None."""
    faults = sandbox.faults
    if faults.latency_ms:
        time.sleep(faults.latency_ms / 1000)
    if sandbox.roll(faults.drop_rate):
        return DROPPED
    if sandbox.roll(faults.throttle_rate):
        return json_answer(429, {"errors": [{"code": "QuotaExceeded",
                                             "message": "You exceeded your quota for the "
                                             "requested resource."}]}, {"Retry-After": "0"})
    if sandbox.roll(faults.fail_rate):
        return json_answer(503, {"errors": [{"code": "ServiceUnavailable",
                                             "message": "Service temporarily unavailable."}]})
    if sandbox.roll(faults.malformed_rate):
        return Answer(200, b'{"payload": {"sellingPlan": ')
    return None


def page_language(q: dict[str, str], accept_language: str) -> str:
    """A page's language: the link's ``language`` (training), else the browser's.

    >>> page_language({"language": "DE"}, "en-GB"), page_language({}, "xx")
    ('de', 'en')
    """
    wanted = (q.get("language") or accept_language[:2]).lower()
    return wanted if wanted in LANGUAGES else "en"


def token_endpoint(sandbox: Sandbox, form: dict[str, str]) -> Answer:
    """``POST /auth/o2/token``: Login with Amazon."""
    return fault(sandbox) or json_answer(*sandbox.token(form))


def sellers_api(sandbox: Sandbox, path: str, access_token: str,
                endpoint_region: str | None = None) -> Answer:
    """``GET /sellers/v1/...``: getAccount and getMarketplaceParticipations; under a region's
    prefix (``/eu/sellers/v1/...``) only for sellers authorized in that region."""
    account = sandbox.account_for(access_token)
    if account is None:
        return json_answer(403, {"errors": [{"code": "Unauthorized", "message":
                                             "Access to requested resource is denied.",
                                             "details": "The access token you provided is "
                                             "revoked, malformed or invalid."}]})
    if sandbox.client_secret_expired:
        return json_answer(403, {"errors": [DENIED | {"details": SECRET_EXPIRED}]})
    if endpoint_region and account.region != endpoint_region:
        return json_answer(403, {"errors": [DENIED]})  # another region's endpoint
    limit = {"x-amzn-RateLimit-Limit": "0.016"}
    if path == "/sellers/v1/account" and not (
            sandbox.account_role
            and marketplaces.lookup(account.country_code).region in ACCOUNT_REGIONS):
        return json_answer(403, {"errors": [DENIED]})
    if path == "/sellers/v1/account":
        return json_answer(200, {"payload": {
            "businessType": "PRIVATE_LIMITED",
            "sellingPlan": account.plan,
            "marketplaceParticipationList": [participation(account)],
        }}, limit)
    if path == "/sellers/v1/marketplaceParticipations":
        return json_answer(200, {"payload": [participation(account)]}, limit)
    return not_found()


def problem_page(sandbox: Sandbox, q: dict[str, str]) -> str | None:
    """The consent page's error page for this link, or None when the link is good."""
    forced = sandbox.consent_error or ("INVALID_ACCESS" if q.get("as") == "secondary" else None)
    if forced:
        return render("sandbox/message.html", title="We're sorry",
                      code=None if forced in consent_errors.NO_CODE else
                      consent_errors.SHOWN.get(forced, forced),
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
                      message="The redirect_uri is not registered for this application.")
    return None


def consent_page(sandbox: Sandbox, q: dict[str, str], lang: str,
                 error: str | None = None) -> Answer:
    """``GET /apps/authorize/consent``: Seller Central's consent page, signed in as the
    link's seller or as the switch says."""
    problem = problem_page(sandbox, q)
    if problem:
        return html_answer(400, problem)
    sign_in_as = q.get("as", "own") if q.get("as") in SIGN_IN_AS else "own"
    account = sandbox.signed_in(q.get("state", ""), sign_in_as)
    switch = {k: v for k, v in q.items() if k != "as"}
    links = {who: "/apps/authorize/consent?" + urlencode(switch | {"as": who})
             for who in SIGN_IN_AS}
    sandbox.languages[q.get("state", "")] = lang  # the callback page keeps it
    return html_answer(200, render("sandbox/consent.html", account=account, q=q, lang=lang,
                                   sign_in_as=sign_in_as, links=links, error=error))


def confirm(sandbox: Sandbox, form: dict[str, str], lang: str) -> Answer:
    """``POST /apps/authorize/confirm``: the seller agreed; redirect with a single-use code
    (or show the consent page again for an account that cannot authorize)."""
    problem = problem_page(sandbox, form)
    if problem:
        return html_answer(400, problem)
    account = sandbox.signed_in(form.get("state", ""), form.get("as", "own"))
    if account.account_type != "seller_central" or account.plan != "PROFESSIONAL":
        return consent_page(sandbox, form, lang)
    if form.get("consent") != "on":
        return consent_page(sandbox, form, lang, error="Please tick the checkbox to confirm.")
    redirect = form.get("redirect_uri") or sandbox.redirect_uris[0]
    code = sandbox.issue_code(account, redirect)
    query = urlencode({"state": form.get("state", ""), "selling_partner_id": account.seller_id,
                       "spapi_oauth_code": code})
    return Answer(302, headers=(("Location", f"{redirect}{'&' if '?' in redirect else '?'}"
                                             f"{query}"),))


def callback_page(sandbox: Sandbox, q: dict[str, str], request_path: str,
                  accept_language: str) -> Answer:
    """``GET /callback``: what came back, for a trainee to copy, in the consent page's
    language."""
    lang = sandbox.languages.get(q.get("state", ""), page_language({}, accept_language))
    return html_answer(200, render("sandbox/callback.html", params=q, lang=lang,
                                   url=f"{sandbox.url}{request_path}"))


def home_page() -> Answer:
    return html_answer(200, render("sandbox/message.html", title="support_kit sandbox",
                                   code=None, message="A local Amazon for demo, training "
                                   "and tests. Nothing here reaches Amazon."))


class SandboxHandler(LimitedHandler):
    """HTTP plumbing only: parse the request, pick the route, send its :class:`Answer`."""

    server_version = "SupportKitSandbox/0.1"
    protocol_version = "HTTP/1.1"
    sandbox: Sandbox  # set by :func:`_handler`

    def log_message(self, *args: object) -> None:  # quiet: tests and notebooks
        pass

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        if path not in ("/auth/o2/token", "/apps/authorize/confirm"):
            self.answer(not_found())
            return
        form = self.form()
        if form is None:  # too large or malformed, already answered
            return
        if path == "/auth/o2/token":
            self.answer(token_endpoint(self.sandbox, form))
        else:
            self.answer(confirm(self.sandbox, form, page_language(form, self.accept_language)))

    def do_GET(self) -> None:
        path, q = urlsplit(self.path).path, self.query()
        region = path[1:3].upper() if path[:4] in ("/na/", "/eu/", "/fe/") else None
        path = path[3:] if region else path
        if path.startswith("/sellers/v1/"):
            answer = fault(self.sandbox) or sellers_api(
                self.sandbox, path, self.headers.get("x-amz-access-token", ""), region)
        elif path == "/apps/authorize/consent":
            answer = consent_page(self.sandbox, q, page_language(q, self.accept_language))
        elif path == "/callback":
            answer = callback_page(self.sandbox, q, self.path, self.accept_language)
        elif path == "/":
            answer = home_page()
        else:
            answer = not_found()
        self.answer(answer)

    @property
    def accept_language(self) -> str:
        return self.headers.get("Accept-Language", "")

    def query(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}

    def form(self) -> dict[str, str] | None:
        body = self.read_body()  # None: too large or malformed, already answered
        if body is None:
            return None
        raw = body.decode("utf-8", "replace")
        return {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}

    def answer(self, answer: Answer) -> None:
        if answer is DROPPED:
            self.close_connection = True
            self.connection.close()
            return
        self.send_response(answer.status)
        if answer.body:
            self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        if answer.status != 302:
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        for key, value in answer.headers:
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(answer.body)


def _handler(sandbox: Sandbox) -> type[LimitedHandler]:
    """The request handler class of one sandbox."""
    return type("Handler", (SandboxHandler,),
                {"sandbox": sandbox, "timeout": sandbox.idle_timeout})
