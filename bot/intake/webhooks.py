"""POST /webhooks/<vendor>/<token>: one URL per workspace and vendor, signed as the vendor signs.

Answers: 200 applied (or nothing to do), 400 malformed, 401 unsigned or wrongly signed,
404 no such URL, 409 a delivery already handled (a replay), 413 too large, 503 the chat
platform could not be asked who the recruiter is (the vendor retries later).
Nothing changes unless the answer is 200.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.coach import Coach
from bot.intake import signing, teamtailor, vendors
from bot.intake.recruiters import LookupUnavailable, Matcher, TokenSource
from bot.settings import Settings
from storage.errors import DATABASE_ERRORS

log = logging.getLogger(__name__)

# Webhook bodies are a few kB; Greenhouse's with every custom field stay far below this.
MAX_BODY = 256 * 1024
SIGNATURE_HEADER = {
    "greenhouse": "Signature",
    "ashby": "Ashby-Signature",
    "teamtailor": "TT-Signature",
}
# Signed over the raw body (Teamtailor's signature is checked once the body is parsed).
VERIFY: dict[str, Callable[[str, bytes, str | None], bool]] = {
    "greenhouse": signing.greenhouse_valid,
    "ashby": signing.ashby_valid,
}
PARSE: dict[str, Callable[[Any, datetime], tuple[Any, list[str]]]] = {
    "greenhouse": vendors.greenhouse,
    "ashby": vendors.ashby,
    "teamtailor": vendors.teamtailor,
}
# The vendor's own id of a delivery, when it sends one: a header (Greenhouse) or a body field
# that stays the same across retries of one event (Ashby's `webhookActionId`).
DELIVERY_ID = {"greenhouse": "Greenhouse-Event-ID"}
DELIVERY_FIELD = {"ashby": "webhookActionId"}


def _delivery_field(vendor: str, data: Any) -> str:
    name = DELIVERY_FIELD.get(vendor)
    value = data.get(name) if name and isinstance(data, dict) else None
    return value if isinstance(value, str) else ""


def _answer(status: int, result: str) -> web.Response:
    return web.json_response({"result": result}, status=status)


async def read_bounded(request: web.Request, limit: int = MAX_BODY) -> bytes | None:
    """The raw body, or None when it is larger than `limit`.

    Through `request.read()`, which the server's body check has read (and bounded) already and
    which aiohttp itself bounds by the application's client_max_size otherwise.
    """
    if request.content_length is not None and request.content_length > limit:
        return None
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return None
    return None if len(body) > limit else body


class Webhooks:
    def __init__(
        self, settings: Settings, coach: Coach, slack_tokens: TokenSource | None = None
    ) -> None:
        self.settings = settings
        self.coach = coach
        self.matcher = Matcher(settings, coach, slack_tokens)

    def mount(self, app: web.Application) -> None:
        app.router.add_post("/webhooks/{vendor}/{token}", self.handle)
        if self.settings.preconfigured_ats():
            app.on_startup.append(self._preconfigure)

    async def _preconfigure(self, app: web.Application) -> None:
        try:
            count = await self.coach.intake.preconfigure()
            log.info("intake: %d ATS connections set from the environment", count)
        except DATABASE_ERRORS as error:
            log.error("intake: could not set ATS connections: %s", type(error).__name__)

    async def handle(self, request: web.Request) -> web.Response:
        vendor = request.match_info["vendor"]
        token = request.match_info["token"]
        if vendor not in PARSE or not 16 <= len(token) <= 128:
            return _answer(404, "unknown")
        try:
            found = await self.coach.intake.endpoint(vendor, token)
        except DATABASE_ERRORS as error:
            log.error("intake: database unavailable: %s", type(error).__name__)
            return _answer(503, "unavailable")
        if found is None:
            return _answer(404, "unknown")
        refused = self.coach.intake.count_error
        body = await read_bounded(request)
        if body is None:
            await refused(found.integration_id, "too_large")
            return _answer(413, "too_large")
        header = request.headers.get(SIGNATURE_HEADER[vendor])
        if vendor in VERIFY and not VERIFY[vendor](found.secret, body, header):
            reason = "unsigned" if not header else "bad_signature"
            await refused(found.integration_id, reason)
            log.warning("intake: %s delivery refused: %s", vendor, reason)
            return _answer(401, reason)
        if vendor == "teamtailor" and not header:
            await refused(found.integration_id, "unsigned")
            return _answer(401, "unsigned")
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):  # not JSON, or nested deeper than Python parses
            await refused(found.integration_id, "malformed")
            return _answer(400, "malformed")
        if vendor == "teamtailor":
            # Teamtailor signs its timestamp and the parsed payload, not the raw body.
            now = self.coach.clock().timestamp()
            refusal = signing.teamtailor_check(found.secret, data, header, now)
            if refusal is not None:
                await refused(found.integration_id, refusal)
                log.warning("intake: teamtailor delivery refused: %s", refusal)
                return _answer(401, refusal)
        try:
            event, emails = PARSE[vendor](data, self.coach.clock())
        except vendors.Malformed as error:
            # Only the type: the message could quote the payload, i.e. personal data.
            await refused(found.integration_id, "malformed")
            log.warning("intake: malformed %s payload: %s", vendor, error)
            return _answer(400, "malformed")
        delivery = (
            request.headers.get(DELIVERY_ID.get(vendor, ""), "") or _delivery_field(vendor, data)
        ) or (header if vendor == "teamtailor" and header else hashlib.sha256(body).hexdigest())
        key = f"ats:{found.integration_id}:{delivery[:200]}"
        if event is None:
            await self.coach.intake.delivered(found.integration_id)
            return _answer(200, "nothing_to_do")
        owner, email = None, None
        try:
            if isinstance(event, vendors.TeamtailorRejected):
                event, emails = await teamtailor.complete(
                    event, self.settings.teamtailor_api_url, found.api_key
                )
            if emails:
                owner, email = await self.matcher.match(
                    found.workspace_id, found.platform, found.workspace, emails
                )
            result = await self.coach.intake.apply(
                found.workspace_id,
                event,
                owner,
                email,
                integration_id=found.integration_id,
                delivery_key=key,
            )
        except LookupUnavailable as error:
            await refused(found.integration_id, f"lookup_{error}")
            return _answer(503, "lookup_unavailable")
        except DATABASE_ERRORS as error:
            log.error("intake: database unavailable: %s", type(error).__name__)
            return _answer(503, "unavailable")
        if result == "replayed":
            await refused(found.integration_id, "replayed")
            return _answer(409, result)
        log.info("intake: %s delivery: %s", vendor, result)
        return _answer(200, result)
