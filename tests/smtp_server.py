"""A real SMTP server on 127.0.0.1 for the reminder tests (aiosmtpd), whose mails are read
back as the recipient's mailbox would show them."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest

from .store_fixtures import free_port

SMTP_USER = "desk"
CANARY_SMTP_PASSWORD = "CANARY-smtp-password-3d8e"


@dataclass
class Received:
    """One mail as it arrived: the envelope and the message."""

    mail_from: str
    to: list[str]
    message: EmailMessage
    encrypted: bool = False  # it came over TLS (STARTTLS or smtps)

    @property
    def body(self) -> str:
        return self.message.get_content()

    @property
    def raw(self) -> str:
        return self.message.as_string()


@dataclass
class Inbox:
    """The server's handler: keeps every mail; refuses the addresses in ``refused`` (550)
    and, from the ``closes_after``-th mail on, answers 421 and closes the connection."""

    mails: list[Received] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)
    closes_after: int | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 5.1.1 <" + address + ">: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.closes_after is not None and len(self.mails) >= self.closes_after:
            return "421 4.3.2 shutting down, try again later"
        message = email.message_from_bytes(envelope.original_content,
                                           policy=email.policy.default)
        self.mails.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message,
                                   server.transport.get_extra_info("ssl_object") is not None))
        return "250 2.0.0 queued"


class SmtpServer:
    """aiosmtpd on 127.0.0.1 and a random free port; ``url`` for SUPPORT_KIT_SMTP_URL.

    ``starttls`` offers STARTTLS with that server context, ``tls`` speaks TLS from the start,
    ``smtputf8`` offers SMTPUTF8 (addresses outside ASCII).
    """

    def __init__(self, password: str | None = None, starttls: ssl.SSLContext | None = None,
                 tls: ssl.SSLContext | None = None, smtputf8: bool = False):
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        self.inbox = Inbox()
        self.port = free_port()
        options: dict = {"tls_context": starttls} if starttls else {}
        options["enable_SMTPUTF8"] = smtputf8  # international addresses (RFC 6531)
        if password is not None:
            def check(server, session, envelope, mechanism, auth_data):
                ok = (auth_data.login.decode(), auth_data.password.decode()) == (SMTP_USER,
                                                                                 password)
                return AuthResult(success=ok, handled=False)

            options |= {"authenticator": check,  # without TLS on 127.0.0.1 only, as the kit
                        "auth_require_tls": starttls is not None}  # allows
        self.password = password
        self.scheme = "smtps" if tls else "smtp"  # tls: TLS from the start (smtps)
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port,
                                     ssl_context=tls, **options)
        self.controller.start()

    @property
    def mails(self) -> list[Received]:
        return self.inbox.mails

    def url(self, password: str | None = None) -> str:
        login = f"{SMTP_USER}:{password or self.password}@" if self.password else ""
        return f"{self.scheme}://{login}127.0.0.1:{self.port}"

    def __enter__(self) -> SmtpServer:
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def self_signed(folder) -> tuple[ssl.SSLContext, str]:
    """A server TLS context for 127.0.0.1 and the certificate file a client may trust."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context, str(cert_file)


@pytest.fixture
def smtp_server():
    """A running SMTP server; stopped at the end (tests may stop it earlier)."""
    server = SmtpServer()
    try:
        yield server
    finally:
        server.stop()
