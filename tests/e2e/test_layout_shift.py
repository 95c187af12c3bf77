"""No UI jumps: the Layout Instability API's cumulative layout shift (CLS) over a scripted journey.

    open Demo ─ type a count ─ write notes ─ toggle ─ pick a colour ─ move the slider
      ─ tick a checkbox ─ Settings ─ back to Demo ─ a bad Code (its message shows) ─ a good Code

A `PerformanceObserver` for 'layout-shift' (buffered) is installed before the page's own scripts
(`add_init_script`) and records every entry with its sources. Each step waits for its effect (the
echo changed, the page changed, the message showed), for the script run to end, for Streamlit's
lazily loaded widgets to be in and for the layout to be quiet, so each entry belongs to its step.

CLS as the web defines it counts only the shifts the user did not just cause (`hadRecentInput` is
false: more than 500 ms after an input) and is the largest burst of them (a "session window":
entries less than 1 s apart, at most 5 s). What is held (0.1 is the "good" CLS threshold):

- using the Demo page (saving values, the validation message coming and going): CLS < 0.1;
- saving a value moves nothing, even right after the input: all its shifts < 0.01;
- opening the Demo page: CLS < 0.1, leaving out one shift Streamlit itself makes on every start:
  the page column moving sideways as `layout="wide"` applies and the sidebar appears (a three-line
  Streamlit app with `st.sidebar.markdown` scores 0.234 on that alone).

A page switch replaces the page, so what moves then follows the user's click; CLS counts it only if
the new page takes over 500 ms to draw, which on a busy machine is chance. Its shifts are printed
with the rest (`pytest -rP`), not held to a bound.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.harness import key, wait_for_app

pytestmark = pytest.mark.e2e

OpenApp = Callable[[str], Page]

GOOD_CLS = 0.1  # web.dev's threshold for a "good" CLS
SAVE_MOVES_NOTHING = 0.01  # text re-flowing in the echo scores ~0.001; one widget moving a line scores more
SESSION_GAP_MS = 1000.0
SESSION_MAX_MS = 5000.0
QUIET_MS = 300  # a step is over once no shift was recorded for this long

LOAD, SAVE, VALIDATE, NAVIGATE = "load", "save", "validate", "navigate"

# Runs before any of the page's scripts: record every layout shift and what moved.
_OBSERVER = """(() => {
    const shifts = [];
    window.__layoutShifts = shifts;
    window.__lastLayoutShift = 0;
    const rect = r => [Math.round(r.x), Math.round(r.y), Math.round(r.width), Math.round(r.height)];
    const describe = node => {
        const element = node && node.nodeType === Node.ELEMENT_NODE ? node : node && node.parentElement;
        if (!element) return {what: "(removed)", column: false};
        const owner = element.closest("[class*='st-key-']");
        const ownerKey = owner ? [...owner.classList].find(c => c.startsWith("st-key-")) : null;
        const testid = element.getAttribute("data-testid");
        const what = (node === element ? "" : "text in ") + element.tagName.toLowerCase()
            + (testid ? `[data-testid=${testid}]` : "") + (ownerKey ? ` in .${ownerKey}` : "");
        // The page column as a whole: stMain, its block container, or the wrapper around stMain.
        const main = document.querySelector("[data-testid=stMain]");
        const column = testid === "stMain" || testid === "stMainBlockContainer"
            || (main !== null && testid !== "stApp" && element.contains(main));
        return {what, column};
    };
    new PerformanceObserver(list => {
        for (const entry of list.getEntries()) {
            shifts.push({
                start: entry.startTime,
                value: entry.value,
                hadRecentInput: entry.hadRecentInput,
                sources: (entry.sources || []).map(s => ({
                    ...describe(s.node), previous: rect(s.previousRect), current: rect(s.currentRect),
                })),
            });
            window.__lastLayoutShift = performance.now();
        }
    }).observe({type: "layout-shift", buffered: true});
})();"""

Entry = dict[str, Any]


def cumulative_layout_shift(entries: list[Entry]) -> float:
    """CLS as web-vitals computes it: the largest session window of shifts without recent input."""
    worst = window = 0.0
    first = last = 0.0
    for entry in sorted((e for e in entries if not e["hadRecentInput"]), key=lambda e: e["start"]):
        if window and entry["start"] - last < SESSION_GAP_MS and entry["start"] - first < SESSION_MAX_MS:
            window += entry["value"]
        else:
            window, first = entry["value"], entry["start"]
        last = entry["start"]
        worst = max(worst, window)
    return worst


def is_streamlit_column_relayout(entry: Entry) -> bool:
    """The page column moving or widening sideways as a whole: same top, same height, new x or width.

    Any such source marks the entry (should something else shift in the same frame, that entry is
    left out with it: lenient, rather than failing on Streamlit's own shift).
    """
    return any(
        s["column"] and s["previous"][1] == s["current"][1] and s["previous"][3] == s["current"][3]
        for s in entry["sources"]
    )


@dataclass
class Step:
    name: str
    kind: str
    start: float  # performance.now() in the page when the step began
    entries: list[Entry] = field(default_factory=list)

    @property
    def counted(self) -> float:
        """The shifts CLS counts (none within 500 ms of an input)."""
        return sum(e["value"] for e in self.entries if not e["hadRecentInput"])

    @property
    def total(self) -> float:
        """Every shift, also those right after an input."""
        return sum(e["value"] for e in self.entries)


class Journey:
    """Runs named steps in one page and gives each recorded layout shift to the step it happened in."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.steps: list[Step] = []

    @contextmanager
    def step(self, name: str, kind: str = SAVE) -> Iterator[None]:
        self.steps.append(Step(name, kind, self.page.evaluate("performance.now()") if self.steps else 0.0))
        yield
        wait_for_app(self.page)
        expect(self.page.get_by_test_id("stSkeleton")).to_have_count(0)  # lazily loaded widgets are drawn
        self.page.wait_for_function(
            "quiet => performance.now() - window.__lastLayoutShift >= quiet", arg=QUIET_MS, polling=50
        )

    def collect(self) -> None:
        for entry in self.page.evaluate("window.__layoutShifts"):
            [*_, owner] = (step for step in self.steps if step.start <= entry["start"])
            owner.entries.append(entry)

    def entries(self, *kinds: str) -> list[Entry]:
        return [entry for step in self.steps if step.kind in kinds for entry in step.entries]

    def report(self) -> str:
        lines = [f"{'step':<30} {'CLS counts':>10} {'all shifts':>10}   what moved (x, y, width, height)"]
        for step in self.steps:
            lines.append(f"{step.name:<30} {step.counted:>10.4f} {step.total:>10.4f}")
            for entry in step.entries:
                input_note = "after input" if entry["hadRecentInput"] else ""
                lines.append(f"{'':<8}{entry['start']:>8.0f} ms {entry['value']:>10.4f} {input_note:>11}")
                lines.extend(
                    f"{'':<12}{s['what']}: {s['previous']} -> {s['current']}" for s in entry["sources"]
                )
        return "\n".join(lines)


def _demo(page: Page, name: str) -> Locator:
    return page.locator(key(f"demo_{name}"))


def _changes_echo(page: Page, action: Callable[[], object]) -> None:
    """Do `action`, then wait until the echo shows something new: the value was saved and drawn."""
    echo = _demo(page, "echo")
    before = echo.inner_text()
    action()
    expect(echo).not_to_have_text(before)


def _pick_another(page: Page, select: Locator) -> None:
    """Open a select box and choose an option other than the one it shows."""
    current = select.get_by_role("combobox").input_value()
    select.get_by_role("combobox").click()
    others = page.get_by_role("listbox").get_by_role("option")
    others.filter(has_not_text=re.compile(rf"^{re.escape(current)}$")).first.click()


def test_the_demo_journey_does_not_make_the_page_jump(page: Page, open_app: OpenApp) -> None:
    """On the shared server; it leaves the name alone (test_pages expects "Hello, stranger!" first)."""
    page.add_init_script(_OBSERVER)  # the page open_app navigates, before its first navigation
    journey = Journey(page)

    def demo(name: str) -> Locator:
        return _demo(page, name)

    with journey.step("open Demo", LOAD):
        open_app("page=demo")
        expect(demo("echo")).to_be_visible()

    with journey.step("type a count + Enter"):
        count = demo("count").get_by_role("spinbutton")
        target = "8" if count.input_value() == "7" else "7"
        _changes_echo(page, lambda: (count.fill(target), count.press("Enter")))
    with journey.step("write notes + Tab"):
        notes = demo("notes").get_by_role("textbox")
        _changes_echo(page, lambda: (notes.click(), page.keyboard.type(" more"), page.keyboard.press("Tab")))
    with journey.step("toggle Night mode"):
        _changes_echo(page, lambda: demo("toggle").get_by_text("Night mode").click())
    with journey.step("pick another colour"):
        _changes_echo(page, lambda: _pick_another(page, demo("colour")))
    with journey.step("slider: arrow key"):
        slider = demo("level").get_by_role("slider")
        arrow = "ArrowLeft" if slider.input_value() == "100" else "ArrowRight"
        _changes_echo(page, lambda: (slider.focus(), page.keyboard.press(arrow)))
    with journey.step("tick I like it"):
        _changes_echo(page, lambda: demo("agree").get_by_text("I like it").click())

    with journey.step("go to Settings", NAVIGATE):
        page.locator(key("nav_settings")).get_by_role("button").click()
        expect(page).to_have_url(re.compile(r"\?page=settings$"))
        expect(demo("echo")).to_have_count(0)
    with journey.step("back to Demo", NAVIGATE):
        page.locator(key("nav_demo")).get_by_role("button").click()
        expect(page).to_have_url(re.compile(r"\?page=demo$"))
        expect(demo("echo")).to_be_visible()

    code = demo("code").get_by_role("textbox")
    message = page.locator(f"{key('demo_code')} + [data-testid=stElementContainer] .robustapp-field-message").get_by_text(
        "three capital letters"
    )
    with journey.step("bad Code: its message shows", VALIDATE):
        code.fill("ab1")
        code.press("Enter")
        expect(message).to_be_visible()
    with journey.step("good Code: the message goes", VALIDATE):
        code.fill("QRS")
        code.press("Enter")
        expect(message).to_have_count(0)

    journey.collect()
    load = journey.entries(LOAD)
    using = cumulative_layout_shift(journey.entries(SAVE, VALIDATE))
    opening = cumulative_layout_shift(load)
    opening_app = cumulative_layout_shift([e for e in load if not is_streamlit_column_relayout(e)])
    after_load = cumulative_layout_shift(journey.entries(SAVE, VALIDATE, NAVIGATE))
    report = (
        f"{journey.report()}\n"
        f"CLS using the Demo page: {using:.4f}; with the page switches: {after_load:.4f}\n"
        f"CLS opening the Demo page: {opening:.4f}; without Streamlit's sideways column re-layout: {opening_app:.4f}"
    )
    print(f"\n{report}")

    assert using < GOOD_CLS, report
    for step in journey.steps:
        if step.kind == SAVE:
            assert step.total < SAVE_MOVES_NOTHING, f"saving ({step.name}) moved the page:\n{report}"
    assert opening_app < GOOD_CLS, report
