"""Errors a seller meets on Amazon's consent page, explained for the desk: cause and remedy.

Source: Amazon's authorization errors page (``docs/amazon-facts.md``, "Consent page errors").
Codes that only third parties describe are marked unconfirmed, and their texts say so.
Each code also says what to tell the seller, in the seller's language (``seller``).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from .errors import SupportKitError
from .texts import DEFAULT_LANGUAGE, customer_language, text
from .views import render

#: Every code the desk can explain, in the order Amazon's page lists them.
CODES = ("MD1000", "MD5101", "MD5110", "MD9010", "MD9100", "SPDC8143", "SPSA0404",
         "CONSENT_LIMIT_REACHED", "INVALID_ACCESS", "PROFESSIONAL_PRIMARY_USER")
#: Reported by third parties citing Amazon's page, not confirmed by Amazon itself.
UNCONFIRMED = ("MD9100", "SPDC8143", "SPSA0404", "CONSENT_LIMIT_REACHED",
               "PROFESSIONAL_PRIMARY_USER")
#: How a code is written where it is not a code on Amazon's page.
SHOWN = {"INVALID_ACCESS": "Invalid Access",
         "PROFESSIONAL_PRIMARY_USER": "Primary user of a Professional selling account"}
#: Messages Amazon's page shows without any code.
NO_CODE = ("PROFESSIONAL_PRIMARY_USER",)
#: Words of Amazon's messages (without a code) that name them, as :func:`normalise` sees them.
MESSAGES = {"INVALID_ACCESS": ("INVALID_ACCESS", "PERMISSIONS_TO_VIEW_THIS_PAGE"),
            "PROFESSIONAL_PRIMARY_USER": ("PRIMARY_USER_OF_A_PROFESSIONAL",
                                          "PRIMARY_USER_OF_PROFESSIONAL")}
#: What the seller sees on Amazon's page (English, as Amazon shows it); the sandbox shows it.
AMAZON_PAGES = {
    "MD1000": "This application is in draft state and can only be authorized with "
              "version=beta in the link.",
    "MD5101": "The redirect_uri is not registered for this application.",
    "MD5110": "The redirect_uri contains a fragment (#).",
    "MD9010": "There is no MWS developer id for this region for this application.",
    "MD9100": "The application's Login URI or Redirect URI is missing.",
    "SPDC8143": "You are not the primary user of this selling account.",
    "SPSA0404": "Your business entity is not supported by this application.",
    "CONSENT_LIMIT_REACHED": "This application has reached its authorization limit.",
    "INVALID_ACCESS": "Invalid Access: You do not have permissions to view this page.",
    "PROFESSIONAL_PRIMARY_USER": "You must be the Primary user of a Professional selling "
                                 "account to take advantage of apps.",
}


class UnknownCode(SupportKitError):
    """A code the desk cannot explain (the message lists the known ones)."""


@dataclass(frozen=True)
class ConsentError:
    """One consent-page error explained in the agent's language, and what to tell the
    seller in theirs (``seller``, in ``seller_lang``).

    >>> e = explain("md1000", "en", seller_lang="it")
    >>> e.code, e.confirmed, "version=beta" in e.cause, e.seller[:27]
    ('MD1000', True, True, 'Amazon ha rifiutato il nost')
    """

    code: str
    title: str
    cause: str
    remedy: str
    confirmed: bool
    caution: str
    lang: str
    seller: str = ""
    seller_lang: str = ""

    def to_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        lines = [f"{self.code}: {self.title}"]
        if self.caution:
            lines.append(self.caution)
        lines += [f"{text(self.lang, 'consent_error.cause')}: {self.cause}",
                  f"{text(self.lang, 'consent_error.remedy')}: {self.remedy}"]
        if self.seller:
            told = text(self.lang, "consent_error.to_seller", language=self.seller_lang)
            lines.append(f"{told}: {self.seller}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return render("consent_error.html", e=self)


def normalise(raw: str) -> str | None:
    """The code in what an agent typed or read off a screenshot, or ``None``.

    >>> normalise(" error md-1000 "), normalise("Invalid Access"), normalise("x")
    ('MD1000', 'INVALID_ACCESS', None)
    >>> normalise("You must be the Primary user of a Professional selling account")
    'PROFESSIONAL_PRIMARY_USER'
    """
    cleaned = re.sub(r"[\s_-]+", "_", str(raw or "").strip().upper()).strip("_")
    cleaned = re.sub(r"^(?:ERROR|FEHLER)_?(?:CODE_?)?:?_?", "", cleaned)
    squeezed = cleaned.replace("_", "")
    for code in CODES:
        if cleaned == code or squeezed == code.replace("_", ""):
            return code
    words = re.sub(r"[^A-Z0-9]+", "_", cleaned)
    for code, phrases in MESSAGES.items():
        if any(phrase in words for phrase in phrases):
            return code
    return None


def explain(code: str, lang: str = DEFAULT_LANGUAGE, seller_lang: str | None = None
            ) -> ConsentError:
    """Cause and remedy of a consent-page error code (any case), in ``lang``; what to tell
    the seller in ``seller_lang`` (de, en, fr, it, es; default ``lang``).

    Raises :class:`UnknownCode` naming the codes it knows.
    """
    found = normalise(code)
    if found is None:
        raise UnknownCode(text(lang, "consent_error.unknown", code=str(code).strip(),
                               codes=", ".join(SHOWN.get(c, c) for c in CODES)))
    confirmed = found not in UNCONFIRMED
    key = f"consent_error.{found}"
    seller_lang = customer_language(seller_lang or lang)
    return ConsentError(found, text(lang, f"{key}.title"), text(lang, f"{key}.cause"),
                        text(lang, f"{key}.remedy"), confirmed,
                        "" if confirmed else text(lang, "consent_error.unconfirmed"), lang,
                        text(seller_lang, f"{key}.seller"), seller_lang)
