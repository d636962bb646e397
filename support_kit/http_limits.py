"""Limits for the sandbox's HTTP server, so a careless or hostile client cannot hurt it.

Request line and headers together are capped, bodies are capped before they are read, idle
connections time out, and a request the server cannot take is answered with its status
(400, 411, 413, 431) and one log line, never a traceback.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .control_chars import for_display

log = logging.getLogger("support_kit.sandbox")

MAX_HEADER_BYTES = 16 * 1024  # request line and headers; browsers send far less
MAX_BODY_BYTES = 64 * 1024  # the largest real body is a small form
IDLE_TIMEOUT_S = 30.0  # a connection that sends nothing for this long is closed


class _HeadersTooLarge(Exception):
    pass


class _HeaderBudget:
    """The connection's reader; ``readline`` (request line, headers) draws on a budget."""

    def __init__(self, raw):
        self._raw = raw
        self.left = MAX_HEADER_BYTES

    def readline(self, limit: int | None = -1) -> bytes:
        wanted = self.left + 1 if limit is None or limit < 0 else min(limit, self.left + 1)
        line = self._raw.readline(wanted)
        self.left -= len(line)
        if self.left < 0:
            raise _HeadersTooLarge
        return line

    def __getattr__(self, name: str):
        return getattr(self._raw, name)


class LimitedHandler(BaseHTTPRequestHandler):
    """A request handler with the limits above; read a body with :meth:`read_body`."""

    timeout = IDLE_TIMEOUT_S  # applied to the socket: idle and stalled connections end
    default_request_version = "HTTP/1.0"  # so even an answer to garbage has a status line
    max_body = MAX_BODY_BYTES

    def setup(self) -> None:
        super().setup()
        self.rfile = _HeaderBudget(self.rfile)

    def handle_one_request(self) -> None:
        self.rfile.left = MAX_HEADER_BYTES
        self.command, self.request_version, self.requestline = None, "HTTP/1.0", ""
        try:
            super().handle_one_request()
        except _HeadersTooLarge:
            self.reject(431, f"request line and headers over {MAX_HEADER_BYTES // 1024} KB")
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        except Exception as exc:  # a bug in a route: a 500 and one line, not a traceback
            log.error("sandbox: %s %s failed: %s: %s", self.command, self.path,
                      type(exc).__name__, exc)
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.send_error(500, "Internal sandbox error")

    def reject(self, status: int, reason: str) -> None:
        """Answer ``status`` with ``reason``, log one line, and close the connection."""
        self.send_error(status, reason)  # logs through log_error
        self.close_connection = True

    def log_error(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib name)
        level = logging.INFO if format.startswith("Request timed out") else logging.WARNING
        message = for_display(format % args)
        log.log(level, "sandbox: %s %s", self.address_string(),
                message if len(message) <= 200 else message[:199] + "…")

    def read_body(self) -> bytes | None:
        """The request body, or ``None`` after the request was answered with 400/411/413."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            self.reject(411, "send the body with Content-Length, not chunked")
            return None
        lengths = set(self.headers.get_all("Content-Length") or ["0"])
        raw = lengths.pop().strip() if len(lengths) == 1 else ""
        if not (raw.isascii() and raw.isdigit()):
            self.reject(400, "Content-Length is not one number")
            return None
        if int(raw) > self.max_body:
            self.reject(413, f"body of {int(raw):,} bytes; at most {self.max_body:,} accepted")
            return None
        body = self.rfile.read(int(raw))
        if len(body) < int(raw):  # the client went away mid-body
            self.close_connection = True
            return None
        return body


class QuietServer(ThreadingHTTPServer):
    """A threading HTTP server that logs a failed connection in one line."""

    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        exc = sys.exc_info()[1]
        log.warning("sandbox: connection from %s failed: %s: %s", client_address[0],
                    type(exc).__name__, exc)
