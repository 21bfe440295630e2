"""`python -m webapp bench load`: N simulated learners on one server, per action median and 95th percentile.

Each learner is a `LabSession` (webapp/ui/protocol_client.py, beside the other code that imports Streamlit:
Streamlit's own websocket protocol, no browser)
that walks the lab the way a class does, with think times between actions, for M minutes:

    Home -> Draw (draw a digit, read both models' readings) -> Stages (change the kernels) -> Augment (Resample)
    -> Architectures (switch network) -> Train (submit a small race, watch it live a moment, stop it)

An action's latency runs from its message sent to the `script_finished` of the run it started: what the
browser's running indicator shows, without the browser's drawing (`--browsers K` measures that too, with K
Chromium sessions timing the same actions through `bench pages`' in-page clock while the learners run, so the
two can be compared). An action fails when its run raises (an exception element), shows an error, draws no
element in the page, misses what it is for (Draw without both readings), or does not finish within
`--timeout` seconds; a failed learner reconnects as a fresh tab.

Without `--url` it starts its own server with a private `$CONVNET_LAB_HOME`, warms it with one untimed walk,
submits one long training job (the class's background) and measures the server's resident memory (the
Streamlit process and its children, the training process among them): idle before the learners, the peak
while they work, and `--settle` seconds after they leave.

Speed is measured here, never asserted in tests (the machines are shared and noisy).
"""
from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import math
import os
import random
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterator

from webapp.bench.common import Log
from webapp.ui.protocol_client import LabSession, RunResult
from webapp.lab_server import private_server

GOAL_P95_SECONDS = 3.0
GOAL_PEAK_BYTES = 4 * 1024**3
GOAL_SETTLE_RATIO = 1.2  # memory after the learners leave: within 20% of idle
RACE_QUERY = "images=1000&epochs=1"  # each learner's small race: the smallest the form offers
BACKGROUND_QUERY = "images=60000&epochs=20"  # the long job that trains while the class works
SUBMIT = "Train: submit a race"
EXCLUDED = (SUBMIT,)  # not held to the latency goal: a submission queues a job
READS = " reads"  # Draw's metrics: "DNN reads", "CNN reads"
CANVAS_SIDE = 280
IDLE_WAIT_SECONDS = 30.0  # after the background job is submitted, before idle memory is read


@dataclass
class Sample:
    """One timed action: seconds (None when it failed before finishing) and what went wrong, if anything."""

    action: str
    seconds: float | None
    problem: str = ""
    client: str = "generator"


@dataclass
class Tally:
    """What every learner adds to: timed actions and outcomes that are not failures (a full queue)."""

    samples: list[Sample] = field(default_factory=list)
    notes: dict[str, int] = field(default_factory=dict)

    def note(self, text: str) -> None:
        self.notes[text] = self.notes.get(text, 0) + 1


# -- statistics ------------------------------------------------------------------------------------------------
def percentile(values: list[float], share: float) -> float:
    """The `share` (0..1) percentile with linear interpolation between the closest ranks (numpy's default)."""
    if not values:
        raise ValueError("no values to take a percentile of")
    ordered = sorted(values)
    position = (len(ordered) - 1) * share
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def action_rows(samples: list[Sample]) -> list[dict[str, Any]]:
    """One row per (client, action) in first-seen order: runs, failures, median and 95th percentile in ms."""
    groups: dict[tuple[str, str], list[Sample]] = {}
    for sample in samples:
        groups.setdefault((sample.client, sample.action), []).append(sample)
    rows = []
    for (client, action), group in groups.items():
        times = [sample.seconds * 1000 for sample in group if sample.seconds is not None and not sample.problem]
        problems = [sample.problem for sample in group if sample.problem]
        rows.append({"benchmark": "load", "client": client, "action": action, "runs": len(group),
                     "errors": len(problems), "median_ms": round(statistics.median(times), 1) if times else None,
                     "p95_ms": round(percentile(times, 0.95), 1) if times else None,
                     "goal": action not in EXCLUDED, "problems": sorted(set(problems))[:5]})
    return rows


def goal_met(rows: list[dict[str, Any]], memory: dict[str, Any]) -> bool:
    """The issue's goal: no errors, p95 within 3 s per generator action (submissions excluded), the server's
    peak memory (with its training process) within 4 GB, and the Streamlit process's back within 20% of idle
    after the learners leave (when measured). The training process is left out of the second: its memory is
    the background job's, which grows as it trains whoever visits."""
    timed = [row for row in rows if row["client"] == "generator" and row["goal"]]
    latency_ok = all(row["p95_ms"] is not None and row["p95_ms"] <= GOAL_P95_SECONDS * 1000 for row in timed)
    errors_ok = all(row["errors"] == 0 for row in rows if row["client"] == "generator")
    memory_ok = True
    if memory.get("peak_bytes") is not None:  # the peak with the training process; the pages' own back to idle
        memory_ok = memory["peak_bytes"] <= GOAL_PEAK_BYTES and (
            memory.get("after_server_bytes") is None
            or memory["after_server_bytes"] <= GOAL_SETTLE_RATIO * memory["idle_server_bytes"])
    return latency_ok and errors_ok and memory_ok


# -- memory ------------------------------------------------------------------------------------------------
def _children(pid: int) -> list[int]:
    """Direct children of `pid`, read from /proc/<child>/stat (no psutil needed)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:  # the field after the state is the parent's pid
            found.append(int(entry))
    return found


def resident_bytes(pid: int) -> int:
    """VmRSS of one process in bytes (0 once it has gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_memory(pid: int) -> dict[str, int]:
    """Resident bytes of the server process alone and with all its descendants (the training process)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += resident_bytes(current)
        todo.extend(_children(current))
    return {"server_bytes": resident_bytes(pid), "tree_bytes": total}


def memory_figures(*moments: dict[str, int] | None) -> dict[str, int | None]:
    """The idle, peak and after readings as report fields: `*_bytes` with the training process, `*_server_bytes`
    the Streamlit process alone; None where not measured."""
    figures: dict[str, int | None] = {}
    for name, reading in zip(("idle", "peak", "after"), moments):
        figures[f"{name}_bytes"] = reading["tree_bytes"] if reading else None
        figures[f"{name}_server_bytes"] = reading["server_bytes"] if reading else None
    return figures


class MemoryWatch:
    """Samples the server's memory once a second in a thread; `peak` is the largest since `reset`."""

    def __init__(self, pid: int | None) -> None:
        self.pid, self.peak = pid, {"server_bytes": 0, "tree_bytes": 0}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemoryWatch:
        if self.pid:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()

    def now(self) -> dict[str, int] | None:
        return tree_memory(self.pid) if self.pid else None

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            current = self.now() or {}
            for name, value in current.items():
                self.peak[name] = max(self.peak[name], value)


# -- one learner -------------------------------------------------------------------------------------------------
def drawn_one(run: int) -> dict[str, Any]:
    """The canvas component's value after a pen-up: a vertical stroke (a one) as Fabric's JSON and as the PNG
    (transparent paper, black ink) the page reads; shifted each run so every drawing is new."""
    from PIL import Image, ImageDraw

    picture = Image.new("RGBA", (CANVAS_SIDE, CANVAS_SIDE), (0, 0, 0, 0))
    x = 120 + 6 * (run % 7)
    ImageDraw.Draw(picture).line([(x, 56), (x + 8, 224)], fill=(0, 0, 0, 255), width=18)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
    stroke = {"type": "path", "strokeWidth": 18, "path": [["M", x, 56], ["L", x + 8, 224]], "run": run}
    return {"drawing": {"raw": {"version": "5.3.0", "objects": [stroke]}, "data": url}}


def problem_of(result: RunResult, timeout: float) -> str:
    """Why a finished (or unfinished) run counts as a failure, or ''."""
    if result.timed_out:
        return f"no script_finished within {timeout:.0f} s"
    if result.exceptions:
        return "exception: " + result.exceptions[0][:120]
    if result.errors:
        return "error shown: " + result.errors[0][:120]
    if not any(path and path[0] == 0 for path in result.elements):
        return "blank page"
    return ""


class Learner:
    """One simulated learner: a tab that walks the lab's path with think times until `deadline`."""

    def __init__(self, number: int, base_url: str, tally: Tally, think: float, timeout: float) -> None:
        self.number, self.base_url, self.tally = number, base_url, tally
        self.think, self.timeout = think, timeout
        self.random = random.Random(number)
        self.session = LabSession(base_url, timeout)
        self.runs = 0

    async def timed(self, action: str, step: Callable[[], Awaitable[RunResult]]) -> RunResult | None:
        """Run one step (finding its widget, then its rerun), record it; None when the tab is no longer usable."""
        try:
            result = await step()
        except Exception as failure:  # a widget missing, a closed connection: this action failed, the run goes on
            self.tally.samples.append(Sample(action, None, f"{type(failure).__name__}: {failure}"[:160]))
            return None
        problem = problem_of(result, self.timeout)
        if not problem and action.startswith("Draw: read") and len(
                [text for text in self.session.texts("metric") if READS in text]) < 2:
            problem = "no readings of both models"
        self.tally.samples.append(Sample(action, result.seconds, problem))
        return None if result.timed_out else result

    async def pause(self) -> None:
        await asyncio.sleep(self.random.uniform(0.5 * self.think, 1.5 * self.think))

    async def walk(self, deadline: float) -> None:
        """Cycles of the path until the deadline; a tab that broke (timeout, lost connection) starts afresh."""
        first = True
        while time.monotonic() < deadline:
            try:
                if first and not await self.timed("Home: first visit", lambda: self.session.open("/")):
                    raise ConnectionError
                first = False
                await self.cycle(deadline)
            except (ConnectionError, OSError, asyncio.TimeoutError):
                await self.session.close()
                self.session, first = LabSession(self.base_url, self.timeout), True
                await self.pause()
        await self.session.close()

    async def cycle(self, deadline: float) -> None:
        session, run = self.session, self.runs
        self.runs += 1
        steps: list[tuple[str, Any]] = [
            ("Home: open", lambda: session.navigate("")),
            ("Draw: open", lambda: session.navigate("draw")),
            ("Draw: read a drawn digit", lambda: session.rerun((session.widget(key="digit"), drawn_one(run)))),
            ("Stages: open", lambda: session.navigate("stages")),
            ("Stages: change a kernel", lambda: self.change_kernels(run)),
            ("Augment: open", lambda: session.navigate("augment")),
            ("Augment: Resample", lambda: session.rerun((session.widget(label="Resample"), True))),
            ("Architectures: open", lambda: session.navigate("architectures")),
            ("Architectures: switch network", lambda: self.switch_network(run)),
            ("Train: open", lambda: session.navigate("train", RACE_QUERY)),
        ]
        for action, step in steps:
            if time.monotonic() >= deadline:
                return
            await self.pause()
            if not await self.timed(action, step):
                raise ConnectionError
        await self.pause()
        await self.train(deadline)

    def change_kernels(self, run: int) -> Any:
        box = self.session.widget(label="Kernels")
        options = list(box.proto.options)
        chosen = [options[index] for index in box.proto.default] or options[:1]
        extra = options[run % len(options)]
        chosen = [name for name in chosen if name != extra] if extra in chosen else [*chosen, extra]
        return self.session.rerun((box, chosen or options[:1]))

    def switch_network(self, run: int) -> Any:
        picker = self.session.widget(label="Network")
        options = [name for name in picker.proto.options if not name.startswith("Design")]
        return self.session.rerun((picker, options[run % len(options)]))

    async def train(self, deadline: float) -> None:
        """Submit the small race, watch it live for a think time (the page's own one-second refreshes), stop it."""
        session = self.session
        result = await self.timed(SUBMIT, lambda: session.rerun((session.widget(label="Start training"), True)))
        if result is None:
            raise ConnectionError
        refused = [text for text in session.texts("alert") if "already have" in text or "lab is full" in text]
        if refused:
            self.tally.note("submission refused: " + refused[0][:80])
            return
        watch_until = time.monotonic() + self.random.uniform(0.5 * self.think, 1.5 * self.think)
        while session.auto_reruns and time.monotonic() < min(watch_until, deadline):
            fragment, interval = next(iter(session.auto_reruns.items()))
            await asyncio.sleep(interval)
            if not await self.timed("Train: live update", lambda: session.refresh_fragment(fragment)):
                raise ConnectionError
        stops = [widget for widget in session.widgets() if widget.key.startswith("stop_")]
        if stops:
            await self.pause()
            if not await self.timed("Train: stop the job", lambda: session.rerun((stops[0], True))):
                raise ConnectionError
        else:
            self.tally.note("race finished before the learner stopped it")


# -- the whole run -----------------------------------------------------------------------------------------------
async def run_learners(base_url: str, sessions: int, seconds: float, think: float, timeout: float,
                       tally: Tally, ramp: float) -> None:
    """`sessions` learners, arriving evenly over `ramp` seconds, each walking until the deadline."""
    deadline = time.monotonic() + seconds

    async def arrive(number: int) -> None:
        await asyncio.sleep(ramp * number / max(1, sessions))
        await Learner(number, base_url, tally, think, timeout).walk(deadline)

    await asyncio.gather(*(arrive(number) for number in range(sessions)))


async def submit_background_job(base_url: str, timeout: float) -> str | None:
    """Queue the long job a class trains beside; its id (None when the page refused it)."""
    session = LabSession(base_url, timeout)
    try:
        await session.open("/train", BACKGROUND_QUERY)
        await session.rerun((session.widget(label="Start training"), True))
        job = dict(part.split("=", 1) for part in session.query.split("&") if "=" in part).get("job")
        return job
    finally:
        await session.close()


async def lab_activity(base_url: str, timeout: float) -> str | None:
    """Home's "Training jobs" figure ("1 running, 0 waiting"), as any visitor sees it; None if not shown."""
    session = LabSession(base_url, timeout)
    try:
        await session.open("/")
        return next((element.metric.body for element in session.elements.values()
                     if element.WhichOneof("type") == "metric" and element.metric.label == "Training jobs"), None)
    finally:
        await session.close()


async def warm_up(base_url: str, timeout: float) -> None:
    """One untimed walk of the whole path (with no think time): loads the models and fills the page caches,
    so idle memory is the memory of a server that has served every page once."""
    tally = Tally()
    learner = Learner(-1, base_url, tally, think=0.0, timeout=timeout)
    await learner.timed("warm-up", lambda: learner.session.open("/"))
    await learner.cycle(time.monotonic() + 3600)
    await learner.session.close()


def jobs_by_status(home: str | None) -> dict[str, Any]:
    """Every job of the lab home's job database by status, and the failed ones' sentences (the background job
    should still be running, every learner's race stopped)."""
    if home is None:
        return {}
    from webapp import job_store

    try:
        jobs = job_store.JobStore(job_store.database_path(Path(home))).jobs()
    except Exception as problem:  # no database (a read-only home): the queue lived in memory only
        return {"unreadable": str(problem)}
    counts: dict[str, Any] = {}
    for job in jobs:
        counts[job.status] = counts.get(job.status, 0) + 1
    errors = sorted({job.error for job in jobs if job.error})
    return {**counts, "errors": errors[:3]} if errors else counts


def background_job_timing(home: str | None, job: str | None, learners_started: float) -> dict[str, Any]:
    """The background job's status, and when it started and ended in seconds from the learners' arrival
    (negative: before them), read from the lab's job database: did it train through the whole run?"""
    if home is None or job is None:
        return {}
    from webapp import job_store

    try:
        stored = job_store.JobStore(job_store.database_path(Path(home))).get(job)
    except Exception as problem:  # no database (a read-only home)
        return {"unreadable": str(problem)}
    if stored is None:
        return {"status": "missing"}
    moment = {name: None if value is None else round(value - learners_started, 1)
              for name, value in (("started_s", stored.started_at), ("ended_s", stored.finished_at))}
    return {"status": stored.status, **moment}


def load_benchmark(sessions: int, minutes: float, url: str | None = None, think: float = 5.0,
                   timeout: float = 60.0, settle: float = 120.0, browsers: int = 0, server_pid: int | None = None,
                   log: Log = print) -> dict[str, Any]:
    """The whole benchmark; returns {"rows": per action, "summary": the run's figures}."""
    tally = Tally()
    with private_server(url, log) as (base, pid, home):
        pid = pid or server_pid
        log("warming the server up with one walk of the path...")
        asyncio.run(warm_up(base, timeout))
        job = None if url else asyncio.run(submit_background_job(base, timeout))
        if job:
            log(f"background job {job} submitted")
        with MemoryWatch(pid) as memory:
            time.sleep(IDLE_WAIT_SECONDS if job else 5.0)  # the training process loads its data first
            idle = memory.now()
            jobs_idle = asyncio.run(lab_activity(base, timeout))
            memory.peak = dict(idle or memory.peak)
            load_before = os.getloadavg()
            started, cpu_started, arrived = time.monotonic(), time.process_time(), time.time()
            log(f"{sessions} learners for {minutes:g} min (think time ~{think:g} s)...")
            with browser_check(base, browsers, tally, log):
                asyncio.run(run_learners(base, sessions, minutes * 60, think, timeout, tally,
                                         ramp=min(30.0, minutes * 30)))
            wall, cpu = time.monotonic() - started, time.process_time() - cpu_started
            load_during = os.getloadavg()
            peak = dict(memory.peak)
            if pid and settle > 0:
                log(f"learners gone; measuring memory again in {settle:.0f} s...")
                time.sleep(settle)
            after = memory.now()
            jobs_after = asyncio.run(lab_activity(base, timeout))
            job_statuses, background = jobs_by_status(home), background_job_timing(home, job, arrived)
    figures = memory_figures(idle, peak if idle else None, after)
    rows = action_rows(tally.samples)
    summary = {"benchmark": "load", "summary": True, "sessions": sessions, "minutes": minutes, "think_seconds": think,
               "browsers": browsers, "actions": sum(row["runs"] for row in rows if row["client"] == "generator"),
               "errors": sum(row["errors"] for row in rows if row["client"] == "generator"),
               "worst_p95_ms": max((row["p95_ms"] for row in rows if row["client"] == "generator" and row["goal"]
                                    and row["p95_ms"] is not None), default=None),
               **figures, "training_jobs_before": jobs_idle, "training_jobs_after": jobs_after,
               "jobs_by_status": job_statuses, "background_job": background, "notes": tally.notes,
               "load_average_before": [round(value, 2) for value in load_before],
               "load_average_end": [round(value, 2) for value in load_during],
               "generator_cpu_share": round(cpu / wall, 3) if wall else None, "cpus": os.cpu_count()}
    summary["goal_met"] = goal_met(rows, summary if pid else {})
    return {"rows": rows, "summary": summary}


# -- the real-browser check -------------------------------------------------------------------------------------
BROWSER_ACTIONS = {  # bench pages' (page, action) -> this benchmark's action name
    ("stages", "pick a kernel"): "Stages: change a kernel",
    ("augment", "press Resample"): "Augment: Resample",
    ("architectures", "switch network"): "Architectures: switch network",
    ("draw", "lift the pen"): "Draw: read a drawn digit",
}


@contextlib.contextmanager
def browser_check(base: str, browsers: int, tally: Tally, log: Log) -> Iterator[None]:
    """While the body runs: `browsers` Chromium tabs take turns timing the same actions with `bench pages`'
    in-page clock (from the learner's own event until the new result is drawn and the page is idle)."""
    if browsers <= 0:
        yield
        return
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        raise RuntimeError("bench load --browsers needs Playwright: pip install -r requirements-dev.txt.") from None
    stop = threading.Event()
    thread = threading.Thread(target=_browser_loop, args=(base, browsers, tally, stop, log), daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=300)


def _browser_loop(base: str, browsers: int, tally: Tally, stop: threading.Event, log: Log) -> None:
    from playwright.sync_api import sync_playwright

    from webapp.bench.pages import PAGE_BENCHES, VIEWPORT, time_action, wait_idle
    from webapp.lab_server import CHROMIUM_ARGS, chromium_path

    with sync_playwright() as playwright:
        browser: Any = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        tabs = [browser.new_context(viewport=VIEWPORT).new_page() for _ in range(browsers)]
        run = 0
        try:
            while not stop.is_set():
                for (page_name, action_name), name in BROWSER_ACTIONS.items():
                    bench = PAGE_BENCHES[page_name]
                    action = next(action for action in bench.actions if action.name == action_name)
                    for tab in tabs:
                        if stop.is_set():
                            return
                        try:
                            if not tab.url.endswith(bench.path):
                                tab.goto(base + bench.path)
                                tab.wait_for_function(bench.ready, timeout=120_000)
                                wait_idle(tab)
                            tally.samples.append(Sample(name, time_action(tab, action, run) / 1000, client="chromium"))
                        except Exception as problem:  # a Playwright timeout: the learner saw no result
                            tally.samples.append(Sample(name, None, type(problem).__name__, client="chromium"))
                            log(f"chromium: {name}: {type(problem).__name__}")
                run += 1
        finally:
            browser.close()


# -- the report ------------------------------------------------------------------------------------------------
def format_table(report: dict[str, Any]) -> str:
    """A readable table: one row per action, then the memory and the run's conditions."""
    from webapp.formulas import format_bytes

    lines = [f"{'client':<10} {'action':<32} {'runs':>5} {'errors':>6} {'median':>9} {'p95':>9}"]
    for row in report["rows"]:
        median = "-" if row["median_ms"] is None else f"{row['median_ms'] / 1000:.2f} s"
        p95 = "-" if row["p95_ms"] is None else f"{row['p95_ms'] / 1000:.2f} s"
        mark = "" if row["goal"] else "  (not in the goal)"
        lines.append(f"{row['client']:<10} {row['action']:<32} {row['runs']:>5} {row['errors']:>6} {median:>9} "
                     f"{p95:>9}{mark}")
        lines.extend(f"{'':<10}   ! {problem}" for problem in row["problems"])
    summary = report["summary"]
    if summary["idle_bytes"] is not None:
        lines.append(f"server memory (with its training process): idle {format_bytes(summary['idle_bytes'])}, peak "
                     f"{format_bytes(summary['peak_bytes'])}, {format_bytes(summary['after_bytes'])} after the "
                     f"learners left; the Streamlit process alone: {format_bytes(summary['idle_server_bytes'])}, "
                     f"{format_bytes(summary['peak_server_bytes'])}, {format_bytes(summary['after_server_bytes'])}")
    lines.append(f"{summary['sessions']} learners, {summary['minutes']:g} min, think ~{summary['think_seconds']:g} s; "
                 f"{summary['actions']} actions, {summary['errors']} errors; generator CPU "
                 f"{summary['generator_cpu_share']:.0%} of one core; load average "
                 f"{summary['load_average_before'][0]:.2f} before, {summary['load_average_end'][0]:.2f} at the end "
                 f"({summary['cpus']} CPUs); goal met: {'yes' if summary['goal_met'] else 'no'}")
    lines.append(f"training jobs (Home): {summary['training_jobs_before']} before the learners, "
                 f"{summary['training_jobs_after']} after; all jobs by status: {summary['jobs_by_status']}; "
                 f"the background job (seconds from the learners' arrival): {summary['background_job']}")
    for note, count in summary["notes"].items():
        lines.append(f"note: {note} ({count}x)")
    return "\n".join(lines)
