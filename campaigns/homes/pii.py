"""Personal data at rest: a keyed hash to find duplicates, and encryption to read it back.

* ``WANJIA_PII_HASH_KEY`` — the HMAC-SHA256 key of the dedupe hash of ID numbers. Changing it
  makes every stored hash useless for dedupe: keep it for the life of the data.
* ``WANJIA_PII_KEY`` — a Fernet key (``Fernet.generate_key()``) that encrypts ID numbers and
  phone numbers. Losing it loses the data.

Both are read from the app config, then the environment. Without them a key is derived from
``SECRET_KEY`` (fine on a laptop; set both explicitly in production, separately from it).
"""
import base64
import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken

HASH_VAR, ENC_VAR = "WANJIA_PII_HASH_KEY", "WANJIA_PII_KEY"


class PiiError(ValueError):
    """Stored personal data that cannot be decrypted with the configured key."""


@dataclass(frozen=True)
class PiiKeys:
    hash_key: bytes
    fernet_key: bytes

    def digest(self, value: str) -> str:
        """The dedupe hash of ``value`` (hex)."""
        return hmac.new(self.hash_key, value.encode(), hashlib.sha256).hexdigest()

    def encrypt(self, value: str) -> str:
        return Fernet(self.fernet_key).encrypt(value.encode()).decode() if value else ""

    def decrypt(self, token: str) -> str:
        if not token:
            return ""
        try:
            return Fernet(self.fernet_key).decrypt(token.encode()).decode()
        except InvalidToken:
            raise PiiError("Stored personal data cannot be read with WANJIA_PII_KEY.") from None


def _derived(secret: str, purpose: str) -> bytes:
    return hashlib.sha256(f"wanjia-pii:{purpose}:{secret}".encode()).digest()


def keys_from(config) -> PiiKeys:
    """The keys from ``config`` (a mapping, e.g. ``app.config``), the environment, or derived."""
    secret = config.get("SECRET_KEY") or ""
    hash_key = config.get(HASH_VAR) or os.environ.get(HASH_VAR)
    enc_key = config.get(ENC_VAR) or os.environ.get(ENC_VAR)
    return PiiKeys(
        hash_key=hash_key.encode() if hash_key else _derived(secret, "hash"),
        fernet_key=enc_key.encode() if enc_key else base64.urlsafe_b64encode(_derived(secret, "enc")),
    )


def current_keys() -> PiiKeys:
    """The keys of the running app (inside an app context)."""
    from flask import current_app

    return keys_from(current_app.config)
