"""The effective settings as text, with secrets masked (for `robustapp config` and Settings)."""

from __future__ import annotations

from pydantic import SecretStr

from robustapp.config import ENV_PREFIX, Settings

MASK = "********"


def effective_settings(settings: Settings) -> dict[str, str]:
    values: dict[str, str] = {}
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            text = MASK
        elif value is None:
            text = ""
        else:
            text = str(value.value if hasattr(value, "value") else value)
        values[f"{ENV_PREFIX}{name.upper()}"] = text
    return values
