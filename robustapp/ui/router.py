"""Pages and the router: which page shows, with which params, mirrored in the URL.

    URL ?page=demo&item=3  ── Router.resolve() ──▶  Route(Demo, params={"item": "3"})
    navigate("demo", {"item": "3"})  ──▶  the URL follows and the app reruns on that page

The URL carries the route, so a reload or a deep link lands on the same page with the same
params. A page may declare its params as a pydantic model (`Page(..., params=ItemParams)`); the
page then gets the validated model. An unknown page, or params its model rejects, fall back to
Home with a notice naming what was wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

import streamlit as st
from pydantic import BaseModel, ValidationError

HOME = "home"
ROUTE_SCOPE = "router"
ROUTE_KEY = "route"
PAGE_PARAM = "page"


@dataclass(frozen=True)
class Page:
    slug: str
    title: str
    icon: str
    render: Callable[..., None]
    params: type[BaseModel] | None = None  # None: the page takes the URL's params as they are


@dataclass(frozen=True)
class Route:
    """The page to draw, its params, and a notice for the user (e.g. an unknown page)."""

    page: Page
    params: dict[str, str] = field(default_factory=dict)
    notice: str | None = None
    args: Any = field(default_factory=dict)  # what the page gets: its params model, validated, or the dict

    def as_stored(self) -> dict[str, object]:
        """The route as it is kept in the store, so a new window opens where the user was."""
        return {"page": self.page.slug, "params": self.params}


class Router:
    """Holds the registered pages and resolves the URL into a route."""

    def __init__(self, pages: Sequence[Page]) -> None:
        self.pages: dict[str, Page] = {page.slug: page for page in pages}
        if HOME not in self.pages:
            raise ValueError(f"the router needs a {HOME!r} page; got {sorted(self.pages)}")

    def resolve(self, stored_route: Mapping[str, object] | None = None) -> Route:
        """The route in the URL; a URL without one (a new window) gets the stored route."""
        params = st.query_params.to_dict()
        if PAGE_PARAM not in params and stored_route:
            params = {PAGE_PARAM: str(stored_route.get("page", HOME)), **_as_params(stored_route.get("params"))}
            st.query_params.from_dict(params)
        slug = params.pop(PAGE_PARAM, HOME)
        page = self.pages.get(slug)
        if page is None:
            return self._home(f"There is no page called {slug!r}; showing Home instead.")
        if page.params is None:
            return Route(page, params, args=params)
        try:
            return Route(page, params, args=page.params.model_validate(params))
        except ValidationError as exc:
            return self._home(f"The link to {page.title} has {_describe(exc)}; showing Home instead.")

    def _home(self, notice: str) -> Route:
        st.query_params.from_dict({PAGE_PARAM: HOME})  # the URL names the page that is shown
        return Route(self.pages[HOME], notice=notice)


def navigate(page: str, params: Mapping[str, str] | None = None) -> NoReturn:
    """Show `page` with `params`, mirrored in the URL.

    Like `st.switch_page`, it ends the current callback or script run: from a callback or
    from page code, the very next run draws the new page (one click, never two).
    """
    params = dict(params or {})
    if PAGE_PARAM in params:
        raise ValueError(f"params may not contain {PAGE_PARAM!r}; pass the page as the first argument")
    st.query_params.from_dict({PAGE_PARAM: page, **params})
    st.rerun()


def _describe(exc: ValidationError) -> str:
    """`ValidationError` as one line a user can act on: which param, what it was, what is wrong."""
    problems = []
    for error in exc.errors():
        name = ".".join(str(part) for part in error["loc"]) or "the params"
        given = f"={error['input']!r}" if error["type"] != "missing" else ""
        problems.append(f"{name}{given}: {error['msg'][:1].lower()}{error['msg'][1:]}")
    return ("a bad parameter: " if len(problems) == 1 else "bad parameters: ") + "; ".join(problems)


def _as_params(value: object) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}
