"""The registered pages, in sidebar order."""

from __future__ import annotations

from dataclasses import dataclass, field

from robustapp.bootstrap import Services
from robustapp.ui.router import Page


@dataclass(frozen=True)
class PageContext:
    """What a page gets: the services and the route's params."""

    services: Services
    params: dict[str, str] = field(default_factory=dict)


def _pages() -> list[Page]:
    from robustapp.ui.pages import demo, home, settings

    return [
        Page("home", "Home", ":material/home:", home.render),
        Page("demo", "Demo", ":material/science:", demo.render),
        Page("settings", "Settings", ":material/settings:", settings.render),
    ]


PAGES = _pages()
