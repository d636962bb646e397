"""Ask Amazon whether each token still works, and classify the answer into a live state.

A token is proven with ``getMarketplaceParticipations`` (every region). ``getAccount`` adds
the selling plan where Amazon answers it (EU only, and only for apps with the role); where
it does not, the token is still ``alive`` and the plan is "not checked" (FACTS.md, "Sellers
API: which call works where"). A check that failed is never reported as valid or expired:
``unreachable``, ``throttled`` and ``error`` say the check itself did not get an answer. The
app's own credentials failing (a wrong or an expired client secret) is the app's problem:
the run stops once and blames no seller. A 403 on the proof after a good refresh is
``access_denied``, with its likely causes ranked by what the desk knows (FACTS.md, "A 403 on
an SP-API call after a good token refresh").
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

import pandas as pd
import requests

from . import dates, rules
from .amazon import ACCOUNT_REGIONS, AmazonClient, AmazonError, endpoint_region, participations
from .config import Secret, Settings
from .customers import CustomerList
from .errors import SupportKitError
from .stoppable import completed
from .texts import DEFAULT_LANGUAGE, language, text
from .views import render

LIVE_STATES = ("alive", "expired", "revoked", "no_token", "app_credentials_invalid",
               "unreachable", "throttled", "access_denied", "error")
#: Why Amazon may refuse a call after a good refresh (Amazon's list of common errors).
DENIED_CAUSES = ("authorization_ended", "region_mismatch", "account_deactivated",
                 "role_missing")
DEFAULT_CONCURRENCY = 8
#: How far the selling plan was checked: by getAccount, or why not.
PLAN_CHECKS = ("checked", "not_available", "refused", "failed")
#: The app's own problems: a wrong client id/secret, or an expired client secret.
APP_PROBLEMS = ("invalid_client", "client_secret_expired")
#: Live findings: what Amazon says against the customer data (to fix in the data).
LIVE_FINDINGS = ("plan_not_professional", "data_says_professional", "data_says_individual",
                 "data_says_wrong_account")
_SECRET_EXPIRED = re.compile(r"secret.*expired|expired.*secret", re.IGNORECASE)


@dataclass(frozen=True)
class LiveResult:
    """One customer's live check."""

    customer_id: str
    live_state: str
    selling_plan: str | None = None
    marketplaces: tuple[str, ...] = ()
    request_id: str | None = None
    detail: str = ""
    findings: tuple[str, ...] = ()
    plan_check: str = ""
    app_problem: str | None = None
    #: for ``access_denied``: the likely causes, most likely first (:data:`DENIED_CAUSES`)
    causes: tuple[str, ...] = ()
    #: the region of the authorization checked (a seller may hold one in NA, EU and FE)
    region: str | None = None
    #: the language a notebook shows it in (not part of the result: never compared or sent)
    shown_in: str = field(default=DEFAULT_LANGUAGE, compare=False, repr=False)

    def to_dict(self) -> dict:
        data = asdict(self)
        del data["shown_in"]
        data["marketplaces"] = list(self.marketplaces)
        data["findings"] = list(self.findings)
        data["causes"] = list(self.causes)
        return data

    def cause_texts(self, lang: str = DEFAULT_LANGUAGE) -> list[str]:
        """Each likely cause of an ``access_denied`` in words, most likely first."""
        return [text(lang, f"live_cause.{c}") for c in self.causes]

    def next_step(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """What to do first: the most likely cause's step (empty when nothing is denied)."""
        return text(lang, f"live_cause_step.{self.causes[0]}") if self.causes else ""

    def label(self, lang: str = DEFAULT_LANGUAGE) -> str:
        if self.app_problem:
            return text(lang, f"app_problem.{self.app_problem}")
        return text(lang, f"live_state.{self.live_state}")

    def plan_text(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """The selling plan Amazon reports, or why it was not checked."""
        if self.plan_check in ("", "checked"):
            return self.selling_plan or ""
        return text(lang, f"plan_check.{self.plan_check}")

    def html(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """The result as HTML in ``lang`` (the result keeps ids; any language renders it)."""
        return render("live_result.html", r=self, lang=language(lang))

    def _repr_html_(self) -> str:
        return self.html(self.shown_in)

    def shown_in_language(self, lang: str) -> LiveResult:
        """The same result, shown in ``lang`` by a notebook (``_repr_html_``).

        >>> "Token works" in LiveResult("C1", "alive").shown_in_language("en")._repr_html_()
        True
        """
        return dataclasses.replace(self, shown_in=language(lang))


@dataclass
class LiveCheckRun:
    """All results of one run, and the app's own problem if there was one (reported once)."""

    results: list[LiveResult]
    app_problem: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    interrupted: bool = False  # stopped by Ctrl-C: ``results`` holds the finished checks
    total: int | None = None  # checks asked for

    def to_dict(self) -> dict:
        return {"results": [r.to_dict() for r in self.results], "app_problem": self.app_problem,
                "counts": self.counts, "interrupted": self.interrupted}


def app_problem(error: AmazonError) -> str | None:
    """Whether an error is the app's own problem, and which one (see :data:`APP_PROBLEMS`).

    A wrong secret is LWA's ``invalid_client``; an expired one a 403 whose details say so.

    >>> app_problem(AmazonError(403, "Unauthorized", "Access to requested resource is denied.",
    ...             details="The LWA secret token you provided has expired."))
    'client_secret_expired'
    >>> app_problem(AmazonError(401, "invalid_client", "Client authentication failed"))
    'invalid_client'
    """
    if _SECRET_EXPIRED.search(f"{error.message} {error.details}"):
        return "client_secret_expired"
    if error.code in ("invalid_client", "unauthorized_client"):
        return "invalid_client"
    return None


def classify_lwa_error(error: AmazonError, expired_by_date: bool) -> str:
    """The live state for an error from the token endpoint.

    Amazon answers ``invalid_grant`` for expired and revoked tokens alike: the date decides.

    >>> classify_lwa_error(AmazonError(400, "invalid_grant", ""), expired_by_date=True)
    'expired'
    >>> classify_lwa_error(AmazonError(401, "invalid_client", ""), expired_by_date=False)
    'app_credentials_invalid'
    """
    if app_problem(error):
        return "app_credentials_invalid"
    if error.code == "invalid_grant":
        return "expired" if expired_by_date else "revoked"
    if error.status == 429:
        return "throttled"
    return "error"


def _failed(customer_id: str, exc: AmazonError) -> LiveResult:
    problem = app_problem(exc)
    state = "app_credentials_invalid" if problem else "throttled" if exc.status == 429 \
        else "error"
    return LiveResult(customer_id, state, request_id=exc.request_id,
                      detail=f"{exc.code}: {exc.message} {exc.details}".strip(),
                      app_problem=problem)


def check_one(client: AmazonClient, row: pd.Series, token: Secret | None) -> LiveResult:
    """Check one evaluated customer row (one authorization) against Amazon with its refresh
    ``token``; the result names the authorization's region."""
    result = _check_one(client, row, token)
    region = row.get("region")
    return dataclasses.replace(result, region=region if isinstance(region, str) else None)


def _check_one(client: AmazonClient, row: pd.Series, token: Secret | None) -> LiveResult:
    customer_id = str(row["customer_id"])
    if token is None:
        return LiveResult(customer_id, "no_token", detail="no refresh token on file")
    expired_by_date = pd.notna(row["days_left"]) and rules.past_expiry(int(row["days_left"]))
    region = row["region"] if isinstance(row["region"], str) else "EU"
    try:
        grant = client.refresh_access_token(token)
    except AmazonError as exc:
        result = _failed(customer_id, exc)
        if result.live_state == "app_credentials_invalid":
            return result
        return dataclasses.replace(result, live_state=classify_lwa_error(exc, expired_by_date))
    except (requests.ConnectionError, requests.Timeout) as exc:
        return LiveResult(customer_id, "unreachable", detail=network_detail(exc))
    try:  # the proof: answered in every region
        listed, request_id = client.get_marketplace_participations(grant.access_token, region)
    except AmazonError as exc:
        result = _failed(customer_id, exc)
        if exc.status == 403 and result.app_problem is None:  # the refresh worked
            return dataclasses.replace(result, live_state="access_denied", causes=denied_causes(
                row, endpoint_region(client.spapi_base(region))))
        return result
    except (requests.ConnectionError, requests.Timeout) as exc:
        return LiveResult(customer_id, "unreachable", detail=network_detail(exc))
    plan, plan_check = None, "not_available"
    if region in ACCOUNT_REGIONS:  # the bonus: the plan, where Amazon answers getAccount
        try:
            account, _ = client.get_account(grant.access_token, region)
            plan = str((account.get("payload") or {}).get("sellingPlan") or "").upper() or None
            plan_check = "checked"
        except AmazonError as exc:
            if app_problem(exc):
                return _failed(customer_id, exc)
            plan_check = "refused" if exc.status == 403 else "failed"
        except (requests.ConnectionError, requests.Timeout):
            plan_check = "failed"
    return LiveResult(customer_id, "alive", plan, tuple(participations(listed.get("payload"))),
                      request_id, "token works", live_findings(row, plan), plan_check)


def denied_causes(row: pd.Series, endpoint: str | None) -> tuple[str, ...]:
    """The likely causes of a 403 after a good refresh, most likely first, by what the desk
    knows: the date says the authorization ended; the seller's region is not the endpoint's
    (unknown endpoint region: it may be); the account may be deactivated; the app may lack
    the role. A cause the desk can rule out is left out.

    >>> denied_causes(pd.Series({"state": "valid", "region": "NA"}), "EU")
    ('region_mismatch', 'account_deactivated', 'role_missing', 'authorization_ended')
    >>> denied_causes(pd.Series({"state": "expired", "region": "EU"}), "EU")
    ('authorization_ended', 'account_deactivated', 'role_missing')
    """
    region = row.get("region") if isinstance(row.get("region"), str) else None
    ended = str(row.get("state")) in rules.STOPPED_STATES
    known_mismatch = bool(endpoint and region and endpoint != region)
    maybe_mismatch = endpoint is None or region is None
    causes = ["authorization_ended"] if ended else []
    causes += ["region_mismatch"] if known_mismatch else []
    causes += ["account_deactivated", "role_missing"]
    causes += ["region_mismatch"] if maybe_mismatch and not known_mismatch else []
    causes += [] if ended else ["authorization_ended"]  # revoked since the list was written
    return tuple(causes)


def live_findings(row: pd.Series, plan: str | None) -> tuple[str, ...]:
    """What a working token and Amazon's plan say against the customer data.

    >>> live_findings(pd.Series({"selling_plan": "professional",
    ...                          "account_type": "amazon_payments"}), "INDIVIDUAL")
    ('plan_not_professional', 'data_says_professional', 'data_says_wrong_account')
    """
    listed_plan = str(row.get("selling_plan") or "")
    found = []
    if plan == "INDIVIDUAL":
        found.append("plan_not_professional")
        if listed_plan == "professional":
            found.append("data_says_professional")
    elif plan == "PROFESSIONAL" and listed_plan == "individual":
        found.append("data_says_individual")
    if str(row.get("account_type") or "") in rules.WRONG_ACCOUNTS:
        found.append("data_says_wrong_account")  # only Seller Central accounts authorize
    return tuple(found)


def network_detail(exc: Exception) -> str:
    timed_out = isinstance(exc, requests.Timeout) or "timed out" in str(exc).lower()
    kind = "timed out" if timed_out else "connection failed"
    return f"{kind} ({type(exc).__name__})"


def live_check(customers: CustomerList, settings: Settings, customer_ids: Iterable[str] = (),
               as_of: dt.date | None = None, concurrency: int = DEFAULT_CONCURRENCY,
               progress: Callable[[int, int], None] | None = None,
               client: AmazonClient | None = None) -> LiveCheckRun:
    """Check the given customers (all when none are given), ``concurrency`` at a time.

    When Amazon rejects the app's own credentials the run stops and says so once in
    ``app_problem``; the sellers are not blamed. Ctrl-C stops the run at once: the finished
    checks are returned, marked ``interrupted``.
    """
    settings.require("lwa_client_id", "lwa_client_secret")
    if concurrency < 1:
        raise SupportKitError("--concurrency must be 1 or more.")
    wanted = [str(c) for c in customer_ids]
    frame = customers.customers
    if wanted:
        unknown = sorted(set(wanted) - set(frame["customer_id"]))
        if unknown:
            raise SupportKitError(f"Not in {customers.source}: {', '.join(unknown)}. "
                                  "Check the customer ids.")
        frame = frame[frame["customer_id"].isin(wanted)]
    evaluated = rules.evaluate(frame, as_of or dates.today(settings.timezone), settings.timezone,
                               **settings.rules)
    rows = [row for _, row in evaluated.iterrows()]
    own_client = client is None
    client = client or AmazonClient(settings, pool_size=max(concurrency, 1))
    finished: dict[int, LiveResult] = {}
    problem: str | None = None
    interrupted = False

    def check(row: pd.Series) -> LiveResult:
        region = row["region"] if isinstance(row["region"], str) else None
        try:
            token = customers.refresh_tokens.get(row["customer_id"], region)
        except SupportKitError as exc:  # a desk token this key cannot open: that one only
            return LiveResult(row["customer_id"], "no_token", detail=str(exc), region=region)
        return check_one(client, row, token)

    try:
        for index, result in completed(check, rows, concurrency):
            finished[index] = result
            if result.live_state == "app_credentials_invalid" and problem is None:
                problem = text("en", f"app_problem.{result.app_problem or 'invalid_client'}")
            if progress:
                progress(len(finished), len(rows))
            if problem:
                break  # the checks not yet started are cancelled
    except KeyboardInterrupt:  # Ctrl-C: keep what is finished, cancel the rest, at once
        interrupted = True
    finally:
        if own_client:
            client.close()
    results = [finished[i] for i in sorted(finished)]  # in the order of the list
    counts = {s: sum(r.live_state == s for r in results) for s in LIVE_STATES}
    return LiveCheckRun(results, problem, counts, interrupted, len(rows))

