"""Conventions the project keeps: every setting documented, every error drawn and explained."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

import robustapp.errors as errors
from robustapp.config import Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
ENV_EXAMPLE = ROOT / ".env.example"
ASSIGNMENT = re.compile(r"^(?P<name>[A-Z][A-Z0-9_]*)=(?P<value>.*)$")


def _documented() -> list[tuple[str, str, str]]:
    """(variable, value, the comment block just above it) for each assignment in .env.example."""
    entries, comments = [], []
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            comments.append(stripped.lstrip("# "))
        elif match := ASSIGNMENT.match(stripped):
            entries.append((match["name"], match["value"], " ".join(comments)))
            comments = []
        elif stripped:
            pytest.fail(f".env.example has a line that is neither a comment nor NAME=value: {line!r}")
        else:
            comments = []
    return entries


def test_env_example_documents_every_setting_and_nothing_else() -> None:
    names = [name for name, _, _ in _documented()]

    assert sorted(names) == sorted(f"ROBUSTAPP_{field.upper()}" for field in Settings.model_fields)
    assert len(names) == len(set(names)), "a variable is listed twice"


def test_every_documented_setting_has_a_comment_above_it() -> None:
    undocumented = [name for name, _, comment in _documented() if not comment]

    assert undocumented == []


def test_the_documented_values_are_valid_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ROBUSTAPP_HOME")
    monkeypatch.setenv("ROBUSTAPP_ENV_FILE", str(ENV_EXAMPLE))

    settings = load_settings()

    assert settings.home is None  # ROBUSTAPP_HOME= (empty) means the platform's directories
    assert settings.port == 0


def _error_classes() -> list[type[errors.AppError]]:
    return [
        obj
        for obj in vars(errors).values()
        if inspect.isclass(obj) and issubclass(obj, errors.AppError) and obj.__module__ == errors.__name__
    ]


def test_every_error_is_drawn_in_the_error_tree_and_says_when_it_is_raised() -> None:
    tree = errors.__doc__ or ""

    for error in _error_classes():
        assert re.search(rf"\b{error.__name__}\b", tree), f"{error.__name__} is missing from the tree"
        assert error.__doc__ and error.__doc__.strip(), f"{error.__name__} has no docstring"
