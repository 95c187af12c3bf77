"""The app's one stable layout: sidebar navigation, a notice slot, the page in its own container."""

from __future__ import annotations

import streamlit as st

from robustapp import __version__, bootstrap
from robustapp.logs import trace_context
from robustapp.services import activity
from robustapp.resources import asset
from robustapp.ui.errors import error_boundary
from robustapp.ui.pages import PAGES, PageContext
from robustapp.ui.router import Router, navigate, pop_notice


def main() -> None:
    icon = asset("icon.png")
    st.set_page_config(
        page_title="robustapp",
        page_icon=str(icon) if icon else None,
        layout="wide",
        initial_sidebar_state="expanded",
    )
    services = bootstrap.services()
    router = Router(PAGES)
    page, params = router.current()
    with trace_context(page=page.slug) as trace_id:
        _sidebar(router, page.slug)
        notice_slot = st.container(key="notice_slot")
        notice = pop_notice()
        if notice:
            notice_slot.info(notice, icon=":material/info:")
        with st.container(key="page_main"):
            with error_boundary(page.slug, trace_id, show_details=services.settings.debug):
                page.render(PageContext(services=services, params=params))
    activity.record_script_run(page.slug)


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
                on_click=navigate,
                args=(page.slug,),
            )
        st.caption(f"v{__version__}")
