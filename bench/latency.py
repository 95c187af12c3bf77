"""Interaction latency in a real browser: Enter in a text input → the echoed text in the DOM.

Two servers in the same run: this app's Demo page (`demo_name` echoed in `demo_echo`) and the
bare one-widget script (bench/bare_app.py). For each interaction, on alternating servers:

    fill the input with a fresh value (no rerun yet: Streamlit commits a text input on Enter)
    page JS: a keydown listener stamps performance.now() when Enter goes down, and a
             MutationObserver stamps it again when the echo's text first contains the value
    press Enter; read the difference; wait until the script run has finished

The time is measured inside the page, so Playwright's round trips are not in it.

    python bench/latency.py [--interactions 60] [--warmup 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid

import httpx

from servers import (
    APP_IDLE,
    AppServer,
    BareServer,
    add_bare_flag_option,
    chromium,
    configure_bare,
    machine,
    running,
    summary,
    wait_rendered,
)

# Arms the measurement; window.__latency resolves to milliseconds from Enter to the echoed text.
_ARM = """([inputSelector, echoSelector, expected]) => {
    const input = document.querySelector(inputSelector);
    window.__latency = new Promise((resolve, reject) => {
        let pressedAt = null;
        const echoed = () => {
            const echo = document.querySelector(echoSelector);
            return echo !== null && echo.textContent.includes(expected);
        };
        const observer = new MutationObserver(() => {
            if (pressedAt !== null && echoed()) {
                const elapsed = performance.now() - pressedAt;
                observer.disconnect();
                clearTimeout(timer);
                resolve(elapsed);
            }
        });
        const timer = setTimeout(() => { observer.disconnect(); reject(new Error("no echo in 30 s")); }, 30000);
        input.addEventListener("keydown", (event) => {
            if (event.key === "Enter") pressedAt = performance.now();
        }, { capture: true, once: true });
        observer.observe(document.body, { childList: true, subtree: true, characterData: true });
    });
}"""

INPUTS = {"app": ".st-key-demo_name input", "bare": ".st-key-name input"}
ECHOES = {"app": ".st-key-demo_echo", "bare": "[data-testid=stMain]"}


def interact(page, name: str) -> float:
    """One Enter → echo round, in milliseconds."""
    value = f"user-{uuid.uuid4().hex[:8]}"
    page.bring_to_front()  # two tabs share the browser: time the one in front, like a user would
    page.wait_for_selector(APP_IDLE)
    field = page.locator(INPUTS[name])
    field.fill(value)
    page.evaluate(_ARM, [INPUTS[name], ECHOES[name], f"Hello, {value}!"])
    field.press("Enter")
    elapsed = page.evaluate("window.__latency")
    page.wait_for_selector(APP_IDLE)
    return float(elapsed)


def open_page(browser, server, url: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(url)
    wait_rendered(page, server)
    return page


def run(interactions: int, warmup: int) -> dict:
    samples: dict[str, list[float]] = {"app": [], "bare": []}
    with (
        chromium() as browser,
        running(AppServer()) as app,
        running(BareServer()) as bare,
        httpx.Client(timeout=2) as client,
    ):
        app.wait_healthy(client)
        bare.wait_healthy(client)
        pages = {
            "app": open_page(browser, app, app.url_for("page=demo")),
            "bare": open_page(browser, bare, bare.page_url),
        }
        pages["app"].wait_for_selector(INPUTS["app"], state="visible")
        for name, page in pages.items():
            for _ in range(warmup):
                interact(page, name)
        for i in range(interactions):
            order = ("app", "bare") if i % 2 == 0 else ("bare", "app")
            for name in order:
                samples[name].append(interact(pages[name], name))
            if (i + 1) % 10 == 0:
                print(f"  {i + 1}/{interactions} interactions each", file=sys.stderr, flush=True)
    figures = {name: summary(values) for name, values in samples.items()}
    return {
        "benchmark": "latency",
        "unit": "ms",
        "interactions": interactions,
        "warmup": warmup,
        "machine": machine(),
        "results": figures,
        "ratio_app_over_bare_median": figures["app"]["median"] / figures["bare"]["median"],
        "ratio_app_over_bare_p95": figures["app"]["p95"] / figures["bare"]["p95"],
        "samples": samples,
    }


def print_table(report: dict) -> None:
    m = report["machine"]
    print(
        f"latency: Enter → echoed text in the DOM, {report['interactions']} interactions each, "
        f"interleaved, {report['warmup']} warm-up "
        f"(Python {m['python']}, Streamlit {m['streamlit']}, {m['cpus']} CPUs, load {m['load_average_1m']})"
    )
    if m["bare_flags"]:
        print(f"bare app with: {' '.join(m['bare_flags'])}")
    print(f"{'':28}{'median':>9}{'p95':>9}{'min':>9}{'max':>9}")
    labels = {"app": "app (Demo page)", "bare": "bare (one text input)"}
    for name, label in labels.items():
        r = report["results"][name]
        print(f"{label:28}{r['median']:>6.1f} ms{r['p95']:>6.1f} ms{r['min']:>6.1f} ms{r['max']:>6.1f} ms")
    print(
        f"{'app/bare':28}{report['ratio_app_over_bare_median']:>8.2f}×"
        f"{report['ratio_app_over_bare_p95']:>8.2f}×"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=60, help="timed interactions per app (default 60)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed interactions per app first (default 5)")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    add_bare_flag_option(parser)
    args = parser.parse_args()
    configure_bare(args.bare_flag)
    if args.interactions < 1:
        parser.error("--interactions must be at least 1")
    report = run(args.interactions, args.warmup)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report)


if __name__ == "__main__":
    main()
