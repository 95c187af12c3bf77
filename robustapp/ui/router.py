"""Pages and the router: which page shows, with which params, mirrored in the URL.

`navigate(page, params)` is safe in callbacks and in page code. The URL's query params
(`?page=settings&…`) carry the route, so a reload or a deep link lands on the same page.
An unknown page falls back to Home with a notice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import streamlit as st

HOME = "home"
_NOTICE_KEY = "_router_notice"


@dataclass(frozen=True)
class Page:
    slug: str
    title: str
    icon: str
    render: Callable[..., None]


class Router:
    """Holds the registered pages and resolves the current route."""

    def __init__(self, pages: list[Page]) -> None:
        self.pages: dict[str, Page] = {page.slug: page for page in pages}

    def current(self) -> tuple[Page, dict[str, str]]:
        params = st.query_params.to_dict()
        slug = params.pop("page", HOME)
        page = self.pages.get(slug)
        if page is None:
            st.session_state[_NOTICE_KEY] = f"There is no page called {slug!r}; showing Home instead."
            navigate(HOME)
            page = self.pages[HOME]
            params = {}
        return page, params


def navigate(page: str, params: Mapping[str, str] | None = None) -> None:
    """Switch to `page` with `params`; the URL follows."""
    st.query_params.from_dict({"page": page, **(params or {})})


def pop_notice() -> str | None:
    return st.session_state.pop(_NOTICE_KEY, None)
