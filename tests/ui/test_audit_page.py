"""The Audit page: the trail newest first, filters that survive a reload, paging, and the chain check."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, date, timedelta
from zoneinfo import ZoneInfo

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block

from robustapp import bootstrap
from robustapp.services.state import Actor, Change
from tests.ui.helpers import block, open_app, title

ADA = Actor(owner="ada", name="ada", session_id="session-ada")
BOB = Actor(owner="ada", name="bob", session_id="session-bob")
LOCAL_ZONE = "America/New_York"


def write_changes() -> None:
    """Six entries: seq 1..6, through the write path the widgets use."""
    state = bootstrap.services().state
    state.save(ADA, [Change("demo", "name", "Ada"), Change("demo", "count", 3)], trace_id="trace-1")  # 1, 2
    state.save(ADA, [Change("settings", "theme", "dark")], trace_id="trace-2")  # 3
    state.save(ADA, [Change("demo", "name", "Ada Lovelace")], trace_id="trace-3")  # 4
    state.save(BOB, [Change("demo", "tags", ["fast", "robust"])], trace_id="trace-4")  # 5
    state.save(ADA, [Change("demo", "count", 4)], trace_id="trace-5")  # 6


def tamper(sql: str) -> None:
    bootstrap.services().db.write(lambda cursor: cursor.execute(sql))


def shown(at: AppTest, column: str = "#") -> list:
    return at.dataframe[0].value[column].tolist()


def summary(at: AppTest) -> str:
    (caption,) = block(at, "audit_summary").caption
    return caption.value


def layout(at: AppTest) -> list[str]:
    """The keyed containers inside the page, in the order they are drawn."""
    page = block(at, "page_audit")
    return [node.key for node in page if isinstance(node, Block) and node is not page and getattr(node, "key", None)]


@pytest.fixture
def local_time_in_new_york() -> Iterator[None]:
    before = os.environ.get("TZ")
    os.environ["TZ"] = LOCAL_ZONE
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


def test_the_audit_page_lists_every_change_newest_first() -> None:
    write_changes()

    at = open_app("audit")

    assert not at.exception
    assert title(at) == "Audit trail"
    assert shown(at) == [6, 5, 4, 3, 2, 1]
    assert summary(at).startswith("6 entries match · newest first · page 1 of 1")
    table = at.dataframe[0].value.set_index("#")
    assert table.loc[4, "old → new"] == '"Ada" → "Ada Lovelace"'
    assert table.loc[5, "old → new"] == '∅ → ["fast", "robust"]'
    assert table.loc[2, "old → new"] == "∅ → 3"
    assert table.loc[5, ["actor", "session", "page/form", "key", "trace id"]].tolist() == [
        "bob", "session-bob", "demo", "tags", "trace-4"
    ]  # fmt: skip


def test_times_are_shown_in_local_time(local_time_in_new_york: None) -> None:
    write_changes()
    (changed_at,) = bootstrap.services().db.query_one("SELECT changed_at FROM audit_log WHERE seq = 1")

    at = open_app("audit")

    expected = changed_at.replace(tzinfo=UTC).astimezone(ZoneInfo(LOCAL_ZONE))
    assert at.dataframe[0].value.set_index("#").loc[1, "time"] == f"{expected:%Y-%m-%d %H:%M:%S}"


def test_filtering_by_key_shows_only_that_key_and_survives_a_reload() -> None:
    write_changes()
    at = open_app("audit")

    at.text_input(key="audit_key").input("name").run()

    assert shown(at) == [4, 1]
    assert summary(at).startswith("2 entries match")
    reloaded = open_app("audit")
    assert reloaded.text_input(key="audit_key").value == "name"
    assert shown(reloaded) == [4, 1]


def test_filtering_by_page_and_actor() -> None:
    write_changes()
    at = open_app("audit")

    at.selectbox(key="audit_scope").select("settings").run()
    assert shown(at) == [3]

    at.selectbox(key="audit_scope").select("demo").run()
    at.selectbox(key="audit_actor").select("bob").run()
    assert shown(at) == [5]


def test_filtering_by_date_range() -> None:
    write_changes()
    at = open_app("audit")
    today = date.today()

    at.date_input(key="audit_since").set_value(today - timedelta(days=1)).run()
    at.date_input(key="audit_until").set_value(today + timedelta(days=1)).run()
    assert shown(at) == [6, 5, 4, 3, 2, 1]  # the filters themselves are kept but not audited

    at.date_input(key="audit_since").set_value(today + timedelta(days=1)).run()
    assert shown(at) == []
    assert summary(at) == "No entries match these filters."


def test_a_long_trail_is_read_a_page_at_a_time() -> None:
    bootstrap.services().state.save(ADA, [Change("bulk", f"k{n}", n) for n in range(250)], trace_id="bulk")
    at = open_app("audit")

    assert shown(at) == list(range(250, 150, -1))
    assert at.button(key="audit_prev").disabled
    at.button(key="audit_next").click().run()
    assert shown(at) == list(range(150, 50, -1))
    assert "page 2 of 3" in summary(at)
    at.button(key="audit_next").click().run()
    assert shown(at) == list(range(50, 0, -1))
    assert at.button(key="audit_next").disabled
    at.button(key="audit_prev").click().run()
    assert shown(at) == list(range(150, 50, -1))


def test_a_page_of_older_entries_stays_put_while_new_ones_arrive() -> None:
    bootstrap.services().state.save(ADA, [Change("bulk", f"k{n}", n) for n in range(150)], trace_id="bulk")
    at = open_app("audit")
    at.button(key="audit_next").click().run()
    assert shown(at) == list(range(50, 0, -1))

    bootstrap.services().state.save(BOB, [Change("bulk", "k0", "new")], trace_id="later")
    at.run()

    assert shown(at) == list(range(50, 0, -1))
    assert summary(at).startswith("151 entries match")


def test_the_verify_button_reports_an_intact_chain_then_the_tampered_entry() -> None:
    write_changes()
    at = open_app("audit")

    at.button(key="audit_verify").click().run()
    assert [success.value for success in at.success][0].startswith("Intact: all 6 entries chain up")
    assert not at.error

    tamper("""UPDATE audit_log SET new_value = '"Mallory"' WHERE seq = 4""")
    tamper("DELETE FROM audit_log WHERE seq = 6")
    at.button(key="audit_verify").click().run()

    assert not at.success
    assert at.error[0].value.startswith("Broken: 2 problem(s) in 5 entries")
    problems = block(at, "audit_verify_result").markdown[0].value.splitlines()
    assert problems == [
        "- entry 4: was edited after it was written (its hash does not match)",
        "- entry 6: is missing: it was removed from the end of the log",
    ]
    assert at.dataframe[0].value.set_index("#").loc[4, "old → new"] == '"Ada" → "Mallory"'


def test_the_layout_is_the_same_whatever_the_results() -> None:
    empty = open_app("audit")
    write_changes()
    filled = open_app("audit")
    filled.button(key="audit_verify").click().run()

    expected = ["audit_verify_panel", "audit_verify_result", "audit_filters", "audit_summary", "audit_pager"]
    assert layout(empty) == layout(filled) == expected
    assert empty.dataframe[0].value.columns.tolist() == filled.dataframe[0].value.columns.tolist()
