"""The router: one stable layout, sidebar navigation, the route mirrored in the URL."""

from __future__ import annotations

from pathlib import Path

from robustapp.ui.views import PAGES
from tests.ui.helpers import APP_SCRIPT, open_app, open_script, title


def _app_with_an_item_page() -> None:
    import streamlit as st

    from robustapp.ui.errors import guarded
    from robustapp.ui.router import Page, navigate
    from robustapp.ui.shell import main
    from robustapp.ui.views import PAGES

    def item(ctx):
        st.title(f"Item {ctx.params.get('id', '?')}")
        st.text_input("Note", key="item_note")
        to_settings = ("settings", {"tab": "paths"})
        st.button("Settings (callback)", key="to_settings_cb", on_click=guarded(navigate), args=to_settings)
        if st.button("Settings (page code)", key="to_settings_body"):
            navigate("settings", {"tab": "paths"})

    main([*PAGES, Page("item", "Item", ":material/tag:", item)])


def _app_with_a_page_that_declares_its_params() -> None:
    import streamlit as st
    from pydantic import BaseModel, Field

    from robustapp.ui.router import Page
    from robustapp.ui.shell import main
    from robustapp.ui.views import PAGES

    class ReportParams(BaseModel):
        year: int = Field(ge=2000, le=2100)
        region: str = "all"

    def report(ctx):
        params: ReportParams = ctx.params
        st.title(f"Report {params.year} ({params.region}, {type(params.year).__name__})")

    main([*PAGES, Page("report", "Report", ":material/table:", report, params=ReportParams)])


def test_home_is_the_default_page() -> None:
    at = open_app()
    assert not at.exception
    assert title(at) == "robustapp"
    assert [metric.label for metric in at.metric] == ["Datasets", "Rows in datasets", "Database size"]
    assert at.metric[0].value == "0"
    assert [button.key for button in at.sidebar.button] == [
        "nav_home", "nav_datasets", "nav_browse", "nav_profile", "nav_analyse", "nav_sql", "nav_demo", "nav_jobs",
        "nav_settings", "nav_audit",
    ]  # fmt: skip
    assert not at.info


def test_sidebar_buttons_switch_pages_and_the_url_follows() -> None:
    at = open_app()
    for key, expected_title, page in [
        ("nav_datasets", "Datasets", "datasets"),
        ("nav_browse", "Browse", "browse"),
        ("nav_demo", "Demo", "demo"),
        ("nav_jobs", "Jobs", "jobs"),
        ("nav_settings", "Settings", "settings"),
        ("nav_audit", "Audit trail", "audit"),
        ("nav_home", "robustapp", "home"),
    ]:
        at.button(key=key).click().run()
        assert not at.exception
        assert title(at) == expected_title
        assert at.query_params == {"page": page}


def test_the_current_page_is_marked_in_the_sidebar() -> None:
    at = open_app("demo")
    assert {button.key: button.proto.type for button in at.sidebar.button} == {
        f"nav_{page.slug}": "primary" if page.slug == "demo" else "tertiary" for page in PAGES
    }


def test_a_deep_link_lands_on_its_page() -> None:
    at = open_app("settings")
    assert title(at) == "Settings"
    assert at.query_params == {"page": "settings"}


def test_an_unknown_page_shows_home_with_a_notice_naming_it() -> None:
    at = open_app("reports")
    assert title(at) == "robustapp"
    assert len(at.info) == 1
    assert "'reports'" in at.info[0].value
    assert at.query_params == {"page": "home"}
    at.button(key="nav_demo").click().run()
    assert title(at) == "Demo"
    assert not at.info


def test_the_home_button_opens_the_demo_in_one_click() -> None:
    at = open_app()
    at.button(key="home_try_demo").click().run()
    assert title(at) == "Demo"
    assert at.query_params == {"page": "demo"}


def test_route_params_stay_in_the_url_while_the_user_works_on_the_page() -> None:
    at = open_app("demo", item="3")
    at.text_input(key="demo_name").input("Ada").run()
    at.slider(key="demo_level").set_value(70).run()
    assert title(at) == "Demo"
    assert at.query_params == {"page": "demo", "item": "3"}


def test_a_page_gets_its_params_from_the_url_and_keeps_them() -> None:
    at = open_script(_app_with_an_item_page, page="item")
    assert title(at) == "Item ?"
    at.query_params["id"] = "42"
    at.run()
    at.text_input(key="item_note").input("checked").run()
    assert title(at) == "Item 42"
    assert at.query_params == {"page": "item", "id": "42"}


def test_a_page_that_declares_its_params_gets_them_validated_and_typed() -> None:
    at = open_script(_app_with_a_page_that_declares_its_params, page="report", year="2024")
    assert not at.exception
    assert title(at) == "Report 2024 (all, int)"
    assert not at.info
    assert at.query_params == {"page": "report", "year": "2024"}


def test_bad_params_show_home_with_a_notice_naming_the_param_and_the_value() -> None:
    at = open_script(_app_with_a_page_that_declares_its_params, page="report", year="1850")
    assert not at.exception
    assert title(at) == "robustapp"
    assert len(at.info) == 1
    notice = at.info[0].value
    assert "Report" in notice and "year='1850'" in notice and "2000" in notice
    assert at.query_params == {"page": "home"}


def test_a_missing_required_param_is_named_in_the_notice() -> None:
    at = open_script(_app_with_a_page_that_declares_its_params, page="report", region="north")
    assert title(at) == "robustapp"
    assert "year" in at.info[0].value and "required" in at.info[0].value
    at.button(key="nav_demo").click().run()
    assert title(at) == "Demo"
    assert not at.info


def test_navigate_from_a_callback_shows_the_page_and_its_params_in_one_click() -> None:
    at = open_script(_app_with_an_item_page, page="item")
    at.button(key="to_settings_cb").click().run()
    assert not at.exception
    assert title(at) == "Settings"
    assert at.query_params == {"page": "settings", "tab": "paths"}
    at.run()
    assert at.query_params == {"page": "settings", "tab": "paths"}


def test_navigate_from_page_code_shows_the_page_in_one_click() -> None:
    at = open_script(_app_with_an_item_page, page="item")
    at.button(key="to_settings_body").click().run()
    assert not at.exception
    assert title(at) == "Settings"
    assert at.query_params == {"page": "settings", "tab": "paths"}


def test_no_pages_folder_sits_beside_the_app_script() -> None:
    """A `pages/` folder there switches Streamlit into its own multipage mode, where a URL path
    such as `/settings` runs that module as a script: a blank page outside the router."""
    assert not (Path(APP_SCRIPT).parent / "pages").exists()
