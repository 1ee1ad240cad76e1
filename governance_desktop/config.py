"""Settings: defaults, then a settings file, then environment, then command-line flags.

The data dir holds everything of one install: governance.db, queue.db, logs/, backups/.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from governance_desktop.domain.errors import GovernanceError
from governance_desktop.jobs.queue import queue_file, queue_url_problem
from governance_desktop.store.db import database_url_problem, redact_text, sqlite_path

APP_NAME = "governance-desktop"
ENV_PREFIX = "GOVERNANCE_"


class SettingsError(GovernanceError):
    """A setting that cannot be used; the message names it."""


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def settings_file() -> Path:
    """The optional TOML settings file (``GOVERNANCE_SETTINGS_FILE`` overrides its place)."""
    explicit = os.environ.get(f"{ENV_PREFIX}SETTINGS_FILE")
    if explicit:
        return Path(explicit)
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "settings.toml"


class Settings(BaseSettings):
    """Where the data lives and how the queue runs."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid")

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None
    queue_url: str | None = None
    workers: int = Field(default=2, ge=1, le=32)
    max_attempts: int = Field(default=5, ge=1, le=50)
    retry_delay: float = Field(default=2.0, gt=0, le=3600)
    retry_max_delay: float = Field(default=300.0, gt=0, le=86400)
    #: Automatic backups of governance.db into backups/ by the app and the worker:
    #: one when the newest is older than this (0 turns them off), keeping the newest N.
    backup_interval_hours: float = Field(default=24.0, ge=0, le=24 * 366)
    backup_keep: int = Field(default=7, ge=1, le=1000)
    #: The window's signing session ends after this many idle minutes: the next signature
    #: asks for user name and password again (21 CFR 11.200(a)(1)); 0 asks both every time.
    signing_idle_minutes: float = Field(default=15.0, ge=0, le=24 * 60)
    #: A running job's lease, in seconds: its worker's heartbeat renews it every third of
    #: this; the reconciler (every half lease) re-queues a dead worker's jobs within two.
    lease_seconds: float = Field(default=15.0, ge=1, le=3600)
    #: Whether the window runs a worker of its own. None (unset): yes in single-user mode,
    #: no in team mode (`team_mode`), where workers run on a server (``worker`` command).
    window_worker: bool | None = None
    #: A fresh pg_dump before migrating a PostgreSQL database (refused without pg_dump);
    #: false waives it (the global `--no-backup` flag does the same for one command).
    migration_backup: bool = True

    @field_validator("data_dir", mode="before")
    @classmethod
    def _not_empty(cls, value: Any) -> Any:
        # Path("") is the current folder: an empty value must not silently mean "here".
        if isinstance(value, str) and not value.strip():
            raise ValueError("is empty; name a folder (an empty value would mean the current one)")
        return value

    @field_validator("data_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser().absolute()

    @field_validator("database_url")
    @classmethod
    def _usable_url(cls, value: str | None) -> str | None:
        # Refused here, before the data folder is touched: a typo, an unknown or missing driver.
        problem = database_url_problem(value) if value else None
        if problem is not None:
            raise ValueError(problem)
        return value

    @field_validator("queue_url")
    @classmethod
    def _usable_queue_url(cls, value: str | None) -> str | None:
        # An unknown scheme or a relative path would become a file under the current folder.
        problem = queue_url_problem(value) if value else None
        if problem is not None:
            raise ValueError(problem)
        return value

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'governance.db'}"

    @property
    def effective_queue_url(self) -> str:
        return self.queue_url or str(self.data_dir / "queue.db")

    @property
    def team_mode(self) -> bool:
        """Shared servers: the database is not a SQLite file, or the queue not a local file."""
        return (
            sqlite_path(self.effective_database_url) is None
            or queue_file(self.effective_queue_url) is None
        )

    @property
    def starts_window_worker(self) -> bool:
        """Whether the window starts its own worker (`window_worker`; unset: not in team mode)."""
        return not self.team_mode if self.window_worker is None else self.window_worker

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=settings_file())
        return (init_settings, env_settings, toml)


def load_settings(**overrides: Any) -> Settings:
    """Build settings; any bad value raises SettingsError naming the setting and its source."""
    clean = {key: value for key, value in overrides.items() if value is not None}
    _check_settings_file(settings_file())
    try:
        return Settings(**clean)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(part) for part in first["loc"]) or "settings"
        env = f"{ENV_PREFIX}{name.upper()}"
        flag = "--data-dir, " if name == "data_dir" else ""
        message = redact_text(first["msg"].removeprefix("Value error, "))
        raise SettingsError(
            f"invalid setting {name} ({flag}{env} or {settings_file()}): {message}"
        ) from None
    except (OSError, ValueError) as exc:  # unreadable or malformed settings file
        raise SettingsError(f"cannot read settings file {settings_file()}: {exc}") from None


def _check_settings_file(path: Path) -> None:
    """A settings file that exists must be a readable regular file (or /dev/null: none): the
    TOML reader would silently skip a folder or a device, and an unreadable file too."""
    if str(path) == os.devnull:  # "no settings file" (the benchmarks use it)
        return
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise SettingsError(f"cannot read settings file {path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        raise SettingsError(
            f"settings file {path} is not a regular file (GOVERNANCE_SETTINGS_FILE or the "
            "default place); name a TOML file or remove it"
        )
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        raise SettingsError(f"cannot read settings file {path}: {exc.strerror or exc}") from None
