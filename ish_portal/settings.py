"""All configuration in one place: environment variables prefixed ISH_, validated at start-up."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Secrets that appear in examples and tutorials; a production portal must never run on one.
KNOWN_PLACEHOLDERS = {"changethis", "change-me", "changeme", "secret", "secret-key", "your-secret-key",
                      "development", "please-change-me", "xxx", "password"}
MIN_SECRET_LENGTH = 32
DEVELOPMENT_SECRET = "development-only-secret-key-never-use-in-production"


class Settings(BaseSettings):
    """Every setting of the portal. The README's settings table lists the same names and defaults."""

    model_config = SettingsConfigDict(env_prefix="ISH_", extra="ignore")

    env: Literal["development", "production"] = "production"
    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'ish-portal.sqlite3'}"
    secret_key: SecretStr | None = None
    base_url: str = "http://127.0.0.1:8000"
    time_zone: str = "Europe/Berlin"

    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_tls: bool = True
    smtp_timeout: float = Field(default=10.0, gt=0)
    mail_from: str = "ISH Heidelberg <ish@ish.example>"
    mail_dir: Path = PROJECT_ROOT / "var" / "mail"
    mail_per_minute: int = Field(default=120, ge=1)
    run_sender: bool = True
    # The nightly retention purge in the worker (ish-portal retention run works either way).
    retention_nightly: bool = True

    upload_max_mb: int = Field(default=10, ge=1, le=100)
    demo_password: str = "heidelberg-demo"

    access_link_days: int = Field(default=14, ge=1)
    password_reset_hours: int = Field(default=2, ge=1)
    invitation_days: int = Field(default=7, ge=1)
    session_days: int = Field(default=14, ge=1)

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:")):
            raise ValueError("must start with sqlite: or postgresql:")
        return value

    @model_validator(mode="after")
    def _secret_key_is_real(self) -> "Settings":
        if self.env == "development":
            if self.secret_key is None:
                self.secret_key = SecretStr(DEVELOPMENT_SECRET)
            return self
        key = self.secret_key.get_secret_value() if self.secret_key else ""
        if not key:
            raise ValueError("ISH_SECRET_KEY is missing; set a random value of at least "
                             f"{MIN_SECRET_LENGTH} characters (or ISH_ENV=development for a demo)")
        if key.lower() in KNOWN_PLACEHOLDERS or key == DEVELOPMENT_SECRET:
            raise ValueError("ISH_SECRET_KEY is a known placeholder; set a random value")
        if len(key) < MIN_SECRET_LENGTH:
            raise ValueError(f"ISH_SECRET_KEY is too short; use at least {MIN_SECRET_LENGTH} characters")
        return self

    @property
    def development(self) -> bool:
        return self.env == "development"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def sqlalchemy_url(self) -> str:
        """psycopg 3 is the PostgreSQL driver; accept the plain postgresql:// spelling too."""
        if self.database_url.startswith("postgresql:"):
            return "postgresql+psycopg:" + self.database_url[len("postgresql:"):]
        return self.database_url


def describe_error(error: ValidationError) -> str:
    """One clear line for a wrong setting, naming the environment variable."""
    first = error.errors()[0]
    location = ".".join(str(part) for part in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    if location:
        return f"ISH_{location.upper()}: {message}"
    return message


@lru_cache
def get_settings() -> Settings:
    return Settings()
