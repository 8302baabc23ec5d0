"""Settings read from ``RISKAPP_*`` environment variables.

Every setting has a safe default so ``make run`` works with nothing configured; the README
lists them. The secret key is never a constant: without ``RISKAPP_SECRET_KEY`` one is
generated on first start and kept in the instance folder.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from riskapp.access import Role
from riskapp.reminders.rules import parse_offsets

SECRET_KEY_FILE = "secret_key"  # noqa: S105 (a file name, not a secret)


class Settings(BaseSettings):
    """The operator-facing settings; each maps to ``RISKAPP_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="RISKAPP_", extra="ignore")

    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite in the instance folder"
    )
    secret_key: str | None = Field(default=None, description="Signs sessions and CSRF tokens")
    session_idle_minutes: int = Field(default=30, ge=1, description="Sign out after inactivity")
    session_max_hours: int = Field(default=12, ge=1, description="Sign out after this long")
    login_max_failures: int = Field(default=5, ge=1, description="Failed sign-ins before lockout")
    login_lockout_minutes: int = Field(default=15, ge=1, description="Lockout window")
    two_factor_roles: str = Field(
        default="admin",
        description="Roles that must sign in with a second factor (an authenticator app), "
                    "comma-separated; everyone else may turn it on",
    )
    secure_cookies: bool = Field(default=False, description="Mark cookies Secure (HTTPS only)")
    trusted_proxies: int = Field(
        default=0, ge=0, description="Reverse proxies in front whose X-Forwarded-* to believe"
    )
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    mail_from: str = "riskapp@localhost"
    upload_max_mb: float = Field(default=15, gt=0, le=15,
                               description="Largest evidence file a vendor may upload, in MB")
    share_link_days: int = Field(default=30, ge=1, le=365,
                                 description="Days a vendor's share link works")
    portal_max_refusals: int = Field(default=20, ge=1,
                                     description="Wrong share links from one address before "
                                                 "it is refused for a while")
    questionnaires_dir: Path = Field(
        default=Path(__file__).resolve().parents[1] / "questionnaires",
        description="Folder of questionnaire YAML files (banks in its banks/ folder)",
    )
    scoring_profile: Path = Field(
        default=Path(__file__).resolve().parents[1] / "scoring" / "default.yaml",
        description="The scoring profile YAML new vendor scores use",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis for the scan queue, e.g. redis://host:6379/0 (several workers); "
                    "default: a SQLite queue in the instance folder",
    )
    scan_resolver: str | None = Field(
        default=None, description="DNS server scans ask, IP[:PORT]; default: the system's"
    )
    scan_timeout: float = Field(default=5.0, gt=0, le=60,
                                description="Seconds for each lookup, connection and reply")
    scan_retries: int = Field(default=2, ge=0, le=10,
                              description="Times a scan job that failed is tried again")
    scan_retry_delay: int = Field(default=60, ge=0,
                                  description="Seconds before a failed scan job is tried again")

    base_url: str = Field(
        default="http://127.0.0.1:5000",
        description="The address users reach riskapp at, for links in reminder mails",
    )
    review_months: dict[str, int] = Field(
        default={"critical": 6, "high": 12, "moderate": 18, "low": 24},
        description="Months between assessments by risk tier, as JSON",
    )
    reminder_days: str = Field(
        default="90,30,7,0",
        description="Days before a deadline that reminders go out, comma-separated",
    )
    reminder_hour: int = Field(default=7, ge=0, le=23,
                               description="Hour (UTC) the daily reminder job runs")

    @field_validator("review_months")
    @classmethod
    def _every_tier_once(cls, months: dict[str, int]) -> dict[str, int]:
        tiers = {"critical", "high", "moderate", "low"}
        if set(months) != tiers or any(not 1 <= m <= 120 for m in months.values()):
            raise ValueError("give months (1-120) for exactly the tiers critical, high, "
                             "moderate and low")
        return months

    @field_validator("two_factor_roles")
    @classmethod
    def _known_roles(cls, text: str) -> str:
        unknown = set(parse_roles(text)) - {role.value for role in Role}
        if unknown:
            raise ValueError(f"no such role: {', '.join(sorted(unknown))}; the roles are "
                             f"{', '.join(role.value for role in Role)}")
        return text

    @field_validator("reminder_days")
    @classmethod
    def _offsets_parse(cls, text: str) -> str:
        parse_offsets(text)
        return text

    def to_flask_config(self) -> dict[str, Any]:
        """Return these settings under the upper-case keys Flask and its extensions read."""
        return {name.upper(): value for name, value in self.model_dump().items()}


def parse_roles(text: str) -> frozenset[str]:
    return frozenset(part.strip() for part in text.split(",") if part.strip())


MIN_SECRET_KEY_LENGTH = 32


def load_or_create_secret_key(instance_path: str | os.PathLike[str]) -> str:
    """Return the instance's secret key, generating and storing one on first use.

    The key is written to a temporary file and linked into place, so two workers starting
    at once agree on one key and neither can read a half-written file.
    """
    path = Path(instance_path) / SECRET_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{SECRET_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another worker won the race: use its key
        finally:
            temporary.unlink()
    key = path.read_text().strip()
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise RuntimeError(f"{path} holds no usable secret key; delete it to have one made.")
    return key


def default_database_url(instance_path: str | os.PathLike[str]) -> str:
    return f"sqlite:///{Path(instance_path) / 'riskapp.db'}"
