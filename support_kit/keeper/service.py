"""The keeper as a JupyterHub-managed service: ``python -m support_kit.keeper.service``.

It alone reads the secrets (LWA client secret, state secret, token key, the store's URL
with its password) and the customer list with its refresh tokens, from the environment
JupyterHub starts it with (``c.JupyterHub.services``: ``command``, ``url``,
``environment``). Agents' kernels call it with their server's hub token
(``Authorization: token ...``); the token is checked with the hub's API
(:class:`jupyterhub.services.auth.HubAuth`), and every event is recorded under the
hub-verified user, whatever the caller's own settings say. A request without a valid token
is refused (401, or 403 for a token without access to this service) and records nothing.

Reads: ``GET api/whoami``, ``api/customers`` and ``api/rejects`` (Parquet, no refresh token),
``api/history``, ``api/latest_events``, ``api/latest_renewals`` (Parquet, no token),
``api/renewals_done``, ``api/previous_run``, ``api/send_claim``. Operations (``POST``,
JSON): ``api/events`` (notes and contacts only), ``api/report_runs``, ``api/link``,
``api/callback``, ``api/confirm``, ``api/live_check``, ``api/live_checks``,
``api/consent_links`` (a mail merge's links), ``api/reminders/send`` (the keeper holds
the mail server's password),
``api/send_claims``, ``api/send_claims/complete``, ``api/send_claims/release``.
A renewed refresh token is never sent: the integration reads it where the keeper runs
(:meth:`LocalKeeper.refresh_token`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import tornado.web
from tornado.ioloop import IOLoop

from .. import rules
from ..customers import file_stamp, mask_secrets
from ..errors import SupportKitError
from ..renewal import verify_callback
from ..store import Event
from . import wire
from .local import LocalKeeper
from .protocol import AGENT_KINDS

log = logging.getLogger("support_kit.keeper")
UNEXPECTED = ("The desk's keeper failed unexpectedly; it logged what happened. Try again, "
              "and tell your administrator if it happens again.")


class Refused(tornado.web.HTTPError):
    """A request the keeper does not serve, with the reason told to the caller."""

    def __init__(self, status: int, message: str):
        super().__init__(status, reason="Refused")
        self.message = message


class Keeping:
    """The keeper the service answers with. When the customer file has changed (a new
    export), the next call loads it again; a file written in the last two seconds is taken
    at a later call, and a list that loads no customer at all leaves the old one in place."""

    SETTLE_SECONDS = 2.0

    def __init__(self, keeper: LocalKeeper, source: str | Path | None = None):
        self.keeper = keeper
        self.path = Path(source) if source and Path(source).is_file() else None
        self.stamp = self._stamp()
        self._lock = threading.Lock()

    def _stamp(self) -> tuple[int, int] | None:
        return file_stamp(self.path)

    def current(self) -> LocalKeeper:
        stamp = self._stamp()
        if stamp is None or stamp == self.stamp:
            return self.keeper
        if time.time() - stamp[0] / 1e9 < self.SETTLE_SECONDS:
            return self.keeper  # still being written, perhaps
        with self._lock:
            if stamp != self.stamp:
                self.stamp = stamp
                self._reload()
        return self.keeper

    def _reload(self) -> None:
        from ..customers import load

        try:
            listed = load(self.path)
        except SupportKitError as exc:
            log.warning("kept the customer list loaded before: %s", mask_secrets(str(exc)))
            return
        if listed.rows_loaded == 0 and self.keeper.listed.rows_loaded:
            log.warning("kept the customer list loaded before: the new %s loads no customer "
                        "(%d rows rejected)", self.path.name, listed.rows_rejected)
            return
        self.keeper = LocalKeeper(self.keeper.settings, self.keeper.store, listed)
        log.info("loaded the customer list again: %d customers, %d rejected",
                 listed.rows_loaded, listed.rows_rejected)


class KeeperHandler(tornado.web.RequestHandler):
    """Checks the caller's hub token first; ``self.keeper`` records as that hub user."""

    def initialize(self, keeping: Keeping, hub_auth, operation: Callable) -> None:
        self.keeping, self.hub_auth, self.operation = keeping, hub_auth, operation

    def check_xsrf_cookie(self) -> None:  # token-authenticated API: no cookies are used
        return None

    async def prepare(self) -> None:
        token = self.hub_auth.get_token(self, in_cookie=False)
        if not token:
            raise Refused(401, "No hub token: the keeper answers only calls that carry the "
                               "agent's JupyterHub token (Authorization: token ...).")
        model = await self.hub_auth.user_for_token(token, sync=False)
        if not model:
            raise Refused(401, "The hub does not know this token (expired or revoked): log "
                               "in to the desk again.")
        if model.get("kind", "user") != "user":
            raise Refused(403, "Only agents' tokens may use the keeper, not services'.")
        if not self.hub_auth.check_scopes(self.hub_auth.access_scopes, model):
            raise Refused(403, f"The hub user {model['name']!r} has no access to the keeper "
                               "service (scope access:services!service=keeper).")
        base = await IOLoop.current().run_in_executor(None, self.keeping.current)
        self.keeper = base.as_agent(model["name"])

    async def _run(self) -> None:
        try:
            body = json.loads(self.request.body or b"{}") if self.request.method == "POST" \
                else {k: self.get_argument(k) for k in self.request.arguments}
        except ValueError:
            raise Refused(400, "The request's body is not JSON.") from None
        try:
            answer = await IOLoop.current().run_in_executor(
                None, lambda: self.operation(self.keeper, body))
        except SupportKitError as exc:
            self.set_status(400)
            answer = {"error": mask_secrets(str(exc)), "kind": type(exc).__name__}
        except (KeyError, TypeError, ValueError) as exc:
            raise Refused(400, f"The request is missing or mistypes a field ({exc}).") \
                from None
        if isinstance(answer, bytes):
            self.set_header("Content-Type", wire.PARQUET)
            self.finish(answer)
        else:
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps(answer, default=str))

    get = post = _run

    def write_error(self, status_code: int, **kwargs) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        message = error.message if isinstance(error, Refused) else UNEXPECTED
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": message}))

    def log_exception(self, typ, value, tb) -> None:
        if isinstance(value, Refused):
            log.warning("refused %s %s: %s", self.request.method, self.request.path,
                        value.message)
        else:
            log.error("failed %s %s: %s", self.request.method, self.request.path,
                      mask_secrets(repr(value)), exc_info=(typ, value, tb))


# --- the operations: (keeper as the caller, request fields) -> JSON or Parquet ---------------
def _day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _moment(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def whoami(keeper: LocalKeeper, _body: dict) -> dict:
    """Who the hub says the caller is, and what kind of desk this is."""
    s = keeper.settings
    from ..mail import mail_server

    return {"agent": keeper.agent, "demo": keeper.demo, "timezone": s.timezone,
            "mail_from": s.mail_from,  # the server without its password, as a preview says
            "mail_server": str(mail_server(s)) if s.smtp_url else None,
            "lwa_secret_expires": s.lwa_secret_expires,
            "customer_language": s.customer_language, "roles_changed_on": s.roles_changed_on,
            "rows_loaded": keeper.listed.rows_loaded,
            "source": os.path.basename(str(keeper.listed.source))}


def customers(keeper: LocalKeeper, _body: dict) -> bytes:
    return wire.frame_bytes(keeper.listed.customers)  # has_refresh_token, never the token


def rejects(keeper: LocalKeeper, _body: dict) -> bytes:
    frame = keeper.listed.rejects.copy()
    frame["raw"] = frame["raw"].astype(str).map(mask_secrets)
    frame["reason"] = frame["reason"].astype(str).map(mask_secrets)
    return wire.frame_bytes(frame)


def history(keeper: LocalKeeper, body: dict) -> list[dict]:
    return [e.to_dict() for e in keeper.history(body["customer_id"],
                                                int(body.get("limit") or 500))]


def latest_events(keeper: LocalKeeper, body: dict) -> bytes:
    frame = keeper.latest_events(body["kinds"].split(","), _moment(body.get("until")))
    return wire.frame_bytes(frame)


def latest_renewals(keeper: LocalKeeper, body: dict) -> bytes:
    ids = body.get("customer_ids")
    return wire.frame_bytes(keeper.latest_renewals(_moment(body.get("until")),
                                                   ids.split(",") if ids else None))


def renewals_done(keeper: LocalKeeper, _body: dict) -> dict:
    return {"count": keeper.renewals_done()}


def previous_run(keeper: LocalKeeper, body: dict) -> dict | None:
    found = keeper.previous_run(body["source"], _day(body["as_of"]))
    return {"as_of": found[0].isoformat(), "states": wire.blob(found[1])} if found else None


def record(keeper: LocalKeeper, body: dict) -> dict:
    """Notes and contacts; every other kind is written by the keeper's own operations."""
    if body["kind"] not in AGENT_KINDS:
        raise SupportKitError(f"An agent records only {' and '.join(AGENT_KINDS)} events; "
                              f"{body['kind']!r} is recorded by the keeper itself.")
    event = Event(body["kind"], str(body["customer_id"]), body.get("seller_id"),
                  body.get("detail") or {})
    return keeper.record(event).to_dict()


def record_run(keeper: LocalKeeper, body: dict) -> dict:
    keeper.record_run(body["source"], _day(body["as_of"]), keeper.agent, body["counts"],
                      wire.unblob(body["states"]), _moment(body.get("at")))
    return {"recorded": True}


def link(keeper: LocalKeeper, body: dict) -> dict:
    made = keeper.renewal_link(body["customer_id"], _day(body.get("as_of")) or keeper.today(),
                               lang=body.get("lang"), message_lang=body.get("message_lang"),
                               redirect_uri=body.get("redirect_uri"),
                               draft=bool(body.get("draft")),
                               valid_days=body.get("valid_days"), region=body.get("region"))
    return made.to_dict()


def callback(keeper: LocalKeeper, body: dict) -> dict:
    result = keeper.verify_callback(body["url"], _day(body.get("as_of")),
                                    body.get("lang") or "de", body.get("customer_id"))
    return wire.callback_dict(result)


def confirm(keeper: LocalKeeper, body: dict) -> dict:
    """Verify the callback address again here (never the caller's verdict), then exchange."""
    as_of, lang = _day(body.get("as_of")), body.get("lang") or "de"
    result = verify_callback(body["url"], keeper.current(as_of), keeper.amazon(as_of),
                             lang=lang, customer_id=body.get("customer_id"))
    if not result.ok:
        raise SupportKitError("\n".join(result.messages))
    return wire.confirmation_dict(keeper.confirm(result, as_of, lang))


def consent_links(keeper: LocalKeeper, body: dict) -> list[str]:
    """A mail merge's links, from the keeper's own rows (seller ids and plans on file)."""
    from ..report.reminders import renewal_links

    ids = [str(c) for c in body["customer_ids"]]
    regions = [str(r or "") for r in body.get("regions") or [""] * len(ids)]
    listed = keeper.current(None).customers
    rows = listed[listed["customer_id"].isin(ids)]
    evaluated = rules.evaluate(rows, keeper.today(), keeper.settings.timezone,
                               **keeper.settings.rules)
    links = renewal_links(evaluated, keeper.settings,
                          valid_days=int(body.get("valid_days") or 7))
    by_key: dict[str, str] = {}  # an authorization's link, and a customer's first one
    for customer_id, region, link in zip(evaluated["customer_id"], evaluated["region"], links,
                                         strict=True):
        by_key[f"{customer_id}@{region if isinstance(region, str) else ''}"] = link
        by_key.setdefault(str(customer_id), link)
    return [by_key.get(f"{c}@{r}", by_key.get(c, "")) if r else by_key.get(c, "")
            for c, r in zip(ids, regions, strict=True)]


def send_reminders(keeper: LocalKeeper, body: dict) -> dict:
    """Plan here and send those of the caller's preview that are still due: an agent can
    pick among the due mails, never make one up."""
    from ..desk import Desk
    from ..remind import plan_reminders, result_dict
    from ..remind import send_reminders as send

    desk = Desk(keeper.settings, keeper.listed, keeper=keeper)
    plan = plan_reminders(desk, _day(body["as_of"]), int(body["stopped_within"]),
                          int(body["quiet_days"]))
    wanted = plan.mails["customer_id"].isin([str(c) for c in body["customer_ids"]])
    plan = dataclasses.replace(plan, mails=plan.mails[wanted])
    return result_dict(send(desk, plan, recheck=bool(body.get("recheck"))))


def live_check(keeper: LocalKeeper, body: dict) -> dict:
    return keeper.live_check(body["customer_id"], _day(body.get("as_of"))).to_dict()


def live_checks(keeper: LocalKeeper, body: dict) -> dict:
    run = keeper.live_checks(body.get("customer_ids") or (), _day(body.get("as_of")),
                             body.get("concurrency"))
    return wire.run_dict(run)


def send_claim(keeper: LocalKeeper, body: dict) -> dict | None:
    return wire.claim_dict(keeper.send_claim(body["customer_id"], _day(body["day"])))


def claim_send(keeper: LocalKeeper, body: dict) -> dict | None:
    return wire.claim_dict(keeper.claim_send(body["customer_id"], _day(body["day"])))


def complete_send(keeper: LocalKeeper, body: dict) -> dict:
    event = wire.event_from_dict(body["event"])
    if event.kind != "reminder_sent":
        raise SupportKitError("A sent mail is recorded as reminder_sent.")
    keeper.complete_send(body["customer_id"], _day(body["day"]), event)
    return {"recorded": True}


def release_send(keeper: LocalKeeper, body: dict) -> dict:
    keeper.release_send(body["customer_id"], _day(body["day"]))
    return {"released": True}


READS = {"whoami": whoami, "customers": customers, "rejects": rejects, "history": history,
         "latest_events": latest_events, "latest_renewals": latest_renewals,
         "renewals_done": renewals_done, "previous_run": previous_run,
         "send_claim": send_claim}
OPERATIONS = {"events": record, "report_runs": record_run, "link": link,
              "callback": callback, "confirm": confirm, "live_check": live_check,
              "consent_links": consent_links, "reminders/send": send_reminders,
              "live_checks": live_checks, "send_claims": claim_send,
              "send_claims/complete": complete_send, "send_claims/release": release_send}


class _Only(KeeperHandler):
    def initialize(self, keeping, hub_auth, operation, method: str) -> None:
        super().initialize(keeping, hub_auth, operation)
        self.method = method

    async def prepare(self) -> None:
        if self.request.method != self.method:
            raise Refused(405, f"Use {self.method} for this address.")
        await super().prepare()


class _Unknown(tornado.web.RequestHandler):
    def prepare(self) -> None:
        self.set_status(404)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": "No such keeper address."}))


class _Index(tornado.web.RequestHandler):
    """The hub's check that the service is up: a name, nothing else."""

    def get(self) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"service": "support_kit keeper"}))


def make_app(keeper: LocalKeeper | Keeping, hub_auth, prefix: str = "/"
             ) -> tornado.web.Application:
    """The service's routes, under ``prefix`` (the hub's ``/services/keeper/``) and ``/``."""
    keeping = keeper if isinstance(keeper, Keeping) else Keeping(keeper)
    routes = []
    for base in {"/", prefix.rstrip("/") + "/"}:
        for table, method in ((READS, "GET"), (OPERATIONS, "POST")):
            routes += [(f"{base}api/{name}", _Only, {"keeping": keeping, "hub_auth": hub_auth,
                                                     "operation": op, "method": method})
                       for name, op in table.items()]
    routes += [(base, _Index) for base in {"/", prefix.rstrip("/") + "/"}]
    routes.append((r".*", _Unknown))
    return tornado.web.Application(routes, xsrf_cookies=False)


def main() -> int:
    """Start the keeper on the address JupyterHub gave it (``JUPYTERHUB_SERVICE_URL``)."""
    from jupyterhub.services.auth import HubAuth

    from ..config import load_settings
    from ..customers import load, source_for
    from ..store import Store

    logging.basicConfig(level=logging.INFO, format="%(asctime)s keeper %(message)s")
    address = os.environ.get("JUPYTERHUB_SERVICE_URL") or os.environ.get(
        "SUPPORT_KIT_KEEPER_LISTEN", "")
    parts = urlsplit(address)
    if not parts.port or not os.environ.get("JUPYTERHUB_API_TOKEN"):
        print("support_kit keeper: run it as a JupyterHub service (c.JupyterHub.services with "
              "'url' and 'command'): JUPYTERHUB_SERVICE_URL and JUPYTERHUB_API_TOKEN are not "
              "set.", file=sys.stderr)
        return 2
    try:
        settings = dataclasses.replace(load_settings(), keeper_url=None)  # it is the keeper
        listed = load(source_for(None, settings.customers))
        keeper = LocalKeeper(settings, Store.open(settings=settings), listed)
    except SupportKitError as exc:
        print(f"support_kit keeper: {mask_secrets(str(exc))}", file=sys.stderr)
        return 2
    # a revoked hub token is refused within a minute (HubAuth caches who a token is)
    app = make_app(Keeping(keeper, settings.customers), HubAuth(cache_max_age=60),
                   os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/"))
    asyncio.run(_serve(app, keeper, parts.hostname or "127.0.0.1", parts.port))
    return 0


async def _serve(app: tornado.web.Application, keeper: LocalKeeper, host: str,
                 port: int) -> None:
    app.listen(port, host)
    log.info("listening on %s:%d for %d customers (%s)%s", host, port,
             keeper.listed.rows_loaded, os.path.basename(str(keeper.listed.source)),
             " in demo mode" if keeper.demo else "")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    import signal

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    keeper.close()


if __name__ == "__main__":
    sys.exit(main())
