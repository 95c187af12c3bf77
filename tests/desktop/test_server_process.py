"""The server child on its own (no window): settings reach it, start failures explain themselves."""

from __future__ import annotations

import pytest

from robustapp.config import load_settings
from robustapp.desktop.server_process import ServerProcess, settings_env
from robustapp.errors import ServerStartError


def test_the_launchers_settings_reach_the_server_child(monkeypatch: pytest.MonkeyPatch) -> None:
    launcher_settings = load_settings(port=8765, debug=True, host="localhost")
    for name, value in settings_env(launcher_settings).items():
        monkeypatch.setenv(name, value)
    child_settings = load_settings()
    assert child_settings.model_dump(exclude={"secret_key"}) == launcher_settings.model_dump(exclude={"secret_key"})


def test_a_server_that_cannot_start_names_the_reason_and_the_log_file() -> None:
    settings = load_settings()
    paths = settings.paths.ensure()
    paths.db_path.write_bytes(b"this is not a database")
    server = ServerProcess(settings, "desktop")
    server.start()
    try:
        with pytest.raises(ServerStartError) as failure:
            server.wait_ready()
    finally:
        server.stop()
    message = str(failure.value)
    assert "DatabaseOpenError" in message
    assert str(paths.log_file) in message
    assert paths.db_path.read_bytes() == b"this is not a database"
