"""The Bot Framework side: authentication from MICROSOFT_APP_*, and calls to the connector.

Every call to the Bot Connector goes through `deliver`, which retries what is worth
retrying (429 with its Retry-After, 5xx, timeouts) a bounded number of times.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import ErrorResponseException
from botframework.connector.auth import (
    AuthenticationConstants,
    GovernmentConstants,
    MicrosoftAppCredentials,
    PasswordServiceClientCredentialFactory,
)
from msal import ConfidentialClientApplication
from msrest.authentication import Authentication
from msrest.exceptions import ClientRequestError, DeserializationError
from msrest.universal_http.requests import ClientRetryPolicy
from pydantic import BaseModel
from urllib3 import Retry

from bot.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

ATTEMPTS = 3
# A connector asking us to wait longer than this is effectively down: report, don't hang.
MAX_RETRY_AFTER = 30.0
# The Bot Framework gives the bot 15 s to answer an incoming activity; one call to the
# connector inside a turn must leave room for the rest of the turn (and one retry).
CONNECTOR_TIMEOUT = 5
BACKOFF = 0.5

# botbuilder makes a connector client and a user token client for every turn, and msrest
# gives each a retry policy whose status codes it picks by testing 999 codes against a
# list of 502: about 3 ms of CPU each, a fifth of a turn. The same codes, kept as a set,
# are picked at once. (tune_connector then replaces the connector's policy anyway.)
ClientRetryPolicy.safe_codes = frozenset(ClientRetryPolicy.safe_codes)  # type: ignore[assignment]


class BotFrameworkEndpoints(BaseModel):
    """Where tokens come from and are checked. None of this is needed for the public cloud;
    a private cloud (or a test) sets every field."""

    openid_metadata_url: str
    token_issuer: str
    login_url: str
    oauth_scope: str = AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE
    validate_authority: bool = True


class ConnectorFailure(Exception):
    """The Bot Connector did not take the call. `status` is its HTTP status, if it answered.

    `credentials`: the bot got no token to call with (its app id or password were refused).
    """

    def __init__(
        self, reason: str, status: int | None = None, *, credentials: bool = False
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.credentials = credentials


class _Configuration:
    """The attribute names ConfigurationBotFrameworkAuthentication reads."""

    def __init__(self, settings: Settings, endpoints: BotFrameworkEndpoints | None) -> None:
        self.APP_ID = settings.microsoft_app_id
        self.APP_PASSWORD = settings.microsoft_app_password
        self.APP_TYPE = settings.microsoft_app_type or "MultiTenant"
        self.APP_TENANTID = settings.microsoft_app_tenant_id
        if endpoints is not None:
            self.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL = endpoints.openid_metadata_url
            self.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL = endpoints.openid_metadata_url
            self.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER = endpoints.token_issuer
            self.TO_CHANNEL_FROM_BOT_LOGIN_URL = endpoints.login_url
            self.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE = endpoints.oauth_scope
            self.VALIDATE_AUTHORITY = endpoints.validate_authority


class _AuthorityCredentials(MicrosoftAppCredentials):
    """App credentials against a login endpoint outside the public and government clouds.

    botbuilder's own private-cloud credentials drop `validate_authority`, so MSAL would try
    instance discovery at login.microsoftonline.com for an authority it cannot know.
    """

    def __init__(
        self,
        app_id: str,
        password: str,
        tenant: str | None,
        oauth_scope: str,
        login_url: str,
        validate_authority: bool,
    ) -> None:
        super().__init__(app_id, password, channel_auth_tenant=tenant, oauth_scope=oauth_scope)
        # As botbuilder does for the public cloud (login.microsoftonline.com/<tenant>): a
        # single-tenant bot asks its own tenant's authority, not the shared botframework.com.
        self.oauth_endpoint = (
            login_url.rstrip("/").rsplit("/", 1)[0] + "/" + tenant if tenant else login_url
        )
        self._validate_authority = validate_authority
        self._msal: ConfidentialClientApplication | None = None

    def get_access_token(self, force_refresh: bool = False) -> str:
        scope = self.oauth_scope
        scopes = [scope if scope.endswith("/.default") else f"{scope}/.default"]
        if self._msal is None:
            self._msal = ConfidentialClientApplication(
                client_id=self.microsoft_app_id,
                client_credential=self.microsoft_app_password,
                authority=self.oauth_endpoint,
                validate_authority=self._validate_authority,
            )
        token = self._msal.acquire_token_for_client(scopes=scopes)
        if "access_token" in token:
            return token["access_token"]
        raise PermissionError(f"no access token: {token.get('error', 'unknown error')}")


class _CredentialFactory(PasswordServiceClientCredentialFactory):
    """Password credentials, kept per scope so MSAL's token cache lives across requests."""

    def __init__(self, app_id: str, password: str, tenant_id: str | None) -> None:
        super().__init__(app_id, password, tenant_id)
        self._cache: dict[tuple[str, str, str], Authentication] = {}

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> Authentication:
        if await self.is_authentication_disabled():
            return MicrosoftAppCredentials.empty()
        if not await self.is_valid_app_id(app_id):
            raise PermissionError("invalid app id")
        key = (app_id, oauth_scope or "", login_endpoint or "")
        if key not in self._cache:
            endpoint = (login_endpoint or "").lower()
            public = (
                AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX,
                GovernmentConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX,
            )
            if not endpoint or endpoint.startswith(public):
                self._cache[key] = await super().create_credentials(
                    app_id, oauth_scope, login_endpoint, validate_authority
                )
            else:
                self._cache[key] = _AuthorityCredentials(
                    app_id,
                    self.password,
                    self.tenant_id,
                    oauth_scope,
                    login_endpoint,
                    validate_authority,
                )
        return self._cache[key]


def create_adapter(
    settings: Settings, endpoints: BotFrameworkEndpoints | None = None
) -> CloudAdapter:
    """A CloudAdapter authenticating with MICROSOFT_APP_*; an empty app id means no auth."""
    configuration = _Configuration(settings, endpoints)
    factory = None
    if configuration.APP_TYPE.lower() != "userassignedmsi":
        single = configuration.APP_TYPE.lower() == "singletenant"
        tenant = configuration.APP_TENANTID if single else None
        factory = _CredentialFactory(
            configuration.APP_ID, configuration.APP_PASSWORD, tenant or None
        )
    authentication = ConfigurationBotFrameworkAuthentication(
        configuration, credentials_factory=factory
    )
    return CloudAdapter(authentication)


def tune_connector(turn_context: TurnContext) -> None:
    """Short timeouts, and no hidden retries below ours (urllib3 would retry a PUT silently)."""
    client = turn_context.turn_state.get(BotAdapter.BOT_CONNECTOR_CLIENT_KEY)
    if client is None:
        return
    client.config.connection.timeout = CONNECTOR_TIMEOUT
    client.config.retry_policy.policy = Retry(
        total=0, connect=0, read=0, status_forcelist=[], raise_on_status=False
    )


def _retry_after(error: ErrorResponseException) -> float:
    # Not `if error.response`: a requests Response is falsy for every 4xx and 5xx.
    response = error.response
    header = (response.headers or {}).get("Retry-After", "") if response is not None else ""
    try:
        return max(0.0, float(header))
    except ValueError:
        return 1.0


async def _sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


async def deliver(call: Callable[[], Awaitable[T]], *, attempts: int = ATTEMPTS) -> T:
    """Make one connector call, retrying 429 (after its Retry-After), 5xx and timeouts."""
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except ErrorResponseException as error:
            status = error.response.status_code if error.response is not None else None
            retryable = status == 429 or (status is not None and status >= 500)
            if not retryable or attempt == attempts:
                raise ConnectorFailure(f"connector answered {status}", status) from error
            wait = _retry_after(error) if status == 429 else BACKOFF * attempt
            if wait > MAX_RETRY_AFTER:
                raise ConnectorFailure(f"connector asks to wait {wait:.0f}s", status) from error
            log.warning("connector answered %s; retrying in %.1fs", status, wait)
            await _sleep(wait)
        except PermissionError as error:
            # No token for the bot (botbuilder and MSAL say so with PermissionError, an
            # OSError): its credentials were refused, which no retry will change.
            raise ConnectorFailure("bot credentials refused", credentials=True) from error
        except DeserializationError as error:
            # The connector (or a proxy before it) answered something that is not its JSON,
            # such as an HTML error page: not worth a retry, and not a crash of the turn.
            raise ConnectorFailure("connector answered something unreadable") from error
        except (TimeoutError, ClientRequestError, OSError) as error:
            if attempt == attempts:
                raise ConnectorFailure(f"connector unreachable: {type(error).__name__}") from error
            log.warning("connector unreachable (%s); retrying", type(error).__name__)
            await _sleep(BACKOFF * attempt)
    raise AssertionError("unreachable")
