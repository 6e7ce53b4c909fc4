"""Configuration from the environment (DESIGN.md, Environment)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from storage.database import DEFAULT_DATABASE_URL, DEFAULT_POOL_SIZE
from storage.encryption import parse_keys


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    database_url: str = Field(DEFAULT_DATABASE_URL, validation_alias="DATABASE_URL")
    # PostgreSQL connections each server process keeps open; requests beyond them wait their
    # turn. Several processes on one database need this many each (PostgreSQL allows 100).
    database_pool_size: int = Field(
        DEFAULT_POOL_SIZE, ge=1, le=200, validation_alias="DATABASE_POOL_SIZE"
    )
    slack_bot_token: str | None = Field(None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: str | None = Field(None, validation_alias="SLACK_SIGNING_SECRET")
    slack_app_token: str | None = Field(None, validation_alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field("https://slack.com/api/", validation_alias="SLACK_API_URL")
    microsoft_app_id: str = Field("", validation_alias="MICROSOFT_APP_ID")
    microsoft_app_password: str = Field("", validation_alias="MICROSOFT_APP_PASSWORD")
    microsoft_app_type: str = Field("MultiTenant", validation_alias="MICROSOFT_APP_TYPE")
    microsoft_app_tenant_id: str = Field("", validation_alias="MICROSOFT_APP_TENANT_ID")
    port: int = Field(3000, ge=1, le=65535, validation_alias="PORT")
    coach_language: Literal["nb", "en"] = Field("en", validation_alias="COACH_LANGUAGE")
    coach_admins: str = Field("", validation_alias="COACH_ADMINS")
    coach_retention_days: int = Field(183, ge=1, validation_alias="COACH_RETENTION_DAYS")
    coach_talent_pool_months: int = Field(12, ge=1, validation_alias="COACH_TALENT_POOL_MONTHS")
    # The organisation named in call scripts where the platform has no name for it.
    coach_organisation: str = Field("", max_length=200, validation_alias="COACH_ORGANISATION")
    coach_call_deadline_days: int = Field(5, ge=1, validation_alias="COACH_CALL_DEADLINE_DAYS")
    # Seconds between two reminder DMs on one platform, to stay under its rate limits.
    coach_reminder_pace_seconds: float = Field(
        0.2, ge=0, le=60, validation_alias="COACH_REMINDER_PACE_SECONDS"
    )

    # Where the ATS reaches this server: the start of the webhook URLs given to admins.
    coach_public_url: str = Field("http://localhost:3000", validation_alias="COACH_PUBLIC_URL")

    teamtailor_api_url: str = Field(
        "https://api.teamtailor.com/v1/", validation_alias="TEAMTAILOR_API_URL"
    )
    # Self-hosted installs may set the ATS connection of one workspace here instead of in chat:
    # COACH_ATS_WORKSPACE is "slack:T024XYZ", "teams:<tenant id>" or "console:local".
    coach_ats_workspace: str | None = Field(None, validation_alias="COACH_ATS_WORKSPACE")
    greenhouse_webhook_token: str | None = Field(
        None, min_length=16, max_length=128, validation_alias="GREENHOUSE_WEBHOOK_TOKEN"
    )
    greenhouse_webhook_secret: str | None = Field(
        None, min_length=16, max_length=128, validation_alias="GREENHOUSE_WEBHOOK_SECRET"
    )
    ashby_webhook_token: str | None = Field(
        None, min_length=16, max_length=128, validation_alias="ASHBY_WEBHOOK_TOKEN"
    )
    ashby_webhook_secret: str | None = Field(
        None, min_length=16, max_length=128, validation_alias="ASHBY_WEBHOOK_SECRET"
    )

    def preconfigured_ats(self) -> list[tuple[str, str, str, str, str]]:
        """(platform, workspace, vendor, token, secret) for each ATS set in the environment."""
        if not self.coach_ats_workspace or ":" not in self.coach_ats_workspace:
            return []
        platform, _, workspace = self.coach_ats_workspace.partition(":")
        found = []
        for vendor, token, secret in (
            ("greenhouse", self.greenhouse_webhook_token, self.greenhouse_webhook_secret),
            ("ashby", self.ashby_webhook_token, self.ashby_webhook_secret),
        ):
            if token and secret:
                found.append((platform, workspace, vendor, token, secret))
        return found

    @property
    def public_url(self) -> str:
        return self.coach_public_url

    # The durable inbox: requests one server process carries at once before it answers
    # "very busy" (load shedding), and how long a claim lasts without renewal before another
    # process takes the request over (a process that died).
    coach_inbox_capacity: int = Field(
        100, ge=1, le=100_000, validation_alias="COACH_INBOX_CAPACITY"
    )
    coach_inbox_lease_seconds: float = Field(
        30, gt=0, le=3600, validation_alias="COACH_INBOX_LEASE_SECONDS"
    )

    # A read-only command (list, help, report, pool) is answered in the acknowledgement when
    # its answer is ready this many seconds after the request arrived; else it takes the
    # inbox's way and the answer comes at response_url. Slack waits 3 s for the acknowledgement.
    slack_answer_in_ack_seconds: float = Field(
        2.0, gt=0, le=2.5, validation_alias="SLACK_ANSWER_IN_ACK_SECONDS"
    )

    # OAuth install for many workspaces (DESIGN.md, Environment).
    slack_client_id: str | None = Field(None, validation_alias="SLACK_CLIENT_ID")
    slack_client_secret: SecretStr | None = Field(None, validation_alias="SLACK_CLIENT_SECRET")
    coach_encryption_key: SecretStr | None = Field(None, validation_alias="COACH_ENCRYPTION_KEY")
    coach_uninstall_grace_days: int = Field(
        30, ge=0, le=3650, validation_alias="COACH_UNINSTALL_GRACE_DAYS"
    )
    # A token this close to its expiry is refreshed before it is used (Slack's last 12 hours).
    slack_token_rotation_minutes: int = Field(
        120, ge=1, le=720, validation_alias="SLACK_TOKEN_ROTATION_MINUTES"
    )

    @model_validator(mode="after")
    def _single_tenant_needs_its_tenant(self) -> Settings:
        # New multi-tenant bot registrations are refused since July 2025: a single-tenant
        # bot names the Entra tenant its app lives in.
        if self.microsoft_app_type.lower() == "singletenant" and not self.microsoft_app_tenant_id:
            raise ValueError("MICROSOFT_APP_TYPE=SingleTenant also needs MICROSOFT_APP_TENANT_ID")
        return self

    @model_validator(mode="after")
    def _oauth_needs_its_secrets(self) -> Settings:
        if not self.slack_client_id:
            return self
        missing = [
            name
            for name, value in (
                ("SLACK_CLIENT_SECRET", self.slack_client_secret),
                ("SLACK_SIGNING_SECRET", self.slack_signing_secret),
                ("COACH_ENCRYPTION_KEY", self.coach_encryption_key),
            )
            if not value
        ]
        if missing:
            raise ValueError(
                "Slack OAuth mode (SLACK_CLIENT_ID is set) also needs " + ", ".join(missing)
                + "; COACH_ENCRYPTION_KEY keeps the workspaces' tokens encrypted in the database"
            )  # fmt: skip
        assert self.coach_encryption_key is not None
        try:
            parse_keys(self.coach_encryption_key.get_secret_value())
        except ValueError as error:
            raise ValueError(f"COACH_ENCRYPTION_KEY: {error}") from None
        return self

    @property
    def slack_oauth(self) -> bool:
        """Installed through OAuth in any number of workspaces (not one SLACK_BOT_TOKEN)."""
        return bool(self.slack_client_id)

    @property
    def admins(self) -> frozenset[str]:
        return frozenset(user.strip() for user in self.coach_admins.split(",") if user.strip())

    def is_admin(self, workspace: str, user: str) -> bool:
        """A plain id is an admin wherever it signs in; `workspace:user` only in that workspace.

        Both forms are matched whole, so Teams ids that contain a colon ("29:1a...") still work.
        """
        return user in self.admins or f"{workspace}:{user}" in self.admins

    @property
    def slack_enabled(self) -> bool:
        if self.slack_oauth:
            return True
        return bool(self.slack_bot_token and (self.slack_signing_secret or self.slack_app_token))
