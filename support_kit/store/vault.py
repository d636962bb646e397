"""Refresh tokens kept encrypted with Fernet (``SUPPORT_KIT_TOKEN_KEY``); never in clear text.

Make a key once and keep it with the other secrets::

    python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"

Several keys separated by commas allow rotation: the first encrypts, all decrypt.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from ..config import Secret
from ..errors import SupportKitError

KEY_SETTING = "SUPPORT_KIT_TOKEN_KEY"
MAKE_KEY = ('python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())"')


class TokenVault:
    """Encrypts and decrypts refresh tokens with the desk's token key.

    >>> vault = TokenVault(Secret(Fernet.generate_key().decode()))
    >>> sealed = vault.seal(Secret("Atzr|canary"))
    >>> "canary" in sealed, vault.open(sealed).reveal(), vault
    (False, 'Atzr|canary', <TokenVault [secure]>)
    """

    __slots__ = ("_fernet",)

    def __init__(self, key: Secret):
        try:
            self._fernet = MultiFernet([Fernet(k.strip().encode())
                                        for k in key.reveal().split(",") if k.strip()])
        except (ValueError, TypeError):
            raise SupportKitError(
                f"{KEY_SETTING} is not a Fernet key (32 bytes, URL-safe base64). Make one "
                f"with {MAKE_KEY} and keep it with the other secrets.") from None

    def seal(self, token: Secret) -> str:
        return self._fernet.encrypt(token.reveal().encode()).decode("ascii")

    def open(self, sealed: str) -> Secret:
        try:
            return Secret(self._fernet.decrypt(sealed.encode("ascii")).decode())
        except InvalidToken:
            raise SupportKitError(
                f"{KEY_SETTING} does not open the refresh tokens in the store: it is not the "
                "key they were stored with. Set the earlier key (or 'new,old' while "
                "rotating).") from None

    def try_open(self, sealed: str) -> Secret | None:
        """The token, or ``None`` when this key cannot open it."""
        try:
            return Secret(self._fernet.decrypt(sealed.encode("ascii")).decode())
        except InvalidToken:
            return None

    def __repr__(self) -> str:
        return "<TokenVault [secure]>"

    def __reduce__(self):
        raise TypeError("a TokenVault cannot be pickled or copied out")
