"""Webhook signatures, each checked exactly as its vendor signs (Greenhouse and Ashby over the
raw body; Teamtailor over its timestamp and payload), compared in constant time."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json


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


# Teamtailor's v2 signature carries its own time; older (or newer) than this is a replay.
TEAMTAILOR_TOLERANCE = 300


def teamtailor_signed_text(payload: object) -> str:
    """The payload as Teamtailor signs it: `JSON.stringify(payload)`, i.e. compact JSON in the
    order the keys arrived, non-ASCII characters as they are."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def teamtailor_check(secret: str, data: object, header: str | None, now: float) -> str | None:
    """Teamtailor's v2 signature: `TT-Signature` is Base64 of `t=<unix time>,v2=<hex>`, the hex
    an HMAC-SHA256 of `<t>.<JSON of the body's payload>`. None when valid, else why not.
    The deprecated v1 signs only the resource id, so a body could be altered: refused."""
    if not header:
        return "unsigned"
    try:
        decoded = base64.b64decode(header.strip(), validate=True).decode("ascii")
        fields = dict(part.split("=", 1) for part in decoded.split(","))
        stamp, digest = int(fields["t"]), fields["v2"]
    except (ValueError, KeyError, UnicodeDecodeError, binascii.Error):
        return "bad_signature"
    if not isinstance(data, dict) or "payload" not in data:
        return "bad_signature"
    signed = f"{stamp}.{teamtailor_signed_text(data['payload'])}".encode()
    if not _same(hmac_hex(secret, signed), digest):
        return "bad_signature"
    if abs(now - stamp) > TEAMTAILOR_TOLERANCE:
        return "stale"
    return None
