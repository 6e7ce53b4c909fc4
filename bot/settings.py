"""Configuration from the environment (DESIGN.md, Environment)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from storage.database import DEFAULT_DATABASE_URL
from storage.encryption import parse_keys


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    database_url: str = Field(DEFAULT_DATABASE_URL, validation_alias="DATABASE_URL")
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
    coach_call_deadline_days: int = Field(5, ge=1, validation_alias="COACH_CALL_DEADLINE_DAYS")
    # Seconds between two reminder DMs on one platform, to stay under its rate limits.
    coach_reminder_pace_seconds: float = Field(
        0.2, ge=0, le=60, validation_alias="COACH_REMINDER_PACE_SECONDS"
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
