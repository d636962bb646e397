"""Amazon over HTTP with requests: the LWA token endpoint and the Sellers API.

One pooled ``requests.Session``; a timeout on every call; urllib3's ``Retry`` for 429 and
5xx (honouring ``Retry-After``, with backoff). ``invalid_grant`` is a 400 and never retried.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .config import Secret, Settings

log = logging.getLogger("support_kit.amazon")

#: (connect, read) seconds: an unreachable Amazon is reported quickly, not after minutes.
DEFAULT_TIMEOUT = (3.05, 15.0)
RETRY_STATUSES = (429, 500, 502, 503, 504)
#: Regions where Amazon answers getAccount (and only to apps with the role; FACTS.md).
ACCOUNT_REGIONS = ("EU",)
SPAPI_HOSTS = {"NA": "https://sellingpartnerapi-na.amazon.com",
               "EU": "https://sellingpartnerapi-eu.amazon.com",
               "FE": "https://sellingpartnerapi-fe.amazon.com"}


@dataclass(frozen=True)
class AmazonError(Exception):
    """An error answer from Amazon: HTTP status, Amazon's code and the request id."""

    status: int
    code: str
    message: str
    request_id: str | None = None
    details: str = ""

    def __str__(self) -> str:
        rid = f", request id {self.request_id}" if self.request_id else ""
        return f"Amazon answered {self.status} {self.code}: {self.message}{rid}"


@dataclass(frozen=True)
class Grant:
    """Tokens from the LWA endpoint; both are secrets."""

    access_token: Secret = field(repr=False)
    refresh_token: Secret | None = field(repr=False)
    expires_in: int
    request_id: str | None = None


def default_retry(total: int = 4, backoff: float = 0.5) -> Retry:
    """Retry throttling and server errors, honour ``Retry-After``, never other 4xx.

    >>> default_retry().status_forcelist
    (429, 500, 502, 503, 504)
    """
    return Retry(total=total, connect=1, read=1, status=total, backoff_factor=backoff,
                 backoff_max=8, status_forcelist=RETRY_STATUSES,
                 allowed_methods=frozenset({"GET", "POST"}),
                 respect_retry_after_header=True, raise_on_status=False)


class AmazonClient:
    """A small client for the calls the desk needs, over one pooled session.

    >>> from support_kit.config import load_settings
    >>> AmazonClient(load_settings({"SUPPORT_KIT_LWA_CLIENT_SECRET": "x"}))
    <AmazonClient lwa=https://api.amazon.com/auth/o2/token client_secret=[secure]>
    """

    def __init__(self, settings: Settings, timeout: tuple[float, float] = DEFAULT_TIMEOUT,
                 retry: Retry | None = None, pool_size: int = 16):
        self.settings = settings
        self.timeout = timeout
        self.session = requests.Session()
        adapter = HTTPAdapter(max_retries=retry or default_retry(),
                              pool_connections=pool_size, pool_maxsize=pool_size)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.session.headers["User-Agent"] = "support-kit/0.1 (Language=Python)"

    def __repr__(self) -> str:
        return (f"<AmazonClient lwa={self.settings.lwa_endpoint} "
                f"client_secret={self.settings.lwa_client_secret}>")

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> AmazonClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- Login with Amazon -------------------------------------------------------------
    def _token(self, form: dict[str, str]) -> Grant:
        self.settings.require("lwa_client_id", "lwa_client_secret")
        body = form | {"client_id": self.settings.lwa_client_id,
                       "client_secret": self.settings.lwa_client_secret.reveal()}
        response = self.session.post(self.settings.lwa_endpoint, data=body, timeout=self.timeout)
        request_id = _request_id(response)
        log.info("LWA %s -> %s (x-amzn-RequestId %s)", form["grant_type"],
                 response.status_code, request_id)
        data = _json(response)
        if response.status_code != 200 or "access_token" not in data:
            raise _error(response, data)
        refresh = data.get("refresh_token")
        return Grant(Secret(data["access_token"]), Secret(refresh) if refresh else None,
                     int(data.get("expires_in", 3600)), request_id)

    def refresh_access_token(self, refresh_token: Secret) -> Grant:
        """Trade a seller's refresh token for a one-hour access token."""
        return self._token({"grant_type": "refresh_token",
                            "refresh_token": refresh_token.reveal()})

    def exchange_code(self, code: Secret, redirect_uri: str | None = None) -> Grant:
        """Trade a callback's ``spapi_oauth_code`` (5 minutes, single use) for tokens."""
        form = {"grant_type": "authorization_code", "code": code.reveal()}
        if redirect_uri:
            form["redirect_uri"] = redirect_uri
        return self._token(form)

    # --- Sellers API ---------------------------------------------------------------------
    def spapi_base(self, region: str) -> str:
        return (self.settings.spapi_endpoint or SPAPI_HOSTS.get(region, SPAPI_HOSTS["EU"])
                ).rstrip("/")

    def _get(self, path: str, access_token: Secret, region: str) -> tuple[dict, str | None]:
        response = self.session.get(self.spapi_base(region) + path, timeout=self.timeout,
                                    headers={"x-amz-access-token": access_token.reveal()})
        request_id = _request_id(response)
        log.info("GET %s -> %s (x-amzn-RequestId %s)", path, response.status_code, request_id)
        data = _json(response)
        if response.status_code != 200:
            raise _error(response, data)
        return data, request_id

    def get_account(self, access_token: Secret, region: str) -> tuple[dict, str | None]:
        """Sellers ``getAccount``: ``payload`` with ``sellingPlan`` and participations.

        Amazon answers it in the EU region only, and only for apps with the Account
        Information Service Provider or Finance and Accounting role (403 otherwise)."""
        return self._get("/sellers/v1/account", access_token, region)

    def get_marketplace_participations(self, access_token: Secret, region: str
                                       ) -> tuple[dict, str | None]:
        """Sellers ``getMarketplaceParticipations``: ``payload`` is a list. Answered in every
        region for most seller roles: the call that proves a token works."""
        return self._get("/sellers/v1/marketplaceParticipations", access_token, region)


def endpoint_region(base: str) -> str | None:
    """The region an SP-API endpoint serves, from Amazon's host name or a sandbox path
    (``.../na``, ``.../eu``, ``.../fe``); ``None`` when the address does not say.

    >>> endpoint_region("https://sellingpartnerapi-fe.amazon.com"), endpoint_region(
    ...     "http://127.0.0.1:8765/eu"), endpoint_region("http://127.0.0.1:8765")
    ('FE', 'EU', None)
    """
    found = re.search(r"sellingpartnerapi-(na|eu|fe)\.|/(na|eu|fe)/?$", base.lower())
    return (found.group(1) or found.group(2)).upper() if found else None


def _json(response: requests.Response) -> dict:
    try:
        data = response.json()
    except ValueError:
        raise AmazonError(response.status_code, "malformed_response",
                          "Amazon's answer was not JSON", _request_id(response)) from None
    return data if isinstance(data, dict) else {"payload": data}


def _error(response: requests.Response, data: dict) -> AmazonError:
    """Amazon's error in either shape: LWA ``{error, error_description}`` or SP-API
    ``{errors: [{code, message}]}``."""
    errors = data.get("errors")
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) \
        else {}
    code = data.get("error") or first.get("code") or "error"
    message = data.get("error_description") or first.get("message") or response.reason or ""
    return AmazonError(response.status_code, str(code), str(message), _request_id(response),
                       str(first.get("details") or ""))


def _request_id(response: requests.Response) -> str | None:
    return response.headers.get("x-amzn-RequestId") or response.headers.get("x-amzn-requestid")


def participations(payload: object) -> list[str]:
    """Country codes of the marketplaces in a Sellers payload (lenient, as Amazon's examples).

    >>> participations([{"marketplace": {"countryCode": "US"}}])
    ['US']
    """
    items = payload.get("marketplaceParticipationList", []) if isinstance(payload, dict) \
        else payload
    codes = []
    for item in items or []:
        market = item.get("marketplace", {}) if isinstance(item, dict) else {}
        if market.get("countryCode"):
            codes.append(str(market["countryCode"]))
    return codes
