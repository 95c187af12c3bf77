"""Settings and per-user paths.

One frozen `Settings` object, read from `ROBUSTAPP_*` environment variables and an optional
`.env` file, and one `Paths` object derived from it. `ROBUSTAPP_HOME` puts every per-user
directory under one folder (tests pin it to a temp dir); without it, platformdirs decides.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated

import platformdirs
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from robustapp.errors import ConfigError

APP_NAME = "robustapp"
ENV_PREFIX = "ROBUSTAPP_"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class _CaseInsensitiveEnum(StrEnum):
    @classmethod
    def _missing_(cls, value: object) -> _CaseInsensitiveEnum | None:
        # Here, not in a "before" validator, so an error still quotes what the user typed.
        if isinstance(value, str):
            return next((m for m in cls if m.value.casefold() == value.casefold()), None)
        return None


class Env(_CaseInsensitiveEnum):
    DEV = "dev"
    PROD = "prod"


class BackupSchedule(_CaseInsensitiveEnum):
    DAILY = "daily"
    OFF = "off"


class LogLevel(_CaseInsensitiveEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


class Settings(BaseSettings):
    """Every setting of the app; see `.env.example` for the documented list."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
    )

    env: Env = Env.PROD
    debug: bool = False
    log_level: LogLevel = LogLevel.INFO
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = 0
    home: Path | None = None
    cache_ttl: Annotated[int, Field(ge=0)] = 3600
    cache_size_mb: Annotated[int, Field(ge=1)] = 512
    job_max_workers: Annotated[int, Field(ge=1, le=64)] = max(1, min(4, (os.cpu_count() or 2) - 1))
    job_timeout: Annotated[float, Field(gt=0)] = 3600.0
    session_timeout: Annotated[int, Field(ge=1)] = 480
    secret_key: SecretStr = Field(default_factory=lambda: SecretStr(secrets.token_urlsafe(32)))
    bcrypt_rounds: Annotated[int, Field(ge=4, le=31)] = 12
    start_timeout: Annotated[float, Field(gt=0)] = 60.0
    checkpoint_idle_seconds: Annotated[float, Field(gt=0)] = 5.0
    form_history_limit: Annotated[int, Field(ge=2, le=10_000)] = 100
    backup_schedule: BackupSchedule = BackupSchedule.DAILY
    backup_keep: Annotated[int, Field(ge=1, le=10_000)] = 10
    sql_timeout: Annotated[float, Field(gt=0)] = 60.0
    db_memory_mb: Annotated[int, Field(ge=256)] = 512  # a CSV read alone takes ~100 MB of buffers

    @field_validator("home", mode="before")
    @classmethod
    def _empty_home_is_default(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("secret_key", mode="before")
    @classmethod
    def _empty_secret_is_random(cls, value: object) -> object:
        return secrets.token_urlsafe(32) if value in ("", None) else value

    @cached_property
    def paths(self) -> Paths:
        return Paths.for_home(self.home)

    @property
    def is_dev(self) -> bool:
        return self.env is Env.DEV


def load_settings(**overrides: object) -> Settings:
    """Read the settings; a bad value raises ConfigError naming the variable and the value."""
    try:
        env_file = os.environ.get(f"{ENV_PREFIX}ENV_FILE", ".env")
        return Settings(_env_file=env_file, **overrides)  # type: ignore[call-arg]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "?"
            variable = f"{ENV_PREFIX}{field.upper()}"
            value = error.get("input")
            problems.append(f"{variable}={value!r}: {error['msg']}")
        raise ConfigError("bad setting: " + "; ".join(problems)) from None


@dataclass(frozen=True)
class Paths:
    """Where the app keeps its per-user files."""

    data_dir: Path
    cache_dir: Path
    log_dir: Path
    backup_dir: Path

    @classmethod
    def for_home(cls, home: Path | None) -> Paths:
        if home is not None:
            home = home.expanduser().absolute()
            return cls(home / "data", home / "cache", home / "logs", home / "backups")
        dirs = platformdirs.PlatformDirs(APP_NAME, appauthor=False)
        data = Path(dirs.user_data_dir)
        return cls(data, Path(dirs.user_cache_dir), Path(dirs.user_log_dir), data / "backups")

    @property
    def db_path(self) -> Path:
        return self.data_dir / "robustapp.duckdb"

    @property
    def runtime_file(self) -> Path:
        """Written by the running server: pid, port, URL."""
        return self.data_dir / "runtime.json"

    @property
    def token_file(self) -> Path:
        """The running server's control token, readable only by the user."""
        return self.data_dir / "control.token"

    @property
    def server_lock(self) -> Path:
        return self.data_dir / "server.lock"

    @property
    def launcher_lock(self) -> Path:
        return self.data_dir / "launcher.lock"

    @property
    def restore_outcome_file(self) -> Path:
        """What the last restore asked for in the app did; shown once when the app is back."""
        return self.data_dir / "restore-outcome.json"

    @property
    def window_state_file(self) -> Path:
        return self.data_dir / "window.json"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "robustapp.log"

    @property
    def temp_dir(self) -> Path:
        return self.cache_dir / "tmp"

    @property
    def result_cache_dir(self) -> Path:
        """Cached function results (robustapp.cache): rebuilt when unusable, so not in `all_dirs`."""
        return self.cache_dir / "results"

    def all_dirs(self) -> tuple[Path, ...]:
        return (self.data_dir, self.cache_dir, self.log_dir, self.backup_dir, self.temp_dir)

    def ensure(self) -> Paths:
        """Create every directory; raise ConfigError naming the first one that is not writable."""
        for directory in self.all_dirs():
            try:
                directory.mkdir(parents=True, exist_ok=True)
                probe = directory / f".write-test-{os.getpid()}"
                probe.write_bytes(b"")
                probe.unlink()
            except OSError as exc:
                raise ConfigError(
                    f"data directory {directory} is not writable ({exc.strerror or exc}); "
                    f"set {ENV_PREFIX}HOME to a folder you can write to"
                ) from None
        return self
