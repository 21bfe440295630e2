"""The training queue on disk: one SQLite table, so a server restart (even a `kill -9`) loses no job.

The queue (`webapp.jobs`) writes through this store at every step of a job: submitted (queued), started
(running, with the live record's snapshot saved every few seconds), finished (done, stopped or failed, with
its run ids). When a server starts, it takes over the jobs of a server that has died: the waiting ones run
again in their original order, and the one that was running is marked interrupted, keeping its last curves.

Why SQLite: it is in the standard library, one file, and its transactions survive a killed process. WAL
mode lets the page threads read while the queue's threads write. Each thread has its own connection
(a `sqlite3` connection must not be shared between threads), and every write is one transaction.

A file at this path that is not the lab's (garbage bytes, or another program's SQLite database) is moved
aside, never deleted, and the lab starts with an empty queue; `problem()` says so in one sentence.
This module is light (no TensorFlow), so Home can ask it.
"""
from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from webapp.paths import lab_home

LOG = logging.getLogger("convnet_lab.job_store")
FILE_NAME = "jobs.sqlite3"
APPLICATION_ID = 0x434E4C4A  # "CNLJ": marks the file as the lab's job database (SQLite's application_id)
SCHEMA_VERSION = 1
BUSY_TIMEOUT_SECONDS = 10.0
WAITING, RUNNING, INTERRUPTED = "queued", "running", "interrupted"  # JobStatus values, kept plain here
FINISHED = ("done", "stopped", "failed", INTERRUPTED)

SCHEMA = """
CREATE TABLE jobs (
    seq            INTEGER PRIMARY KEY,           -- the queue's order: a later submission has a larger seq
    job_id         TEXT NOT NULL UNIQUE,
    owner          TEXT NOT NULL,                 -- the owner key of the submitting browser; never shown
    status         TEXT NOT NULL,                 -- queued, running, done, stopped, failed, interrupted
    config         TEXT NOT NULL,                 -- TrainConfig.to_dict() as JSON
    followups      TEXT NOT NULL DEFAULT '[]',    -- more TrainConfig dicts, trained after config in one job
    submitted_at   REAL NOT NULL,
    started_at     REAL,
    finished_at    REAL,
    error          TEXT,                          -- the one sentence a failed job shows
    run_ids        TEXT NOT NULL DEFAULT '[]',    -- the saved runs, as JSON
    stage          INTEGER NOT NULL DEFAULT 0,    -- which of the configs was training
    snapshot       TEXT,                          -- the live record's last snapshot (JSON), while it runs
    server_pid     INTEGER,                       -- the server that queued or runs it (pid and start time),
    server_started INTEGER                        -- so a second server on the same home leaves it alone
)
"""
COLUMNS = ("seq", "job_id", "owner", "status", "config", "followups", "submitted_at", "started_at", "finished_at",
           "error", "run_ids", "stage", "snapshot", "server_pid", "server_started")

_problems: dict[Path, str] = {}  # the sentence about a bad file, per database path, for this process
_unusable: set[Path] = set()  # paths where no database could be made at all
_problems_lock = threading.Lock()


@dataclass
class StoredJob:
    """One row of the table, decoded."""

    job_id: str
    owner: str
    status: str
    config: dict[str, Any]
    followups: list[dict[str, Any]] = field(default_factory=list)
    submitted_at: float = 0.0
    started_at: float | None = None
    finished_at: float | None = None
    error: str | None = None
    run_ids: list[str] = field(default_factory=list)
    stage: int = 0
    snapshot: dict[str, Any] | None = None


def database_path(home: Path | None = None) -> Path:
    return (home or lab_home()) / FILE_NAME


def this_server() -> tuple[int, int | None]:
    """This process as pid and kernel start time: a recycled pid is never mistaken for it."""
    from webapp.housekeeping import process_start_time

    return os.getpid(), process_start_time(os.getpid())


def _server_alive(pid: int | None, started: int | None) -> bool:
    from webapp.housekeeping import process_start_time

    return pid is not None and pid > 0 and started is not None and process_start_time(pid) == started


class NotTheLabsDatabase(Exception):
    """The file at the store's path is not a job database of this lab; the message says why."""


class JobStoreUnavailable(RuntimeError):
    """The lab home cannot hold a job database (read-only, say): the queue then lives in memory only."""


class JobStore:
    """The jobs table of one lab home. Opening it checks the file (and moves a foreign one aside)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or database_path()
        self._local = threading.local()
        self.problem = check(self.path)
        if self.path in _unusable:
            raise JobStoreUnavailable(self.problem)

    # -- connections and transactions ---------------------------------------------------------------
    def _connection(self) -> sqlite3.Connection:
        """This thread's connection (sqlite3 connections belong to the thread that opened them)."""
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = _connect(self.path)
            self._local.connection = connection
        return connection

    def _write(self, sql: str, parameters: tuple[Any, ...]) -> None:
        """One statement in its own transaction: committed when this returns, rolled back if it fails."""
        connection = self._connection()
        with connection:
            connection.execute(sql, parameters)

    def close(self) -> None:
        """Close this thread's connection (others close when their thread's objects go)."""
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    # -- writes --------------------------------------------------------------------------------------
    def add(self, job: StoredJob) -> None:
        """A job was submitted: it waits, owned by this server."""
        pid, started = this_server()
        self._write("INSERT INTO jobs (job_id, owner, status, config, followups, submitted_at, server_pid, "
                    "server_started) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (job.job_id, job.owner, job.status, json.dumps(job.config), json.dumps(job.followups),
                     job.submitted_at, pid, started))

    def mark_running(self, job_id: str, started_at: float) -> None:
        self._write("UPDATE jobs SET status = ?, started_at = ? WHERE job_id = ?", (RUNNING, started_at, job_id))

    def save_snapshot(self, job_id: str, stage: int, snapshot: dict[str, Any]) -> None:
        """The running job's live record, so an interruption keeps the curves it had."""
        self._write("UPDATE jobs SET stage = ?, snapshot = ? WHERE job_id = ? AND status = ?",
                    (stage, json.dumps(snapshot), job_id, RUNNING))

    def finish(self, job_id: str, status: str, finished_at: float, error: str | None, run_ids: list[str]) -> None:
        """Done, stopped or failed: its runs hold the curves now, so the snapshot is dropped."""
        self._write("UPDATE jobs SET status = ?, finished_at = ?, error = ?, run_ids = ?, snapshot = NULL "
                    "WHERE job_id = ?", (status, finished_at, error, json.dumps(run_ids), job_id))

    def prune(self, keep_finished: int) -> None:
        """Forget all but the latest `keep_finished` finished jobs (their runs stay in the runs store)."""
        placeholders = ", ".join("?" for _ in FINISHED)
        self._write(f"DELETE FROM jobs WHERE status IN ({placeholders}) AND seq NOT IN (SELECT seq FROM jobs WHERE "
                    f"status IN ({placeholders}) ORDER BY seq DESC LIMIT ?)", (*FINISHED, *FINISHED, keep_finished))

    # -- reads ---------------------------------------------------------------------------------------
    def jobs(self) -> list[StoredJob]:
        """Every job in the table, in the order they were submitted."""
        rows = self._connection().execute(f"SELECT {', '.join(COLUMNS)} FROM jobs ORDER BY seq").fetchall()
        return [_decode(row) for row in rows]

    def get(self, job_id: str) -> StoredJob | None:
        row = self._connection().execute(f"SELECT {', '.join(COLUMNS)} FROM jobs WHERE job_id = ?",
                                         (job_id,)).fetchone()
        return _decode(row) if row else None

    def take_over(self) -> list[StoredJob]:
        """At a server's start: adopt the unfinished jobs of servers that are gone (a job that was running is
        marked interrupted), and return every job this server now answers for, in submission order. Jobs of
        another live server sharing this lab home are left to it."""
        pid, started = this_server()
        connection = self._connection()
        with connection:
            connection.execute("BEGIN IMMEDIATE")  # no other server adopts the same jobs meanwhile
            rows = connection.execute("SELECT job_id, status, server_pid, server_started FROM jobs "
                                      "WHERE status IN (?, ?)", (WAITING, RUNNING)).fetchall()
            mine = [row for row in rows if (row[2], row[3]) == (pid, started) or not _server_alive(row[2], row[3])]
            for job_id, status, _, _ in mine:
                connection.execute("UPDATE jobs SET status = ?, server_pid = ?, server_started = ?, finished_at = ? "
                                   "WHERE job_id = ?", (INTERRUPTED if status == RUNNING else WAITING, pid, started,
                                                        time.time() if status == RUNNING else None, job_id))
        others = {row[0] for row in rows} - {row[0] for row in mine}
        return [job for job in self.jobs() if job.job_id not in others]


def _decode(row: tuple[Any, ...]) -> StoredJob:
    values = dict(zip(COLUMNS, row))
    return StoredJob(job_id=values["job_id"], owner=values["owner"], status=values["status"],
                     config=json.loads(values["config"]), followups=json.loads(values["followups"]),
                     submitted_at=values["submitted_at"], started_at=values["started_at"],
                     finished_at=values["finished_at"], error=values["error"], run_ids=json.loads(values["run_ids"]),
                     stage=values["stage"], snapshot=json.loads(values["snapshot"]) if values["snapshot"] else None)


def _connect(path: Path) -> sqlite3.Connection:
    """A connection whose writes each begin a transaction that `with connection:` commits."""
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, check_same_thread=True)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")  # in WAL mode a commit still survives a killed process
    return connection


# -- checking the file --------------------------------------------------------------------------------
def check(path: Path | None = None) -> str | None:
    """Make sure `path` is the lab's job database (creating it if missing), once per process and path.
    A file that is not the lab's is moved aside; the sentence saying so is returned (and logged), else None."""
    path = path or database_path()
    with _problems_lock:
        if path in _problems:
            return _problems[path] or None
        sentence = ""
        try:
            try:
                _prepare(path)
            except NotTheLabsDatabase as why:
                aside = _move_aside(path)
                sentence = (f"The job database {path} is not the lab's ({why}), so it was moved aside to "
                            f"{aside.name} and the lab started with an empty queue.")
                LOG.warning("%s", sentence)
                _prepare(path)
        except (OSError, sqlite3.Error, NotTheLabsDatabase) as error:
            sentence = (f"The job database {path} cannot be written ({error}), so waiting jobs will not survive "
                        "a restart of the server.")
            LOG.warning("%s", sentence)
            _unusable.add(path)
        _problems[path] = sentence
        return sentence or None


def problem(home: Path | None = None) -> str | None:
    """The sentence about this lab home's job database, if its file was not the lab's (Home shows it)."""
    return check(database_path(home))


def activity(home: Path | None = None) -> tuple[int, int]:
    """(jobs training, jobs waiting) on this lab home, no names: how busy the lab is, for Home. (0, 0) where
    there is no usable database (the queue then lives in the server's memory only)."""
    path = database_path(home)
    if check(path) and path in _unusable:
        return 0, 0
    try:
        connection = _connect(path)
        try:
            rows = dict(connection.execute("SELECT status, COUNT(*) FROM jobs WHERE status IN (?, ?) GROUP BY status",
                                           (RUNNING, WAITING)).fetchall())
        finally:
            connection.close()
    except sqlite3.Error:
        return 0, 0
    return int(rows.get(RUNNING, 0)), int(rows.get(WAITING, 0))


def forget_checks() -> None:
    """Check every file again at its next use (tests)."""
    with _problems_lock:
        _problems.clear()
        _unusable.clear()


def _prepare(path: Path) -> None:
    """Create the table in a new or empty file; raise NotTheLabsDatabase for any other file but the lab's."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    except sqlite3.Error as error:
        raise NotTheLabsDatabase(f"it cannot be opened: {error}") from None
    try:
        _check_or_create(connection)
    except sqlite3.DatabaseError as error:  # "file is not a database", and the like
        raise NotTheLabsDatabase(f"SQLite says: {error}") from None
    finally:
        connection.close()


def _check_or_create(connection: sqlite3.Connection) -> None:
    application_id = connection.execute("PRAGMA application_id").fetchone()[0]
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if application_id == 0 and not tables:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("BEGIN IMMEDIATE")
        connection.execute(SCHEMA)
        connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        connection.execute("COMMIT")
        return
    if application_id != APPLICATION_ID:
        listed = ", ".join(sorted(tables)) or "none"
        raise NotTheLabsDatabase(f"another program's SQLite database, with the tables {listed}")
    columns = {row[1] for row in connection.execute("PRAGMA table_info(jobs)")}
    if not set(COLUMNS) <= columns:
        raise NotTheLabsDatabase("its jobs table lacks columns the lab needs")


def _move_aside(path: Path) -> Path:
    """Rename the file (and its WAL and shared-memory files) to a free `.not-the-labs-*` name; never delete."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.not-the-labs-{stamp}")
    number = 1
    while aside.exists():
        number += 1
        aside = path.with_name(f"{path.name}.not-the-labs-{stamp}-{number}")
    os.replace(path, aside)
    for suffix in ("-wal", "-shm"):
        sidecar = path.with_name(path.name + suffix)
        if sidecar.exists():
            os.replace(sidecar, aside.with_name(aside.name + suffix))
    return aside
