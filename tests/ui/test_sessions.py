"""Two windows on the same store: no crash, the newer value shows on the next rerun, a stale edit is flagged.

The policy (robustapp.services.state): the last action wins, and a session whose edit replaced
a value it had not seen is told so in the notice slot; both values stay in the audit trail.
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from robustapp import bootstrap
from robustapp.services import audit
from robustapp.storage.audit_log import AuditFilter
from tests.ui.helpers import block, open_app


def _windows() -> tuple[AppTest, AppTest]:
    return open_app("demo"), open_app("demo")


def _names_in_the_audit_trail() -> list[tuple[str | None, str | None]]:
    entries = audit.read(bootstrap.services().db, AuditFilter(scope="demo", key="name"))
    return [(e.old_value, e.new_value) for e in entries]


def _notices(at: AppTest) -> list[str]:
    return [warning.value for warning in block(at, "notice_slot").warning]


def _type_name(at: AppTest, name: str) -> AppTest:
    at.text_input(key="demo_name").input(name).run()
    assert not at.exception, at.exception
    return at


def test_two_sessions_editing_the_same_key_raise_nothing() -> None:
    first, second = _windows()
    for turn in range(3):
        _type_name(first, f"first {turn}")
        _type_name(second, f"second {turn}")
    assert not first.exception and not second.exception


def test_the_other_session_shows_the_newer_values_on_its_next_rerun() -> None:
    first, second = _windows()
    _type_name(first, "Ada")
    first.slider(key="demo_level").set_value(80)
    first.multiselect(key="demo_tags").set_value(["offline"])
    first.run()
    second.run()
    assert second.text_input(key="demo_name").value == "Ada"
    assert second.slider(key="demo_level").value == 80
    assert second.multiselect(key="demo_tags").value == ["offline"]
    assert _notices(second) == []


def test_a_session_that_left_the_page_sees_the_newer_value_when_it_comes_back() -> None:
    first, second = _windows()
    second.button(key="nav_home").click().run()
    _type_name(first, "Ada")
    second.button(key="nav_demo").click().run()
    assert second.text_input(key="demo_name").value == "Ada"


def test_a_stale_edit_is_applied_and_flagged_naming_the_key_and_the_overwritten_value() -> None:
    first, second = _windows()
    _type_name(first, "Alice")
    _type_name(second, "Bob")  # second never reran after Alice was saved: its edit is stale
    (notice,) = _notices(second)
    assert "**name**" in notice and "'Alice'" in notice and "'Bob'" in notice
    assert second.text_input(key="demo_name").value == "Bob"
    first.run()
    assert first.text_input(key="demo_name").value == "Bob"  # the last action wins …
    assert _notices(first) == []


def test_a_stale_edit_loses_nothing_both_values_are_in_the_audit_trail() -> None:
    first, second = _windows()
    _type_name(first, "Alice")
    _type_name(second, "Bob")
    assert _names_in_the_audit_trail() == [('""', '"Alice"'), ('"Alice"', '"Bob"')]
    assert audit.verify(bootstrap.services().db).ok


def test_the_flag_is_shown_once() -> None:
    first, second = _windows()
    _type_name(first, "Alice")
    _type_name(second, "Bob")
    second.run()
    assert _notices(second) == []


def test_an_edit_after_seeing_the_newer_value_is_not_flagged() -> None:
    first, second = _windows()
    _type_name(first, "Alice")
    second.run()
    _type_name(second, "Bob")
    assert _notices(second) == []


def test_a_stale_edit_equal_to_the_newer_value_writes_nothing_and_flags_nothing() -> None:
    first, second = _windows()
    _type_name(first, "Ada")
    _type_name(second, "Ada")
    assert _notices(second) == []
    assert _names_in_the_audit_trail() == [('""', '"Ada"')]


def test_a_newer_value_from_another_session_replaces_a_rejected_one_and_its_message() -> None:
    first, second = _windows()
    first.text_input(key="demo_code").input("abc").run()
    assert "three capital letters" in _code_message(first)
    second.text_input(key="demo_code").input("XYZ").run()
    first.run()
    assert first.text_input(key="demo_code").value == "XYZ"
    assert "three capital letters" not in _code_message(first)


def _code_message(at) -> str:
    """The reserved message line under the Code field, as text."""
    return " ".join(md.value for md in at.markdown if "robustapp-field-message" in md.value)


def test_windows_taking_turns_without_rerunning_lose_no_write() -> None:
    """Each window edits what it drew before the others' edits: every edit is stale, none is lost.

    (AppTest sessions cannot run at the same time: they share Streamlit's Runtime singleton.
    Truly concurrent saves are covered in tests/integration/test_state.py.)
    """
    windows, rounds = [open_app("demo") for _ in range(3)], 3
    for turn in range(rounds):
        for number, at in enumerate(windows):
            _type_name(at, f"window {number} turn {turn}")
            if turn or number:
                assert len(_notices(at)) == 1  # it replaced a value it had not seen, and is told so
    trail = _names_in_the_audit_trail()
    assert [new for _, new in trail] == [
        f'"window {number} turn {turn}"' for turn in range(rounds) for number in range(len(windows))
    ]
    assert [old for old, _ in trail] == ['""'] + [new for _, new in trail[:-1]]  # an unbroken history
    for at in windows:
        at.run()
        assert at.text_input(key="demo_name").value == f"window {len(windows) - 1} turn {rounds - 1}"
