"""Configuration from EUDESK_* environment variables and a .env file, validated once at start-up."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from eudesk.storage.models import Locale

DEFAULT_DATABASE_URL = "sqlite:///var/eudesk.db"


class SettingsError(Exception):
    """A setting has a bad value; the message names the variable and is safe to print."""


class Settings(BaseSettings):
    """Everything eudesk can be told from outside; a platform without credentials is off."""

    model_config = SettingsConfigDict(
        env_prefix="EUDESK_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = Field(
        DEFAULT_DATABASE_URL, description="SQLAlchemy URL; postgresql://... in production"
    )
    timezone: str = Field("Europe/Belgrade", description="zone dates are shown in")
    default_locale: Locale = Field(Locale.SR_LATN, description="language for unknown users")

    telegram_token: SecretStr | None = Field(None, description="Bot API token; unset = off")
    telegram_api_url: str = Field(
        "https://api.telegram.org/bot", description="Bot API base URL (self-hosted server)"
    )
    telegram_webhook_url: str | None = Field(None, description="public URL; unset = polling")
    telegram_webhook_secret: SecretStr | None = Field(None, description="webhook secret token")

    slack_bot_token: SecretStr | None = Field(None, description="xoxb- token; unset = off")
    slack_signing_secret: SecretStr | None = Field(None, description="verifies Slack requests")
    slack_app_token: SecretStr | None = Field(None, description="xapp- token: Socket Mode")
    slack_api_url: str = Field("https://slack.com/api/", description="Slack Web API base URL")

    http_host: str = Field("127.0.0.1", description="HTTP server address")
    http_port: int = Field(
        8080, ge=0, le=65535, description="HTTP server port; 0 = any free port (printed)"
    )
    public_url: str | None = Field(
        None, description="the address people reach the HTTP server at (calendar feed links)"
    )

    passport_lookups_per_minute: int = Field(
        10, ge=1, le=1000, description="passport/visa lookups a user may make per minute"
    )
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR")
    log_format: Literal["text", "json"] = Field(
        "text", description="text (readable) or json (one JSON object a line)"
    )

    telegram_per_second: int = Field(
        30, ge=1, le=1000, description="Telegram messages a second, all chats together"
    )
    telegram_per_chat_per_second: int = Field(
        1, ge=1, le=100, description="Telegram messages a second to one chat"
    )
    telegram_per_group_per_minute: int = Field(
        20, ge=1, le=6000, description="Telegram messages a minute to one group"
    )
    slack_per_channel_per_second: int = Field(
        1, ge=1, le=100, description="Slack messages a second to one channel"
    )
    outbox_max_attempts: int = Field(
        8, ge=1, le=100, description="send attempts before a notification is dead"
    )
    outbox_lease_seconds: int = Field(
        60, ge=5, le=3600, description="how long a claimed notification is held before reaping"
    )
    digest_time: time = Field(
        time(8, 0), description="local time of the daily digest on working days (HH:MM)"
    )
    retention_years: int = Field(
        5, ge=1, le=100,
        description="years after a passport's or visa's validity ends before it is anonymised",
    )  # fmt: skip
    guideline_reminder_days: int = Field(
        3, ge=1, le=60, description="working days before an unacknowledged guideline is re-sent"
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _parsable_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError("not a database URL (try sqlite:///path or postgresql://...)") from exc
        if url.get_backend_name() not in {"sqlite", "postgresql", "postgres"}:
            raise ValueError("eudesk supports sqlite and postgresql databases")
        return value

    @field_validator("log_format", mode="before")
    @classmethod
    def _format(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("use DEBUG, INFO, WARNING or ERROR")
        return value.upper()

    @property
    def public_base_url(self) -> str:
        """The base of links to the HTTP server: EUDESK_PUBLIC_URL, else host and port."""
        if self.public_url:
            return self.public_url.rstrip("/")
        return f"http://{self.http_host}:{self.http_port}"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def telegram_enabled(self) -> bool:
        return self.telegram_token is not None

    @property
    def slack_enabled(self) -> bool:
        return self.slack_bot_token is not None and (
            self.slack_signing_secret is not None or self.slack_app_token is not None
        )

    def sqlite_path(self) -> Path | None:
        """The file of a SQLite database, so its folder can be created on first use."""
        url = make_url(self.database_url)
        if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
            return None
        return Path(url.database)


def load_settings(**overrides: object) -> Settings:
    """Build Settings, turning pydantic's report into one line per bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "?"
            lines.append(f"EUDESK_{field.upper()}: {error['msg']}")
        raise SettingsError("; ".join(lines)) from None
