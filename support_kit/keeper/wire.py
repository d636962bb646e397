"""What travels between the keeper service and its clients: JSON for results, Parquet for
frames. Nothing here carries a secret: links (signed, meant for the seller), callback
verdicts without their code, confirmations, live results, events, renewals without tokens.

>>> link = link_from_dict({"customer_id": "C1", "url": "https://x/consent?state=s",
...     "host": "x", "region": "EU", "state_expires_at": "2026-12-08T10:00:00+00:00",
...     "instructions": "...", "lang": "en"})
>>> link.state_expires_at.year, link_from_dict(link.to_dict()) == link
(2026, True)
"""

from __future__ import annotations

import base64
import datetime as dt
import io

import pandas as pd

from ..confirmation import Confirmation
from ..live_check import LiveCheckRun, LiveResult
from ..renewal import CallbackResult, RenewalLink
from ..store import Event, Renewal
from ..store.sends import SendClaim

PARQUET = "application/vnd.apache.parquet"


def frame_bytes(frame: pd.DataFrame) -> bytes:
    """A frame as Parquet (types kept, compact for 100k customers)."""
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def frame_from(data: bytes) -> pd.DataFrame:
    return pd.read_parquet(io.BytesIO(data))


def blob(data: bytes | None) -> str | None:
    return base64.b64encode(data).decode() if data is not None else None


def unblob(text: str | None) -> bytes | None:
    return base64.b64decode(text) if text is not None else None


def _time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def event_from_dict(data: dict) -> Event:
    return Event(data["kind"], data["customer_id"], data.get("seller_id"),
                 data.get("detail") or {}, data.get("agent") or "", _time(data["at"]))


def link_from_dict(data: dict) -> RenewalLink:
    return RenewalLink(data["customer_id"], data["url"], data["host"], data["region"],
                       _time(data["state_expires_at"]), data["instructions"], data["lang"])


def callback_dict(result: CallbackResult) -> dict:
    """A callback verdict without its code (the caller has the address it pasted)."""
    return result.to_dict() | {"redirect_uri": result.redirect_uri}


def callback_from_dict(data: dict, url: str) -> CallbackResult:
    """The verdict as the agent's side keeps it: the code and address from ``url``."""
    from urllib.parse import parse_qs, urlsplit

    from ..config import Secret

    code = parse_qs(urlsplit(url.strip()).query).get("spapi_oauth_code", [""])[0]
    return CallbackResult(data["ok"], data["customer_id"], data["selling_partner_id"],
                          tuple(data["problems"]), tuple(data["messages"]),
                          Secret(code) if code else None, data.get("redirect_uri"),
                          bool(data.get("seller_new")), Secret(url), data.get("region"))


def live_from_dict(data: dict) -> LiveResult:
    return LiveResult(**{**data, "marketplaces": tuple(data.get("marketplaces") or ()),
                         "findings": tuple(data.get("findings") or ()),
                         "causes": tuple(data.get("causes") or ())})


def run_dict(run: LiveCheckRun) -> dict:
    return run.to_dict() | {"total": run.total}


def run_from_dict(data: dict) -> LiveCheckRun:
    return LiveCheckRun([live_from_dict(r) for r in data["results"]], data["app_problem"],
                        data["counts"], data["interrupted"], data.get("total"))


def renewal_dict(renewal: Renewal | None) -> dict | None:
    if renewal is None:
        return None
    return {"customer_id": renewal.customer_id, "seller_id": renewal.seller_id,
            "seller_new": renewal.seller_new, "agent": renewal.agent,
            "claimed_at": renewal.claimed_at.isoformat(),
            "renewed_at": renewal.renewed_at.isoformat() if renewal.renewed_at else None}


def renewal_from_dict(data: dict | None) -> Renewal | None:
    if data is None:
        return None
    return Renewal(data["customer_id"], data["seller_id"], data["seller_new"], data["agent"],
                   _time(data["claimed_at"]), _time(data["renewed_at"]))


def confirmation_dict(confirmation: Confirmation) -> dict:
    c = confirmation
    return {"status": c.status, "customer_id": c.customer_id, "seller_id": c.seller_id,
            "seller_new": c.seller_new, "message": c.message, "lang": c.lang,
            "renewal": renewal_dict(c.renewal),
            "live": c.live.to_dict() if c.live is not None else None}


def confirmation_from_dict(data: dict) -> Confirmation:
    live = live_from_dict(data["live"]) if data.get("live") else None
    return Confirmation(data["status"], data["customer_id"], data["seller_id"],
                        data["seller_new"], data["message"],
                        renewal_from_dict(data.get("renewal")), live, data.get("lang", "de"))


def claim_dict(claim: SendClaim | None) -> dict | None:
    if claim is None:
        return None
    return {"customer_id": claim.customer_id, "day": claim.day.isoformat(),
            "agent": claim.agent, "claimed_at": claim.claimed_at.isoformat(),
            "sent_at": claim.sent_at.isoformat() if claim.sent_at else None}


def claim_from_dict(data: dict | None) -> SendClaim | None:
    if data is None:
        return None
    return SendClaim(data["customer_id"], dt.date.fromisoformat(data["day"]), data["agent"],
                     _time(data["claimed_at"]), _time(data["sent_at"]))
