"""Never lose an input: every widget type on the Demo page, set in Chromium as a user does, survives
a reload, a page switch, a second window, and `kill -9` of the server followed by a restart.

    own server (home H) ── set 12 widgets, each acknowledged by the echo ── bad Code: message, unsaved
        reload ─────────────── every value, the last good Code, no message
        bad Code, Settings → Demo ── every value, the last good Code, no message
        new window (printed URL, no ?page) ── lands on Demo, every value
    a new name, then at once kill -9; a new server on H ── its printed URL: Demo, every value

"Acknowledged" means the echo under the widgets shows the value: the run that draws it has
committed the change to DuckDB first (ui/session.py), so what the user saw accepted is durable.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.e2e.harness import UI_TIMEOUT_MS, AppProcess, Server, key, wait_for_app

pytestmark = pytest.mark.e2e


@dataclasses.dataclass(frozen=True)
class DemoValues:
    """What the Demo page's controlled widgets hold (the defaults: a fresh data home)."""

    name: str = ""
    code: str = ""
    count: int = 3
    level: int = 50
    colour: str = "red"
    tags: tuple[str, ...] = ("robust",)
    size: str = "S"
    agree: bool = False
    toggle: bool = False
    day: dt.date = dt.date(2026, 1, 1)
    time: dt.time = dt.time(9, 30)
    notes: str = ""

    def caption(self) -> str:
        """The echo's caption line for these values (robustapp/ui/views/demo.py)."""
        return (
            f"{self.count} × level {self.level} · {self.colour} · {', '.join(self.tags) or 'no tags'} · "
            f"size {self.size} · {'likes it' if self.agree else 'undecided'} · "
            f"{'night' if self.toggle else 'day'} · {self.day:%Y-%m-%d} {self.time:%H:%M} · "
            f"code {self.code or '—'} · {len(self.notes)} characters of notes"
        )


def _widget(page: Page, name: str) -> Locator:
    return page.locator(key(f"demo_{name}"))


def _code_message(page: Page) -> Locator:
    """The red message drawn beside (right under) the Code field when its value is rejected."""
    return page.locator(f"{key('demo_code')} + [data-testid=stElementContainer] .robustapp-field-message").get_by_text(
        "three capital letters"
    )


def _acknowledged(page: Page, values: DemoValues) -> DemoValues:
    """Wait until the echo shows `values` (the run that drew it committed them), then for the run to end."""
    echo = _widget(page, "echo")
    expect(echo.get_by_test_id("stCaptionContainer")).to_have_text(values.caption())
    expect(echo).to_contain_text(f"Hello, {values.name or 'stranger'}!")
    wait_for_app(page)
    return values


def _tab_out(page: Page, widget: Locator) -> None:
    """Press Tab until the focus has left `widget` (date and time fields commit when they lose focus)."""
    for _ in range(4):
        if not widget.evaluate("element => element.contains(document.activeElement)"):
            return
        page.keyboard.press("Tab")
    raise AssertionError("Tab did not move the focus out of the widget")


def _type_segments(page: Page, widget: Locator, digits: dict[str, str]) -> None:
    """Type into a date/time field's segments (year, month, day / hour, minute), then leave the field."""
    for segment, text in digits.items():
        widget.get_by_role("spinbutton", name=re.compile(rf"^{segment},")).click()
        page.keyboard.type(text)
    _tab_out(page, widget)


def _set_every_widget(page: Page) -> DemoValues:
    """Give each widget a new value the way a user does; wait for each to be acknowledged."""
    v = DemoValues()
    _acknowledged(page, v)  # a fresh home: the defaults

    name = _widget(page, "name").get_by_role("textbox")
    name.click()
    page.keyboard.type("Ada Lovelace")
    page.keyboard.press("Enter")
    v = _acknowledged(page, dataclasses.replace(v, name="Ada Lovelace"))

    _widget(page, "code").get_by_role("textbox").click()
    page.keyboard.type("XYZ")
    page.keyboard.press("Tab")  # a text input also commits when it loses focus
    v = _acknowledged(page, dataclasses.replace(v, code="XYZ"))

    count = _widget(page, "count")
    count.get_by_role("spinbutton").click()
    page.keyboard.press("Control+A")
    page.keyboard.type("41")
    page.keyboard.press("Enter")
    v = _acknowledged(page, dataclasses.replace(v, count=41))
    count.get_by_role("button", name="Increment").click()  # the "+"
    v = _acknowledged(page, dataclasses.replace(v, count=42))

    level = _widget(page, "level")
    thumb = level.get_by_test_id("stSliderThumbValue").locator("..").bounding_box()
    track = level.get_by_test_id("stSliderTickBar").bounding_box()
    assert thumb and track
    page.mouse.move(thumb["x"] + thumb["width"] / 2, thumb["y"] + thumb["height"] / 2)
    page.mouse.down()
    page.mouse.move(track["x"] + track["width"] + 40, thumb["y"] + thumb["height"] / 2, steps=8)  # past the end
    page.mouse.up()
    v = _acknowledged(page, dataclasses.replace(v, level=100))
    level.get_by_role("slider").focus()
    for _ in range(3):
        page.keyboard.press("ArrowLeft")
    v = _acknowledged(page, dataclasses.replace(v, level=97))

    _widget(page, "colour").get_by_role("combobox").click()
    page.get_by_role("listbox").get_by_role("option", name="blue", exact=True).click()
    v = _acknowledged(page, dataclasses.replace(v, colour="blue"))

    tags = _widget(page, "tags")
    tags.get_by_role("combobox").click()
    page.get_by_role("listbox").get_by_role("option", name="fast", exact=True).click()
    v = _acknowledged(page, dataclasses.replace(v, tags=("robust", "fast")))
    page.get_by_role("listbox").get_by_role("option", name="offline", exact=True).click()
    v = _acknowledged(page, dataclasses.replace(v, tags=("robust", "fast", "offline")))
    page.keyboard.press("Escape")
    tags.get_by_role("button", name="Remove robust").click()
    v = _acknowledged(page, dataclasses.replace(v, tags=("fast", "offline")))

    _widget(page, "size").get_by_text("L", exact=True).click()
    v = _acknowledged(page, dataclasses.replace(v, size="L"))

    _widget(page, "agree").get_by_text("I like it").click()
    v = _acknowledged(page, dataclasses.replace(v, agree=True))

    _widget(page, "toggle").get_by_text("Night mode").click()
    v = _acknowledged(page, dataclasses.replace(v, toggle=True))

    _type_segments(page, _widget(page, "day"), {"year": "2027", "month": "03", "day": "15"})
    v = _acknowledged(page, dataclasses.replace(v, day=dt.date(2027, 3, 15)))

    _type_segments(page, _widget(page, "time"), {"hour": "14", "minute": "45"})
    v = _acknowledged(page, dataclasses.replace(v, time=dt.time(14, 45)))

    _widget(page, "notes").get_by_role("textbox").click()
    page.keyboard.type("first line")
    page.keyboard.press("Enter")
    page.keyboard.type("second line")
    page.keyboard.press("Tab")  # a text area commits when it loses focus
    return _acknowledged(page, dataclasses.replace(v, notes="first line\nsecond line"))


def _expect_shown(page: Page, v: DemoValues) -> None:
    """Every widget shows its value (read from the widget itself, not only from the echo)."""
    expect(page).to_have_url(re.compile(r"\?page=demo$"))
    _acknowledged(page, v)
    expect(_widget(page, "name").get_by_role("textbox")).to_have_value(v.name)
    expect(_widget(page, "code").get_by_role("textbox")).to_have_value(v.code)
    expect(_code_message(page)).to_have_count(0)
    expect(_widget(page, "count").get_by_role("spinbutton")).to_have_value(str(v.count))
    expect(_widget(page, "level").get_by_role("slider")).to_have_value(str(v.level))
    expect(_widget(page, "level").get_by_test_id("stSliderThumbValue")).to_have_text(str(v.level))
    expect(_widget(page, "colour").get_by_role("combobox")).to_have_value(v.colour)
    expect(_widget(page, "tags").locator("[data-tag]")).to_have_text(list(v.tags))
    for option in ("S", "M", "L"):
        expect(_widget(page, "size").get_by_role("radio", name=option, exact=True)).to_be_checked(
            checked=option == v.size
        )
    expect(_widget(page, "agree").get_by_role("checkbox", name="I like it")).to_be_checked(checked=v.agree)
    expect(_widget(page, "toggle").get_by_role("switch", name="Night mode")).to_be_checked(checked=v.toggle)
    day = _widget(page, "day")
    for segment, shown in (("year", f"{v.day:%Y}"), ("month", f"{v.day:%m}"), ("day", f"{v.day:%d}")):
        expect(day.get_by_role("spinbutton", name=re.compile(rf"^{segment},"))).to_have_text(shown)
    time = _widget(page, "time")
    for segment, shown in (("hour", f"{v.time:%H}"), ("minute", f"{v.time:%M}")):
        expect(time.get_by_role("spinbutton", name=re.compile(rf"^{segment},"))).to_have_text(shown)
    expect(_widget(page, "notes").get_by_role("textbox")).to_have_value(v.notes)


def _enter_bad_code(page: Page, text: str) -> None:
    """Type a Code that breaks its rule (three capital letters) and press Enter: the message shows."""
    _widget(page, "code").get_by_role("textbox").click()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    expect(_code_message(page)).to_be_visible()
    wait_for_app(page)


def _open(page: Page, url: str) -> Page:
    page.goto(url)
    wait_for_app(page)
    return page


@pytest.fixture
def apps() -> Iterator[list[AppProcess]]:
    """The servers this test starts; whatever happens, none is left running."""
    started: list[AppProcess] = []
    yield started
    for app in started:
        app.close()


@pytest.fixture
def new_window(browser: Browser) -> Iterator[Callable[[], Page]]:
    """Opens a page in a new browser context (no cookie: a new window); all are closed at the end."""
    contexts: list[BrowserContext] = []

    def open_window() -> Page:
        contexts.append(browser.new_context(viewport={"width": 1280, "height": 900}))
        contexts[-1].set_default_timeout(UI_TIMEOUT_MS)
        return contexts[-1].new_page()

    yield open_window
    for context in contexts:
        context.close()


def test_every_widget_value_survives_reload_page_switch_new_window_and_kill_9(
    apps: list[AppProcess], new_window: Callable[[], Page], tmp_path: Path
) -> None:
    home = tmp_path / "home"
    apps.append(AppProcess(home))
    first: Server = apps[0].server
    page = _open(new_window(), first.printed_url("page=demo"))

    values = _set_every_widget(page)

    # A bad Code: the message shows beside the field and the value is not saved.
    _enter_bad_code(page, "ab1")

    # A reload is a new session: everything comes back from the store, with the last good Code.
    page.reload()
    wait_for_app(page)
    _expect_shown(page, values)

    # Streamlit drops the keys of widgets it does not draw: Settings and back re-seeds them from the
    # store, also the one left with a bad value (its message goes with it).
    _enter_bad_code(page, "zz")
    page.locator(key("nav_settings")).get_by_role("button").click()
    expect(page).to_have_url(re.compile(r"\?page=settings$"))
    expect(page.get_by_test_id("stMain").get_by_role("heading", name="Settings", level=1)).to_be_visible()
    expect(_widget(page, "echo")).to_have_count(0)
    page.locator(key("nav_demo")).get_by_role("button").click()
    _expect_shown(page, values)

    # A new window: the printed URL names no page, so it opens the stored route (Demo).
    second = _open(new_window(), first.app_url)
    _expect_shown(second, values)
    second.context.close()

    # kill -9 as soon as a change is acknowledged (its run may still be drawing): no handler runs.
    # A new server on the same home has every acknowledged value, the last one included.
    name = _widget(page, "name").get_by_role("textbox")
    name.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("Grace Hopper")
    page.keyboard.press("Enter")
    values = dataclasses.replace(values, name="Grace Hopper")
    expect(_widget(page, "echo")).to_contain_text("Hello, Grace Hopper!")  # shown: kill while the run may go on
    apps[0].kill9()
    apps.append(AppProcess(home))
    restarted = apps[1].server
    assert restarted.token != first.token  # a new launch, with a new secret
    _expect_shown(_open(page, restarted.app_url), values)

    assert apps[1].stop() == 0, apps[1].stderr_path.read_text(encoding="utf-8")
