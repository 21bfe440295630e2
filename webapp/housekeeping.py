"""What a crash leaves behind, and the clean-up when the server starts again.

Each training process writes `training-process.json` in the lab home (`training-process-N.json` for the
N-th of several jobs training at once): the server's pid, its own pid (with its start time, so a recycled
pid is never mistaken for it) and the job it is training. If the server
dies without closing it (a `kill -9`, an out-of-memory kill), the child ends by itself (webapp.worker),
and the next server start makes sure of it: a stray child of a dead server is killed, and the job it was
training is recorded as interrupted (not deleted: it can be restarted from that record). Half-written run
folders (`.tmp-*`) and half-deleted ones (`.deleting-*`) older than a few minutes are removed too.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import tempfile
import time
from pathlib import Path
from typing import Any

from webapp.paths import collections_dir, lab_home, runs_dir

LOG = logging.getLogger("convnet_lab.housekeeping")
STATE_FILE = "training-process.json"
INTERRUPTED_DIR = "interrupted-jobs"
LEFTOVER_PREFIXES = (".tmp-", ".deleting-")
LEFTOVER_AGE_SECONDS = 5 * 60  # younger ones may still be written by a live server


def _write_json_atomically(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def process_start_time(pid: int) -> int | None:
    """The kernel's start time of `pid` (clock ticks since boot), or None if it is gone or unknowable.
    Together with the pid it names one process: a pid recycled later has another start time."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()  # after "pid (name)": state is fields[0], starttime fields[19]
    if fields and fields[0] == "Z":
        return None  # a zombie has ended; it only waits for its parent
    return int(fields[19]) if len(fields) > 19 else None


def is_alive(pid: int) -> bool:
    return process_start_time(pid) is not None


# -- the record the server keeps while it has a training process ------------------------------------
def state_path(home: Path | None = None, slot: int = 0) -> Path:
    """The record of the training process of one queue slot (several jobs may train at once, one per slot)."""
    name = STATE_FILE if slot == 0 else STATE_FILE.replace(".json", f"-{slot}.json")
    return (home or lab_home()) / name


def record_training_process(child_pid: int, job: dict[str, Any] | None = None, home: Path | None = None,
                            slot: int = 0) -> None:
    """Note (atomically) which child this server runs in that slot and the job it trains; a failure only logs,
    so a full or read-only disk never stops training."""
    state = {"server_pid": os.getpid(), "server_started": process_start_time(os.getpid()), "pid": child_pid,
             "started": process_start_time(child_pid), "job": job}
    try:
        _write_json_atomically(state_path(home, slot), state)
    except OSError as error:
        LOG.warning("Could not record the training process: %s", error)


def forget_training_process(home: Path | None = None, slot: int = 0) -> None:
    """The child was closed cleanly: nothing to clean up at the next start."""
    try:
        state_path(home, slot).unlink(missing_ok=True)
    except OSError as error:
        LOG.warning("Could not remove the training process record: %s", error)


def _read_state(path: Path) -> dict[str, Any] | None:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def _same_process(pid: Any, started: Any) -> bool:
    return isinstance(pid, int) and pid > 0 and started is not None and process_start_time(pid) == started


def reap_stray_training(home: Path | None = None, wait: float = 5.0) -> list[str]:
    """Kill the training processes whose server has died (one per queue slot it used), and record the jobs
    they were training as interrupted. Returns the interrupted job ids. A record of a live server (another one
    sharing this lab home) is left."""
    folder = home or lab_home()
    interrupted: list[str] = []
    for path in sorted(folder.glob(STATE_FILE.replace(".json", "*.json"))):
        interrupted += _reap_one(path, home, wait)
    return interrupted


def _reap_one(path: Path, home: Path | None, wait: float) -> list[str]:
    """One slot's record: kill its child if its server is gone, and note the job it was training."""
    state = _read_state(path)
    if state is None:
        return []
    if state.get("server_pid") == os.getpid() or _same_process(state.get("server_pid"), state.get("server_started")):
        return []
    if _same_process(state.get("pid"), state.get("started")):
        _kill(state["pid"], wait)
    interrupted = []
    job = state.get("job")
    if isinstance(job, dict) and isinstance(job.get("job_id"), str):
        record_interrupted(job, home)
        interrupted.append(job["job_id"])
    path.unlink(missing_ok=True)
    return interrupted


def _kill(pid: int, wait: float) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return
    deadline = time.monotonic() + wait
    while is_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    LOG.warning("Killed the training process %s left by a server that had died.", pid)


# -- interrupted jobs -----------------------------------------------------------------------------
def record_interrupted(job: dict[str, Any], home: Path | None = None) -> None:
    """Keep the interrupted job (id, owner, config) so that it can be shown and restarted."""
    job_id = str(job["job_id"])
    if not job_id.replace("-", "").isalnum():
        return
    record = {**job, "status": "interrupted", "interrupted_at": time.time()}
    _write_json_atomically((home or lab_home()) / INTERRUPTED_DIR / f"{job_id}.json", record)


def interrupted_job(job_id: str | None, home: Path | None = None) -> dict[str, Any] | None:
    """The record of a job the server's restart interrupted, or None."""
    if not job_id or not job_id.replace("-", "").isalnum():
        return None
    return _read_state((home or lab_home()) / INTERRUPTED_DIR / f"{job_id}.json")


# -- leftovers ------------------------------------------------------------------------------------
def clean_leftovers(folders: list[Path], max_age: float = LEFTOVER_AGE_SECONDS, now: float | None = None) -> list[str]:
    """Remove `.tmp-*` and `.deleting-*` entries older than `max_age` seconds; returns their names."""
    now = time.time() if now is None else now
    removed = []
    for folder in folders:
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        for entry in entries:
            if not entry.name.startswith(LEFTOVER_PREFIXES):
                continue
            try:
                if now - entry.lstat().st_mtime < max_age:
                    continue
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
            except OSError as error:
                LOG.warning("Could not remove the leftover %s: %s", entry.name, error)
                continue
            removed.append(entry.name)
    return removed


def leftover_folders(home: Path | None = None) -> list[Path]:
    """Where the lab writes through temporary names: the lab home, the runs, and every collection folder."""
    runs = runs_dir() if home is None else home / "runs"
    collections = collections_dir() if home is None else home / "collections"
    folders = [home or lab_home(), runs]
    folders += [Path(folder) for folder, _, _ in os.walk(collections)]  # os.walk follows no links
    return folders


def on_server_start(home: Path | None = None) -> dict[str, list[str]]:
    """Run once when a server starts: end strays of a dead server, then clear old leftovers."""
    interrupted = reap_stray_training(home)
    removed = clean_leftovers(leftover_folders(home))
    if interrupted or removed:
        LOG.warning("Start-up clean-up: interrupted jobs %s, removed leftovers %s.", interrupted, removed)
    return {"interrupted": interrupted, "removed": removed}
