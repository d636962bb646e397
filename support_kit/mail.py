"""E-mail out: the mail server from ``SUPPORT_KIT_SMTP_URL``, one message composed, and an
outbox that sends them over one connection (Python's ``smtplib`` and ``email``).

The password in the URL is a :class:`~support_kit.config.Secret`: it is never shown, and a
message about the server names it ``[secure]`` at most.

>>> server = parse_smtp_url("smtps://desk:hunter2@mail.example.com")
>>> str(server), "hunter2" in repr(server)
('smtps://desk@mail.example.com:465', False)
"""

from __future__ import annotations

import email.utils
import ipaddress
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from .config import PREFIX, Secret, Settings
from .control_chars import for_display
from .errors import SupportKitError

DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
#: Seconds to wait for the mail server before telling that it does not answer.
TIMEOUT = 30
_URL_HELP = ("write smtp://host:port or smtps://user:password@host:port (special characters "
             "in the user or password %-encoded)")


class MailServerProblem(SupportKitError):
    """The mail server cannot be reached or stopped taking mails: nothing more goes out."""


class MailRefused(SupportKitError):
    """The mail server refused this one mail; the connection still works for the next."""


@dataclass(frozen=True)
class MailServer:
    """Where mails go: ``smtp`` (STARTTLS where the server offers it) or ``smtps`` (TLS)."""

    scheme: str
    host: str
    port: int
    user: str | None = None
    password: Secret | None = field(default=None, repr=False)

    def __str__(self) -> str:
        user = f"{self.user}@" if self.user else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{user}{host}:{self.port}"

    @property
    def local(self) -> bool:
        """Whether the server is on this machine (a password may go there without TLS)."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


def parse_smtp_url(value: str, name: str = PREFIX + "SMTP_URL") -> MailServer:
    """The mail server of an ``smtp://`` or ``smtps://`` URL; a clear error naming the
    setting otherwise (never showing the value: it may hold the password).

    >>> parse_smtp_url("smtp://127.0.0.1:2525")
    MailServer(scheme='smtp', host='127.0.0.1', port=2525, user=None)
    >>> try:
    ...     parse_smtp_url("mail.example.com:587")
    ... except SupportKitError as exc:
    ...     print(str(exc)[:60])
    SUPPORT_KIT_SMTP_URL is not a mail server address: write smt
    """
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:  # a broken [IPv6] host or port
        raise SupportKitError(f"{name} has no valid host and port: {_URL_HELP}.") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        raise SupportKitError(f"{name} is not a mail server address: {_URL_HELP}.")
    if port == 0 or (port is None and parts.netloc.endswith(":")):
        raise SupportKitError(f"{name} has no valid port: write a number from 1 to 65535 "
                              "after the host (host:587), or leave the port out.")
    if (parts.password is None) != (not parts.username):
        raise SupportKitError(f"{name} needs both a user and a password, or neither: "
                              f"{_URL_HELP}.")
    return MailServer(scheme, parts.hostname, port or DEFAULT_PORTS[scheme],
                      unquote(parts.username) if parts.username else None,
                      Secret(unquote(parts.password)) if parts.password else None)


def mail_server(settings: Settings) -> MailServer:
    """The configured mail server; a clear error naming the missing or wrong setting."""
    settings.require("smtp_url", "mail_from")
    sender(settings.mail_from or "")
    return parse_smtp_url(settings.smtp_url.reveal())


def sender(value: str, name: str = PREFIX + "MAIL_FROM") -> str:
    """``SUPPORT_KIT_MAIL_FROM`` as a From header: an address, optionally with a name.

    >>> sender("Support-Desk <desk@example.com>")
    'Support-Desk <desk@example.com>'
    """
    shown, address = email.utils.parseaddr(value)
    if not usable_address(address):
        raise SupportKitError(f"{name}={for_display(value)!r} is not an e-mail address: write "
                              "desk@example.com or 'Support <desk@example.com>'.")
    return email.utils.formataddr((shown, address))


def usable_address(address: str) -> bool:
    """Whether ``address`` is one plain e-mail address a server can take.

    >>> usable_address("shop@example.de"), usable_address("a@b, c@d"), usable_address("")
    (True, False, False)
    """
    local, at, domain = address.partition("@")
    return (bool(local and at and "." in domain.strip(".")) and "@" not in domain
            and address.isprintable() and not any(c in address for c in " ,;<>\"()[]\\"))


def envelope_address(address: str, smtputf8: bool) -> str:
    """``address`` as a mail server takes it: the domain in its ASCII (IDNA) form, and a
    name before the @ outside ASCII only where the server offers SMTPUTF8;
    :class:`MailRefused` (that mail only) otherwise.

    >>> envelope_address("shop@exämple.de", smtputf8=False)
    'shop@xn--exmple-cua.de'
    >>> envelope_address("shöp@exämple.de", smtputf8=True)
    'shöp@xn--exmple-cua.de'
    """
    local, _at, domain = address.rpartition("@")
    shown = for_display(address)
    try:
        domain = domain if domain.isascii() else domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise MailRefused(f"the domain of {shown} is no valid international domain name; "
                          "ask the seller for their address") from None
    if not local.isascii() and not smtputf8:
        raise MailRefused(f"{shown} has characters outside ASCII before the @ and the mail "
                          "server offers no SMTPUTF8 (international addresses); ask the "
                          "seller for another address") from None
    return f"{local}@{domain}"


def compose(mail_from: str, to: str, subject: str, body: str, language: str) -> EmailMessage:
    """One plain-text mail in UTF-8, marked as automatic (RFC 3834) and in ``language``.

    >>> m = compose("desk@example.com", "shop@example.de", "Ihr Token", "Hallo", "de")
    >>> m["To"], m["Content-Language"], m.get_content().strip()
    ('shop@example.de', 'de', 'Hallo')
    """
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = to
    message["Subject"] = " ".join(for_display(subject).split())  # never a header break
    message["Date"] = email.utils.formatdate(localtime=True)
    message["Message-ID"] = email.utils.make_msgid(
        domain=email.utils.parseaddr(mail_from)[1].rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body)
    message["Content-Language"] = language  # after the content, which sets Content-*
    return message


class Outbox:
    """One connection to the mail server: TLS for ``smtps``, STARTTLS where an ``smtp``
    server offers it, log-in when the URL has a user. Use it as a context manager.

    Outside this machine a password is only sent over TLS.
    """

    def __init__(self, server: MailServer, timeout: float = TIMEOUT):
        self.server = server
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Outbox:
        server = self.server
        try:
            context = ssl.create_default_context()
            if server.scheme == "smtps":
                smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=self.timeout,
                                        context=context)
            else:
                smtp = smtplib.SMTP(server.host, server.port, timeout=self.timeout)
            self._smtp = smtp
            smtp.ehlo()
            secure = server.scheme == "smtps"
            if not secure and smtp.has_extn("starttls"):
                smtp.starttls(context=context)
                smtp.ehlo()
                secure = True
            if server.user and server.password:
                if not smtp.has_extn("auth"):
                    raise SupportKitError(
                        f"The mail server {server} offers no log-in (AUTH): remove the user and "
                        f"password from {PREFIX}SMTP_URL, or check the host and port.")
                if not (secure or server.local):
                    raise SupportKitError(
                        f"The mail server {server} offers no STARTTLS, and the password would "
                        f"go out unencrypted: use smtps:// in {PREFIX}SMTP_URL, or a server "
                        "that offers STARTTLS.")
                smtp.login(server.user, server.password.reveal())
        except BaseException as exc:
            self.close()
            raise self._problem(exc, "cannot be used") from None
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def send(self, message: EmailMessage) -> None:
        """Send one mail; :class:`MailRefused` when the server refuses just this one,
        :class:`MailServerProblem` when it cannot take more."""
        if self._smtp is None or self._smtp.sock is None:
            raise MailServerProblem(f"The mail server {self.server} closed the connection.")
        to = str(message["To"])
        address = envelope_address(to, self._smtp.has_extn("smtputf8"))
        if address != to:
            message.replace_header("To", address)
        try:
            self._smtp.send_message(message)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as exc:
            if self._smtp.sock is not None:  # it said no to this mail and listens on
                raise MailRefused(self._reason(exc)) from None
            raise self._problem(exc, "stopped taking mails") from None
        except BaseException as exc:
            raise self._problem(exc, "stopped taking mails") from None

    def close(self) -> None:
        if self._smtp is not None:
            try:
                if self._smtp.sock is not None:
                    self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            finally:
                self._smtp.close()
                self._smtp = None

    def _problem(self, exc: BaseException, what: str) -> BaseException:
        if isinstance(exc, SupportKitError) or not isinstance(exc, OSError | smtplib.SMTPException):
            return exc  # our own message, or Ctrl-C and bugs as they are
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            return MailServerProblem(f"The mail server {self.server} refused the log-in: "
                                     f"{self._reason(exc)}. Check the user and password in "
                                     f"{PREFIX}SMTP_URL.")
        return MailServerProblem(f"The mail server {self.server} {what}: "
                                 f"{self._reason(exc)}. Check {PREFIX}SMTP_URL and that the "
                                 "server runs.")

    def _reason(self, exc: BaseException) -> str:
        """What the server or the network said, without the password."""
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            code, said = next(iter(exc.recipients.values()), (0, b""))
            reason = f"{code} {_text(said)}"
        elif isinstance(exc, smtplib.SMTPResponseException):
            reason = f"{exc.smtp_code} {_text(exc.smtp_error)}"
        elif isinstance(exc, TimeoutError):
            reason = f"no answer within {self.timeout:g} s"
        elif isinstance(exc, ssl.SSLCertVerificationError):
            reason = (f"its TLS certificate is not trusted ({exc.verify_message}); the system's "
                      "certificates, or SSL_CERT_FILE, decide which are")
        elif isinstance(exc, ssl.SSLError):
            reason = f"TLS failed ({exc.reason or exc})"
        elif isinstance(exc, ssl.CertificateError | smtplib.SMTPException):
            reason = str(exc)
        elif isinstance(exc, OSError):
            reason = exc.strerror or str(exc)
        else:
            reason = str(exc)
        reason = " ".join(for_display(reason).split()) or type(exc).__name__
        if self.server.password is not None:
            reason = reason.replace(self.server.password.reveal(), "[secure]")
        return reason


def _text(said: bytes | str) -> str:
    return said.decode("utf-8", "replace") if isinstance(said, bytes) else str(said)
