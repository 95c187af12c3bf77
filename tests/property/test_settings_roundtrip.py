"""Settings read back exactly what was written, and reject exactly what is out of range."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from robustapp.config import load_settings
from robustapp.errors import ConfigError
from robustapp.services.settings_view import MASK, effective_settings

QUICK = settings(max_examples=50, deadline=None, database=None)


@QUICK
@given(port=st.integers(min_value=0, max_value=65535))
def test_every_valid_port_round_trips(port: int) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ROBUSTAPP_PORT", str(port))
        assert load_settings().port == port


@QUICK
@given(port=st.one_of(st.integers(max_value=-1), st.integers(min_value=65536)))
def test_every_port_out_of_range_is_refused_by_name(port: int) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ROBUSTAPP_PORT", str(port))
        with pytest.raises(ConfigError, match=f"ROBUSTAPP_PORT='{port}'"):
            load_settings()


@QUICK
@given(
    port=st.integers(min_value=0, max_value=65535),
    debug=st.booleans(),
    level=st.sampled_from(["debug", "INFO", "Warning", "error"]),
    cache_ttl=st.integers(min_value=0, max_value=10**9),
    idle=st.floats(min_value=0.001, max_value=1e6, allow_nan=False),
)
def test_the_printed_configuration_reads_back_as_the_same_settings(
    port: int, debug: bool, level: str, cache_ttl: int, idle: float
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ROBUSTAPP_PORT", str(port))
        patch.setenv("ROBUSTAPP_DEBUG", str(debug).lower())
        patch.setenv("ROBUSTAPP_LOG_LEVEL", level)
        patch.setenv("ROBUSTAPP_CACHE_TTL", str(cache_ttl))
        patch.setenv("ROBUSTAPP_CHECKPOINT_IDLE_SECONDS", repr(idle))
        first = load_settings()
        printed = effective_settings(first)

        for name, value in printed.items():
            if value != MASK:
                patch.setenv(name, value)
        second = load_settings()

    assert os.environ.get("ROBUSTAPP_PORT") is None  # the context restored the environment
    assert second.model_dump(exclude={"secret_key"}) == first.model_dump(exclude={"secret_key"})
