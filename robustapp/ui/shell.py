"""The app's one stable layout: sidebar navigation, a notice slot, the page in its own container.

    sidebar          │ notice_slot  notices, a failed callback's panel; always drawn, so what
      nav_home       │              appears in it never moves or re-creates the page's widgets
      nav_demo       │ page_<slug>  the routed page, inside its error boundary; one key per page, so a
                     │              page switch replaces the old page's elements instead of moving them
      nav_settings   │
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import streamlit as st
import structlog

from robustapp import __version__, bootstrap
from robustapp.logs import trace_context
from robustapp.resources import asset
from robustapp.services import activity
from robustapp.services.restore import Outcome, take_outcome
from robustapp.ui.errors import error_boundary, guarded, show_failed_callback
from robustapp.ui.job_status import job_status
from robustapp.services.state import Change, Conflict
from robustapp.ui import session as sessions
from robustapp.ui.router import ROUTE_KEY, ROUTE_SCOPE, Page, Router, navigate
from robustapp.ui.widgets import widget_scope
from robustapp.ui.views import PAGES, PageContext

if TYPE_CHECKING:
    from robustapp.bootstrap import Services

_ICON = asset("icon.png")
_OUTCOME = "restore_outcome"  # this session's restore outcome to show (None: none, or dismissed)


def main(pages: Sequence[Page] = PAGES) -> None:
    """Draw one run of the app."""
    st.set_page_config(
        page_title="robustapp",
        page_icon=str(_ICON) if _ICON else None,
        layout="wide",
        initial_sidebar_state="expanded",
    )
    services = bootstrap.services()
    router = Router(pages)
    with trace_context() as trace_id:
        sessions.begin_run(services, trace_id)  # commit what this run's callbacks changed, first
        stored_route = sessions.stored(services, ROUTE_SCOPE, ROUTE_KEY)
        route = router.resolve(stored_route.value if stored_route else None)
        if stored_route is None or stored_route.value != route.as_stored():
            sessions.remember(services, trace_id, Change(ROUTE_SCOPE, ROUTE_KEY, route.as_stored(), audited=False))
        structlog.contextvars.bind_contextvars(page=route.page.slug)
        _sidebar(router, route.page.slug)
        debug = services.settings.debug
        with st.container(key="notice_slot"):  # always drawn: a notice never shifts the page's elements
            if route.notice:
                st.info(route.notice, icon=":material/info:")
            _restore_outcome(services)
            for conflict in sessions.take_conflicts():
                st.warning(_describe(conflict), icon=":material/sync_problem:")
            show_failed_callback(show_details=debug)
        with st.container(key=f"page_{route.page.slug}"), widget_scope(route.page.slug):
            with error_boundary(route.page.slug, trace_id, show_details=debug):
                route.page.render(PageContext(services=services, params=route.args))
    activity.record_script_run(route.page.slug)


def _restore_outcome(services: Services) -> None:
    """What the restore that restarted the app did: told in the first session after it, until dismissed."""
    if _OUTCOME not in st.session_state:
        st.session_state[_OUTCOME] = take_outcome(services.paths)
    outcome: Outcome | None = st.session_state[_OUTCOME]
    if outcome is None:
        return
    with st.container(key="restore_outcome", horizontal=True, vertical_alignment="center"):
        if outcome.ok:
            st.success(outcome.message, icon=":material/settings_backup_restore:", width="stretch")
        else:
            st.error(outcome.message, icon=":material/error:", width="stretch")
        st.button("Dismiss", key="restore_outcome_dismiss", on_click=st.session_state.__setitem__,
                  args=(_OUTCOME, None))  # fmt: skip


def _describe(conflict: Conflict) -> str:
    return (
        f"Another window had changed **{conflict.key}** ({conflict.scope}) to `{conflict.theirs!r}`; "
        f"your value `{conflict.yours!r}` replaced it. Both are in the audit trail."
    )


def _sidebar(router: Router, current: str) -> None:
    with st.sidebar:
        st.markdown("### robustapp")
        for page in router.pages.values():
            st.button(
                page.title,
                key=f"nav_{page.slug}",
                icon=page.icon,
                type="primary" if page.slug == current else "tertiary",
                width="stretch",
                on_click=guarded(navigate),
                args=(page.slug,),
            )
        job_status()
        st.caption(f"v{__version__}")
