"""Per-user paths: one home for everything, created on demand, with a clear error when unusable."""

from __future__ import annotations

from pathlib import Path

import pytest

from robustapp.config import Paths, load_settings
from robustapp.errors import ConfigError
from robustapp.services.settings_view import MASK, effective_settings


def test_a_home_holds_every_per_user_directory(tmp_path: Path) -> None:
    paths = Paths.for_home(tmp_path / "home")

    assert paths.data_dir == tmp_path / "home" / "data"
    assert paths.cache_dir == tmp_path / "home" / "cache"
    assert paths.log_dir == tmp_path / "home" / "logs"
    assert paths.backup_dir == tmp_path / "home" / "backups"
    assert paths.db_path == tmp_path / "home" / "data" / "robustapp.duckdb"
    assert paths.log_file.parent == paths.log_dir
    assert paths.temp_dir.parent == paths.cache_dir
    assert paths.result_cache_dir.parent == paths.cache_dir
    assert paths.result_cache_dir not in paths.all_dirs()  # the cache rebuilds it; ensure() must not fail on it


def test_a_home_with_a_tilde_is_expanded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))

    assert Paths.for_home(Path("~/apphome")).data_dir == tmp_path / "apphome" / "data"


def test_the_settings_use_robustapp_home(app_home: Path) -> None:
    assert load_settings().paths == Paths.for_home(app_home)


def test_ensure_creates_every_directory_and_can_be_repeated(tmp_path: Path) -> None:
    paths = Paths.for_home(tmp_path / "home")

    paths.ensure()
    paths.ensure()

    assert all(directory.is_dir() for directory in paths.all_dirs())
    leftovers = [child.name for directory in paths.all_dirs() for child in directory.iterdir() if child.is_file()]
    assert leftovers == []  # the write probes are cleaned up


def test_ensure_on_an_unusable_home_names_the_path(tmp_path: Path) -> None:
    a_file = tmp_path / "afile"
    a_file.write_text("not a folder", encoding="utf-8")
    paths = Paths.for_home(a_file / "sub")  # a directory under a regular file fails even for root

    with pytest.raises(ConfigError) as caught:
        paths.ensure()

    message = str(caught.value)
    assert str(a_file / "sub" / "data") in message
    assert "ROBUSTAPP_HOME" in message
    assert a_file.read_text(encoding="utf-8") == "not a folder"


def test_effective_settings_mask_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROBUSTAPP_SECRET_KEY", "hunter2-very-secret")
    monkeypatch.setenv("ROBUSTAPP_PORT", "8765")

    values = effective_settings(load_settings())

    assert values["ROBUSTAPP_SECRET_KEY"] == MASK
    assert not any("hunter2" in value for value in values.values())
    assert values["ROBUSTAPP_PORT"] == "8765"
    assert values["ROBUSTAPP_LOG_LEVEL"] == "INFO"


def test_effective_settings_list_every_setting_and_show_an_unset_home_as_empty(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ROBUSTAPP_HOME", "")

    values = effective_settings(load_settings())

    assert values["ROBUSTAPP_HOME"] == ""
    assert set(values) == {f"ROBUSTAPP_{name.upper()}" for name in type(load_settings()).model_fields}
