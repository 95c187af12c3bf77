"""User text inside Markdown: shown as it was typed, never as formatting."""

from __future__ import annotations

import re

_ACTIVE = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~$:])")  # Markdown, and Streamlit's :icon: / :color[…] / $math$


def plain(text: str) -> str:
    """`text` with every character Markdown would act on escaped (a name like `*x* :red[y]` shows as typed)."""
    return _ACTIVE.sub(r"\\\1", text)
