"""Secrets at rest (Slack tokens): Fernet with a list of keys, so keys can be rotated.

COACH_ENCRYPTION_KEY holds one key or several separated by commas, newest first. The first
encrypts; every one of them decrypts, so tokens written under an old key stay readable
until `reencrypt` (or the next save of that row) writes them under the newest.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

__all__ = ["Cipher", "InvalidToken", "parse_keys"]


def parse_keys(value: str) -> list[Fernet]:
    """The Fernet keys in a COACH_ENCRYPTION_KEY value; ValueError naming a bad one by position."""
    keys = [part.strip() for part in value.split(",") if part.strip()]
    if not keys:
        raise ValueError("no key given")
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key))
        except (ValueError, TypeError):
            # Never the key itself in the message: it ends up in logs.
            raise ValueError(
                f"key {position} is not a Fernet key (32 url-safe base64-encoded bytes)"
            ) from None
    return fernets


class Cipher:
    def __init__(self, keys: str) -> None:
        self._fernet = MultiFernet(parse_keys(keys))

    def encrypt(self, secret: str | None) -> bytes | None:
        return None if secret is None else self._fernet.encrypt(secret.encode("utf-8"))

    def decrypt(self, stored: bytes | None) -> str | None:
        """InvalidToken when no configured key opens it (a key removed too early)."""
        return None if stored is None else self._fernet.decrypt(bytes(stored)).decode("utf-8")

    def rotate(self, stored: bytes | None) -> bytes | None:
        """The same secret, encrypted under the newest key."""
        return None if stored is None else self._fernet.rotate(bytes(stored))
