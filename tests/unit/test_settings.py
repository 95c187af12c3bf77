"""Settings: defaults, every ROBUSTAPP_* variable, the .env file, and errors that name the culprit."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from robustapp.config import BackupSchedule, Env, LogLevel, Paths, Settings, load_settings
from robustapp.errors import ConfigError

# Every setting: the raw text a user types, and what the app makes of it.
RAW_AND_PARSED = {
    "env": ("dev", Env.DEV),
    "debug": ("true", True),
    "log_level": ("WARNING", LogLevel.WARNING),
    "host": ("localhost", "localhost"),
    "port": ("8765", 8765),
    "home": ("/srv/robustapp-home", Path("/srv/robustapp-home")),
    "cache_ttl": ("60", 60),
    "cache_size_mb": ("64", 64),
    "job_max_workers": ("3", 3),
    "job_timeout": ("90.5", 90.5),
    "session_timeout": ("30", 30),
    "secret_key": ("s3cret-value", "s3cret-value"),
    "bcrypt_rounds": ("10", 10),
    "start_timeout": ("12.5", 12.5),
    "checkpoint_idle_seconds": ("0.5", 0.5),
    "form_history_limit": ("25", 25),
    "backup_schedule": ("OFF", BackupSchedule.OFF),
    "backup_keep": ("3", 3),
    "sql_timeout": ("7.5", 7.5),
    "db_memory_mb": ("256", 256),
}


def _value(settings: Settings, field: str) -> object:
    value = getattr(settings, field)
    return value.get_secret_value() if field == "secret_key" else value


def test_defaults_are_local_and_production(app_home: Path) -> None:
    settings = load_settings()

    assert settings.env is Env.PROD
    assert settings.debug is False
    assert settings.log_level is LogLevel.INFO
    assert settings.host == "127.0.0.1"
    assert settings.port == 0
    assert settings.home == app_home
    assert settings.cache_ttl == 3600
    assert settings.cache_size_mb == 512
    assert settings.db_memory_mb == 512
    assert 1 <= settings.job_max_workers <= 4
    assert settings.job_timeout == 3600.0
    assert settings.session_timeout == 480
    assert settings.bcrypt_rounds == 12
    assert settings.start_timeout == 60.0
    assert settings.checkpoint_idle_seconds == 5.0
    assert len(settings.secret_key.get_secret_value()) >= 32


def test_the_table_below_covers_every_setting() -> None:
    assert set(RAW_AND_PARSED) == set(Settings.model_fields)


@pytest.mark.parametrize("field", sorted(RAW_AND_PARSED))
def test_every_setting_is_read_from_its_environment_variable(
    field: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw, parsed = RAW_AND_PARSED[field]
    monkeypatch.setenv(f"ROBUSTAPP_{field.upper()}", raw)

    assert _value(load_settings(), field) == parsed


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ROBUSTAPP_PORT", "abc"),
        ("ROBUSTAPP_PORT", "70000"),
        ("ROBUSTAPP_ENV", "staging"),
        ("ROBUSTAPP_DEBUG", "maybe"),
        ("ROBUSTAPP_LOG_LEVEL", "verbose"),
        ("ROBUSTAPP_CACHE_SIZE_MB", "0"),
        ("ROBUSTAPP_JOB_MAX_WORKERS", "65"),
        ("ROBUSTAPP_BCRYPT_ROUNDS", "3"),
        ("ROBUSTAPP_START_TIMEOUT", "0"),
        ("ROBUSTAPP_CHECKPOINT_IDLE_SECONDS", "-1"),
    ],
)
def test_a_bad_value_raises_config_error_naming_variable_and_value(
    variable: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(ConfigError) as caught:
        load_settings()

    assert f"{variable}={value!r}" in str(caught.value)


def test_every_bad_value_is_reported_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROBUSTAPP_PORT", "abc")
    monkeypatch.setenv("ROBUSTAPP_LOG_LEVEL", "loud")

    with pytest.raises(ConfigError) as caught:
        load_settings()

    assert "ROBUSTAPP_PORT='abc'" in str(caught.value)
    assert "ROBUSTAPP_LOG_LEVEL='loud'" in str(caught.value)


def test_an_env_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / "custom.env"
    env_file.write_text("# mine\nROBUSTAPP_PORT=8765\nROBUSTAPP_LOG_LEVEL=debug\n", encoding="utf-8")
    monkeypatch.setenv("ROBUSTAPP_ENV_FILE", str(env_file))

    settings = load_settings()

    assert settings.port == 8765
    assert settings.log_level is LogLevel.DEBUG


def test_the_environment_wins_over_the_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / "custom.env"
    env_file.write_text("ROBUSTAPP_PORT=8765\n", encoding="utf-8")
    monkeypatch.setenv("ROBUSTAPP_ENV_FILE", str(env_file))
    monkeypatch.setenv("ROBUSTAPP_PORT", "9000")

    assert load_settings().port == 9000


def test_a_bad_value_in_the_env_file_names_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / "custom.env"
    env_file.write_text("ROBUSTAPP_BCRYPT_ROUNDS=many\n", encoding="utf-8")
    monkeypatch.setenv("ROBUSTAPP_ENV_FILE", str(env_file))

    with pytest.raises(ConfigError, match="ROBUSTAPP_BCRYPT_ROUNDS='many'"):
        load_settings()


@pytest.mark.parametrize("raw", ["debug", "Debug", "DEBUG", "dEbUg"])
def test_log_level_is_case_insensitive(raw: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROBUSTAPP_LOG_LEVEL", raw)

    assert load_settings().log_level is LogLevel.DEBUG


def test_env_is_case_insensitive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROBUSTAPP_ENV", "DEV")

    assert load_settings().is_dev


def test_an_empty_home_means_the_platform_directories(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROBUSTAPP_HOME", "")

    settings = load_settings()

    assert settings.home is None
    assert settings.paths.data_dir == Path(platformdirs.user_data_dir("robustapp", appauthor=False))
    assert settings.paths == Paths.for_home(None)


def test_an_empty_secret_key_becomes_a_random_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROBUSTAPP_SECRET_KEY", "")

    first = load_settings().secret_key.get_secret_value()
    second = load_settings().secret_key.get_secret_value()

    assert len(first) >= 32
    assert first != second


def test_overrides_beat_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROBUSTAPP_PORT", "9000")

    assert load_settings(port=9100).port == 9100


def test_settings_are_frozen() -> None:
    settings = load_settings()

    with pytest.raises(ValueError, match="frozen"):
        settings.port = 1  # type: ignore[misc]
