"""`python -m webapp bench pages`: browser time from a typical action on each page to its updated result.

Chromium (driven by Playwright) acts on a running server the way a learner does: moves a slider, picks a
kernel, switches a network, lifts the pen, presses Resample or Start training. The clock runs in the page, from
the action's own event (its mouseup or key press) until the page shows the new result, which here means both:

* the action's *result marker* changed (an image's source, a heading, a metric value: `signature` below), and
* the page is idle: no rerun in progress. Streamlit shows its running indicator only after 500 ms, so the
  indicator alone cannot tell a short rerun from none; while a rerun is on, the elements it has not redrawn
  yet carry `data-stale="true"`, and that is checked too.

Speed is measured here, never asserted in tests (the machines are shared and noisy).
"""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from webapp.bench.common import Log
from webapp.lab_server import CHROMIUM_ARGS, chromium_path, private_server

VIEWPORT = {"width": 1400, "height": 1600}
TIMEOUT_MS = 120_000
FIRST_VISIT = "first visit"

# True while no rerun is on screen: no running indicator (other than one fading out) and no stale element.
IDLE_JS = ("!document.querySelector('[data-testid=stStatusWidget]"
           ":not(.StatusWidget-exit):not(.StatusWidget-exit-active)')"
           " && !document.querySelector('[data-stale=\"true\"]')")

# Result markers: each a JS expression giving a string that changes when the shown result changes.
IMAGES_JS = "[...document.querySelectorAll('[data-testid=stImage] img')].map(i => i.src).join('|')"
HEADINGS_JS = "[...document.querySelectorAll('h3')].map(h => h.innerText).join('|')"
METRICS_JS = "[...document.querySelectorAll('[data-testid=stMetric]')].map(m => m.innerText).join('|')"
READINGS_JS = ("(() => { const m = [...document.querySelectorAll('[data-testid=stMetric]')].map(m => m.innerText)"
               ".filter(t => / reads/.test(t)); return m.length >= 2 ? m.join('|') : ''; })()")
DRAW_PROMPT = "Draw a digit on the canvas"
# The in-page clock: started by the action's own event (pen-up, a click's mouseup, a key press), so the time
# Playwright needs to find and press a control (up to a few hundred ms on a busy machine) is not counted.
ARM_JS = """() => {
    window.__benchArmedAt = performance.now(); window.__benchStart = null;
    if (!window.__benchArmed) {
        window.__benchArmed = true;
        for (const type of ['mouseup', 'keydown'])
            document.addEventListener(type, () => {
                if (window.__benchStart === null) window.__benchStart = performance.now();
            }, true);
    }
}"""
ELAPSED_JS = "Math.max(0.01, performance.now() - (window.__benchStart ?? window.__benchArmedAt))"
TRAIN_READY = "!!document.querySelector('[data-testid=stFormSubmitButton]')"
STOP_BUTTON = "[class*='st-key-stop_'] button"
STOP_JS = f"document.querySelectorAll({STOP_BUTTON!r}).length ? 'stop' : ''"


@dataclass(frozen=True)
class Action:
    """One timed interaction: `prepare` (untimed) sets it up, `trigger` does it (the clock starts in the page at
    its last mouseup or first key press: Draw's pen-up), `after` (untimed) undoes what must not pile up (a job).
    An action with more `tries` is done again, from `prepare`, when its result has not come within a minute."""

    name: str
    trigger: Callable[[Any, int], None]
    signature: str
    prepare: Callable[[Any, int], None] | None = None
    after: Callable[[Any, int], None] | None = None
    tries: int = 1  # more where an action can silently miss (a stroke on a canvas not listening yet)


@dataclass(frozen=True)
class PageBench:
    """A page's address, the marker that says its first visit is complete, and its actions."""

    name: str
    path: str
    ready: str
    actions: list[Action] = field(default_factory=list)


# -- helpers the actions share ----------------------------------------------------------------------------
def wait_idle(page: Any, timeout_ms: int = TIMEOUT_MS) -> None:
    page.wait_for_function(IDLE_JS, timeout=timeout_ms)


def widget(page: Any, testid: str, label: str) -> Any:
    return page.locator(f"[data-testid={testid}]", has_text=label).first


def open_selectbox(page: Any, label: str) -> None:
    widget(page, "stSelectbox", label).click()
    page.locator("[role=option]").first.wait_for(timeout=10_000)


def pick_option(text: str) -> Callable[[Any, int], None]:
    def pick(page: Any, run: int) -> None:
        page.locator("[role=option]", has_text=text).first.click()
    return pick


def alternate(first: Any, second: Any) -> Callable[[int], Any]:
    """Run 0 takes `first`, run 1 `second`, and so on: every run changes something."""
    return lambda run: second if run % 2 else first


# -- Stages ------------------------------------------------------------------------------------------------
def _focus_kernels(page: Any, run: int) -> None:
    box = widget(page, "stMultiSelect", "Kernels").locator("input").first
    box.click()
    if run % 2 == 0:
        box.fill("box")


def _pick_kernel(page: Any, run: int) -> None:
    page.keyboard.press("Enter" if run % 2 == 0 else "Backspace")  # add "box", then take it off again


def _focus_stride(page: Any, run: int) -> None:
    widget(page, "stSlider", "Stride S").locator("input[type=range]").first.focus()


def _move_stride(page: Any, run: int) -> None:
    page.keyboard.press(alternate("ArrowRight", "ArrowLeft")(run))


# -- Architectures ---------------------------------------------------------------------------------------------
def _open_network(page: Any, run: int) -> None:
    open_selectbox(page, "Network")


def _switch_network(page: Any, run: int) -> None:
    pick_option(alternate("LeNet-5", "VGG16")(run))(page, run)


# -- Augment -------------------------------------------------------------------------------------------------
def _resample(page: Any, run: int) -> None:
    page.get_by_role("button", name="Resample").click()


def _photo_source(page: Any, run: int) -> None:
    """Preview on the sample photo (once): sixteen photo-sized pictures rather than sixteen digits."""
    if run == 0:
        before = page.evaluate(IMAGES_JS)
        widget(page, "stRadio", "Preview on").get_by_text("Sample photo").click()
        page.wait_for_function(f"before => (({IMAGES_JS}) !== before) && ({IDLE_JS})", arg=before, timeout=TIMEOUT_MS)


# -- Draw ------------------------------------------------------------------------------------------------------
def _fresh_canvas(page: Any, run: int) -> None:
    """Start from a freshly loaded page: an empty canvas and no reading shown, so the stroke's readings are new."""
    page.reload()
    page.wait_for_function(f"document.body.innerText.includes('{DRAW_PROMPT}') && ({IDLE_JS})", timeout=TIMEOUT_MS)
    page.locator("canvas.upper-canvas").first.wait_for(timeout=TIMEOUT_MS)
    time.sleep(1.0)  # a freshly mounted canvas needs a moment before it listens


def _draw_stroke(page: Any, run: int) -> None:
    """A one (a vertical stroke), shifted a little each run; the clock starts at pen-up (the only mouseup)."""
    box = page.locator("canvas.upper-canvas").first.bounding_box()
    x = box["x"] + box["width"] * (0.45 + 0.02 * (run % 5))
    top, bottom = box["y"] + box["height"] * 0.2, box["y"] + box["height"] * 0.8
    page.mouse.move(x, top)
    page.mouse.down()
    for step in range(1, 9):
        page.mouse.move(x, top + (bottom - top) * step / 8, steps=2)
    page.mouse.up()


# -- Transfer ----------------------------------------------------------------------------------------------
TRANSFER_JS = "[...document.querySelectorAll('[data-testid=stExpander]')].map(e => e.innerText).join('|')"


def _switch_target(page: Any, run: int) -> None:
    """The other target: its classes change every recipe's new head, so the diagrams redraw."""
    label = alternate("Fashion-MNIST", "MNIST digits 5-9")(run)
    page.locator("[data-testid=stRadio] label", has_text=label).first.click()


# -- Train -------------------------------------------------------------------------------------------------
def _fresh_form(page: Any, run: int) -> None:
    """The Train page without the job the last run followed: its form open again (a followed job folds it away)."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    address = urlsplit(page.url)
    query = urlencode([(key, value) for key, value in parse_qsl(address.query) if key != "job"])
    if query != address.query:
        page.goto(urlunsplit(address._replace(query=query)))
    page.wait_for_function(f"({TRAIN_READY}) && ({IDLE_JS})", timeout=TIMEOUT_MS)


def _submit(page: Any, run: int) -> None:
    page.get_by_role("button", name="Start training").click()


def _stop_job(page: Any, run: int) -> None:
    """Stop the job just submitted and wait until it has ended, so no training runs during the next run. The button
    is pressed from the page: the live fragment redraws it every second (a locator's click waits for it to hold
    still), and a small job may already have ended and taken its button away."""
    page.evaluate(f"document.querySelector({STOP_BUTTON!r})?.click()")
    page.wait_for_function(f"!({STOP_JS}) && ({IDLE_JS})", timeout=300_000)


PAGE_BENCHES: dict[str, PageBench] = {bench.name: bench for bench in [
    PageBench("home", "/", "document.querySelectorAll('[data-testid=stMetric]').length >= 3"),
    PageBench("stages", "/stages", "document.querySelectorAll('[data-testid=stImage] img').length >= 4", [
        Action("pick a kernel", _pick_kernel, f"{IMAGES_JS} + {HEADINGS_JS}", prepare=_focus_kernels),
        Action("move the stride slider", _move_stride, f"{IMAGES_JS} + {HEADINGS_JS}", prepare=_focus_stride),
    ]),
    PageBench("augment", "/augment", "document.querySelectorAll('[data-testid=stImage] img').length >= 4", [
        Action("press Resample", _resample, IMAGES_JS),
        Action("press Resample on a photo", _resample, IMAGES_JS, prepare=_photo_source),
    ]),
    PageBench("architectures", "/architectures", "document.querySelectorAll('[data-testid=stMetric]').length >= 3", [
        Action("switch network", _switch_network, f"{METRICS_JS} + {HEADINGS_JS}", prepare=_open_network),
    ]),
    PageBench("transfer", "/transfer", "document.body.innerText.includes(\"Seed 004's four cases, measured\")", [
        Action("switch the target", _switch_target, TRANSFER_JS),
    ]),
    PageBench("draw", "/draw", f"document.body.innerText.includes('{DRAW_PROMPT}')", [
        Action("lift the pen", _draw_stroke, READINGS_JS, prepare=_fresh_canvas, tries=3),
    ]),
    PageBench("classes", "/classes", "document.body.innerText.includes('Start a collection of your own classes')"),
    PageBench("train", "/train?images=1000&epochs=1", TRAIN_READY, [
        Action("submit until queued or running", _submit, STOP_JS, prepare=_fresh_form, after=_stop_job),
    ]),
]}
PAGE_NAMES: tuple[str, ...] = tuple(PAGE_BENCHES)


# -- timing ------------------------------------------------------------------------------------------------
def summarise(page: str, action: str, runs_ms: list[float]) -> dict[str, Any]:
    """One report line: the runs in milliseconds (rounded to 0.1) and their median."""
    return {"benchmark": "pages", "page": page, "action": action,
            "median_ms": round(statistics.median(runs_ms), 1), "runs_ms": [round(value, 1) for value in runs_ms]}


def format_line(report: dict[str, Any]) -> str:
    runs = ", ".join(f"{value:.0f}" for value in report["runs_ms"])
    return f"{report['page']:<14} {report['action']:<32} {report['median_ms']:7.0f} ms  (runs: {runs})"


def time_first_visit(browser: Any, base: str, bench: PageBench) -> float:
    """Milliseconds from opening the page in a fresh browser context to its content shown and idle."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        started = time.perf_counter()
        page.goto(base + bench.path)
        page.wait_for_function(f"({bench.ready}) && ({IDLE_JS})", timeout=TIMEOUT_MS)
        return (time.perf_counter() - started) * 1000
    finally:
        context.close()


def time_action(page: Any, action: Action, run: int) -> float:
    """Milliseconds from the action to its new result on screen (see the module's docstring)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(action.tries):
        if action.prepare:
            action.prepare(page, run)
        wait_idle(page)
        before = page.evaluate(action.signature)
        page.evaluate(ARM_JS)
        action.trigger(page, run)
        try:
            shown = page.wait_for_function(f"before => (({action.signature}) !== before)"
                                           f" && ({IDLE_JS}) && ({ELAPSED_JS})",
                                           arg=before, timeout=TIMEOUT_MS if attempt == action.tries - 1 else 60_000)
        except PlaywrightTimeout:
            if attempt == action.tries - 1:
                raise
            continue
        elapsed = float(shown.json_value())
        if action.after:
            action.after(page, run)
        return elapsed
    raise AssertionError("unreachable: the last try returns or raises")


def bench_page(browser: Any, base: str, bench: PageBench, runs: int, log: Log) -> Iterator[dict[str, Any]]:
    """The page's first visit and each of its actions, `runs` times each, after one untimed warm-up visit."""
    time_first_visit(browser, base, bench)  # warms the server's caches for this page
    visits = [time_first_visit(browser, base, bench) for _ in range(runs)]
    log(f"{bench.name}: first visit {statistics.median(visits):.0f} ms")
    yield summarise(bench.name, FIRST_VISIT, visits)
    for action in bench.actions:
        context = browser.new_context(viewport=VIEWPORT)
        try:
            page = context.new_page()
            page.goto(base + bench.path)
            page.wait_for_function(f"({bench.ready}) && ({IDLE_JS})", timeout=TIMEOUT_MS)
            timings = []
            for run in range(runs):
                timings.append(time_action(page, action, run))
                log(f"{bench.name}, {action.name}, run {run + 1}: {timings[-1]:.0f} ms")
        finally:
            context.close()
        yield summarise(bench.name, action.name, timings)


def pages_benchmark(pages: tuple[str, ...] = PAGE_NAMES, runs: int = 5, url: str | None = None,
                    log: Log = print) -> Iterator[dict[str, Any]]:
    """One report per (page, action), yielded as soon as it is measured."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise RuntimeError("bench pages needs Playwright: pip install -r requirements-dev.txt.") from None
    with private_server(url, log) as (base, _, _), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            for name in pages:
                yield from bench_page(browser, base, PAGE_BENCHES[name], runs, log)
        finally:
            browser.close()
