"""Webhook signatures, each checked exactly as its vendor signs: over the raw body, in
constant time."""

from __future__ import annotations

import hashlib
import hmac


def hmac_hex(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(
        expected.encode("ascii"), given.strip().lower().encode("ascii", "replace")
    )


def greenhouse_valid(secret: str, body: bytes, header: str | None) -> bool:
    """Greenhouse: `Signature: sha256 <hex>`, HMAC-SHA256 of the body (note the space)."""
    if not header:
        return False
    algorithm, _, digest = header.strip().partition(" ")
    return algorithm.lower() == "sha256" and bool(digest) and _same(hmac_hex(secret, body), digest)


def ashby_valid(secret: str, body: bytes, header: str | None) -> bool:
    """Ashby: `Ashby-Signature: sha256=<hex>`, HMAC-SHA256 of the raw body."""
    if not header:
        return False
    algorithm, _, digest = header.strip().partition("=")
    return algorithm.lower() == "sha256" and bool(digest) and _same(hmac_hex(secret, body), digest)
