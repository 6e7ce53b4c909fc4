"""Teams as the bot meets it: a local Bot Connector, a local identity provider, real HTTP."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import itertools
import ssl
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from jwt.algorithms import RSAAlgorithm

from bot.coach import Coach

TENANT = "tenant-0001"
BOT_ID = "28:feedback-coach-bot"
# What `FakeConnector.fail(..., conversation=...)` names to fail only creating a conversation.
CREATE = "(create conversation)"
CREATE_PATH = "/v3/conversations"


# -- the Bot Connector ----------------------------------------------------------------------


@dataclass
class Call:
    method: str
    path: str
    body: dict[str, Any]
    authorization: str | None
    returned_id: str = ""


@dataclass
class Failure:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    # Only calls into this conversation fail; None: any call.
    conversation: str | None = None


class FakeConnector:
    """Plays the Bot Connector REST API; records what the bot sends; fails on request."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.failures: list[Failure] = []
        self.attempts = 0
        self._ids = itertools.count(1)
        self.server: TestServer | None = None
        # Member lookups (GET .../members/{id}): what Teams answers about a user, by their id.
        self.members: dict[str, dict[str, Any]] = {}
        self.member_lookups: list[str] = []

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("")).rstrip("/")

    def fail(
        self,
        status: int,
        times: int = 1,
        delay: float = 0.0,
        conversation: str | None = None,
        **headers: str,
    ) -> None:
        self.failures += [Failure(status, headers, delay, conversation) for _ in range(times)]

    def _next_failure(self, conversation: str) -> Failure | None:
        for index, failure in enumerate(self.failures):
            if failure.conversation in (None, conversation):
                return self.failures.pop(index)
        return None

    async def _handle(self, request: web.Request) -> web.Response:
        self.attempts += 1
        failure = self._next_failure(request.match_info["conversation"])
        if failure is not None:
            if failure.delay:
                await asyncio.sleep(failure.delay)
            if failure.status:
                error = {"error": {"code": "Failure", "message": "played failure"}}
                return web.json_response(error, status=failure.status, headers=failure.headers)
        body = await request.json()
        if request.method == "PUT":
            returned = request.match_info["activity"]
        else:
            returned = f"bot-activity-{next(self._ids)}"
        authorization = request.headers.get("Authorization")
        self.calls.append(Call(request.method, request.path, body, authorization, returned))
        return web.json_response({"id": returned})

    async def _member(self, request: web.Request) -> web.Response:
        member = request.match_info["member"]
        self.member_lookups.append(member)
        if member not in self.members:
            error = {"error": {"code": "MemberNotFoundInConversation", "message": "not found"}}
            return web.json_response(error, status=404)
        return web.json_response({"id": member, **self.members[member]})

    async def _create(self, request: web.Request) -> web.Response:
        """POST /v3/conversations: Teams answers a 1:1 with the user's personal chat's id."""
        self.attempts += 1
        failure = self._next_failure(CREATE)
        if failure is not None:
            if failure.delay:
                await asyncio.sleep(failure.delay)
            if failure.status:
                error = {"error": {"code": "Forbidden", "message": "played failure"}}
                return web.json_response(error, status=failure.status, headers=failure.headers)
        body = await request.json()
        members = body.get("members") or []
        if body.get("isGroup") or len(members) != 1 or not body.get("bot"):
            error = {"error": {"code": "BadArgument", "message": "one member, not a group"}}
            return web.json_response(error, status=400)
        user = members[0].get("aadObjectId") or members[0].get("id")
        returned = f"a:personal-{user}"
        authorization = request.headers.get("Authorization")
        self.calls.append(Call(request.method, request.path, body, authorization, returned))
        return web.json_response({"id": returned})

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(CREATE_PATH, self._create)
        app.router.add_get("/v3/conversations/{conversation}/members/{member}", self._member)
        base = "/v3/conversations/{conversation}/activities"
        app.router.add_post(base, self._handle)
        app.router.add_post(base + "/{activity}", self._handle)
        app.router.add_put(base + "/{activity}", self._handle)
        return app

    # what the bot said ------------------------------------------------------------------

    def messages(self) -> list[Call]:
        return [c for c in self.calls if c.method == "POST" and c.path != CREATE_PATH]

    def created(self) -> list[Call]:
        """The conversations the bot asked to create (each a 1:1 with one user)."""
        return [c for c in self.calls if c.path == CREATE_PATH]

    def in_conversation(self, conversation: str) -> list[Call]:
        """What the bot posted or updated in one conversation (a channel's thread included:
        its id is the channel's, then ";messageid=...")."""

        def target(call: Call) -> str:
            return call.path.removeprefix("/v3/conversations/").split("/activities")[0]

        return [
            c
            for c in self.calls
            if c.path != CREATE_PATH
            and (target(c) == conversation or target(c).startswith(conversation + ";"))
        ]

    def updates(self) -> list[Call]:
        return [c for c in self.calls if c.method == "PUT"]

    def texts(self) -> list[str]:
        return [c.body.get("text") or "" for c in self.messages()]

    def cards(self, calls: list[Call] | None = None) -> list[dict[str, Any]]:
        found = []
        for call in self.messages() if calls is None else calls:
            for attachment in call.body.get("attachments") or []:
                if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive":
                    found.append(attachment["content"])
        return found

    def clear(self) -> None:
        self.calls.clear()


# -- activities, as Teams sends them ----------------------------------------------------------


class Teams:
    """Builds activities the way Teams shapes them, for one user, and POSTs them."""

    def __init__(self, bot_url: str, connector: FakeConnector, user: str = "aad-user-1") -> None:
        self.bot_url = bot_url
        self.connector = connector
        self.user = user
        self.locale = "en-US"
        # The time zone as the Teams client reports it (clientInfo), and as the activity's
        # own localTimezone field carries it; either may be missing.
        self.timezone: str | None = "Europe/Oslo"
        self.local_timezone: str | None = None
        self.conversation = f"a:personal-{user}"
        self._ids = itertools.count(1)

    def activity(self, kind: str = "message", **extra: Any) -> dict[str, Any]:
        activity: dict[str, Any] = {
            "type": kind,
            "id": f"{self.user}-{uuid.uuid4().hex[:12]}-{next(self._ids)}",
            "timestamp": "2026-11-23T09:00:00.000Z",
            "serviceUrl": self.connector.url + "/",
            "channelId": "msteams",
            "from": {"id": f"29:{self.user}", "name": "Rita Recruiter", "aadObjectId": self.user},
            "conversation": {
                "id": self.conversation,
                "conversationType": "personal",
                "tenantId": TENANT,
            },
            "recipient": {"id": BOT_ID, "name": "Feedback Call Coach"},
            "locale": self.locale,
            "entities": [
                {
                    "type": "clientInfo",
                    "locale": self.locale,
                    "country": "NO",
                    "platform": "Web",
                    **({"timezone": self.timezone} if self.timezone else {}),
                }
            ],
            "channelData": {"tenant": {"id": TENANT}},
        }
        if self.local_timezone:
            activity["localTimezone"] = self.local_timezone
        activity.update(extra)
        return activity

    def message(self, text: str, **extra: Any) -> dict[str, Any]:
        return self.activity(text=text, textFormat="plain", **extra)

    def submit(self, value: dict[str, Any], reply_to: str | None, **extra: Any) -> dict[str, Any]:
        activity = self.activity(value=value, **extra)
        if reply_to:
            activity["replyToId"] = reply_to
        return activity

    def install(self) -> dict[str, Any]:
        return self.activity(
            "conversationUpdate",
            membersAdded=[{"id": BOT_ID}],
        )

    async def post(self, activity: dict[str, Any], token: str | None = None) -> int:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with (
            ClientSession() as client,
            client.post(self.bot_url + "/api/messages", json=activity, headers=headers) as r,
        ):
            return r.status

    async def say(self, text: str) -> int:
        return await self.post(self.message(text))


@dataclass
class Running:
    server: TestServer
    teams: Teams
    coach: Coach


# -- the identity provider: OpenID metadata, signing keys, and the bot's own token endpoint ----


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "idp.crt", directory / "idp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class IdentityProvider:
    """Runs in its own thread: botbuilder fetches keys and MSAL fetches tokens synchronously."""

    ISSUER = "https://api.botframework.test"

    def __init__(self, directory: Path) -> None:
        self.cert_path, key_path = _self_signed(directory)
        self.ssl = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ssl.load_cert_chain(self.cert_path, key_path)
        self.signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "signing-key-1"
        self.token_requests: list[dict[str, str]] = []
        self.access_tokens: list[str] = []
        # The tenant in the path of each token request (the authority the bot asked).
        self.token_tenants: list[str] = []
        # The token endpoint refuses the bot's credentials (a wrong or expired secret).
        self.refuse_tokens = False
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def base(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def metadata_url(self) -> str:
        return f"{self.base}/v1/.well-known/openidconfiguration"

    @property
    def login_url(self) -> str:
        return f"{self.base}/botframework.com"

    def _app(self) -> web.Application:
        async def metadata(request: web.Request) -> web.Response:
            return web.json_response(
                {"issuer": self.ISSUER, "jwks_uri": f"{self.base}/v1/.well-known/keys"}
            )

        async def keys(request: web.Request) -> web.Response:
            jwk = RSAAlgorithm.to_jwk(self.signing_key.public_key(), as_dict=True)
            jwk.update(kid=self.kid, use="sig", endorsements=["msteams"])
            return web.json_response({"keys": [jwk]})

        async def tenant(request: web.Request) -> web.Response:
            # botframework.com for a multi-tenant bot, the tenant's id for a single-tenant one.
            prefix = f"{self.base}/{request.match_info['tenant']}"
            return web.json_response(
                {
                    "issuer": f"{prefix}/v2.0",
                    "token_endpoint": f"{prefix}/oauth2/v2.0/token",
                    "authorization_endpoint": f"{prefix}/oauth2/v2.0/authorize",
                }
            )

        async def token(request: web.Request) -> web.Response:
            form = dict(await request.post())
            self.token_requests.append({k: str(v) for k, v in form.items()})
            self.token_tenants.append(request.match_info["tenant"])
            if self.refuse_tokens:
                refusal = {"error": "invalid_client", "error_description": "AADSTS7000215"}
                return web.json_response(refusal, status=401)
            access = f"bot-access-token-{uuid.uuid4().hex}"
            self.access_tokens.append(access)
            return web.json_response(
                {"token_type": "Bearer", "expires_in": 3600, "access_token": access}
            )

        app = web.Application()
        app.router.add_get("/v1/.well-known/openidconfiguration", metadata)
        app.router.add_get("/v1/.well-known/keys", keys)
        app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", tenant)
        app.router.add_post("/{tenant}/oauth2/v2.0/token", token)
        return app

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        runner = web.AppRunner(self._app())
        self._loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=self.ssl)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(runner.cleanup())

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(10)

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def mint(
        self,
        *,
        audience: str,
        service_url: str,
        lifetime: int = 600,
        issued_ago: int = 0,
        key: rsa.RSAPrivateKey | None = None,
        kid: str | None = None,
        issuer: str | None = None,
    ) -> str:
        """A token shaped like the Bot Framework's, signed by our key unless told otherwise."""
        now = int(time.time()) - issued_ago
        claims = {
            "iss": issuer or self.ISSUER,
            "aud": audience,
            "serviceurl": service_url,
            "nbf": now - 5,
            "iat": now,
            "exp": now + lifetime,
        }
        return jwt.encode(
            claims, key or self.signing_key, algorithm="RS256", headers={"kid": kid or self.kid}
        )


def flat_actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    """A card's actions with those behind its "More" (an Action.ShowCard of actions only)."""
    found: list[dict[str, Any]] = []
    for action in card.get("actions", []):
        inner = action.get("card", {}) if action["type"] == "Action.ShowCard" else {}
        if inner and not inner.get("body"):
            found += inner.get("actions", [])
        else:
            found.append(action)
    return found
