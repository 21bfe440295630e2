"""The lab's server on a free port, and Chromium: what the browser benchmarks and the browser tests share.

`start_server` runs `streamlit run app.py` headless in its own process group; `chromium_path` finds Debian's
Chromium (or `CHROMIUM_PATH`), launched with `CHROMIUM_ARGS`.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from typing import Callable, Iterator

from webapp.paths import PROJECT_ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, env: dict[str, str] | None = None, log_path: str | None = None) -> subprocess.Popen:
    """`streamlit run app.py` headless on `port`, in its own process group so it can be stopped cleanly."""
    command = [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "app.py"), "--server.headless", "true",
               "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL
    return subprocess.Popen(command, cwd=PROJECT_ROOT, env={**os.environ, **(env or {})},
                            stdout=log, stderr=log, start_new_session=True)


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_until_healthy(port: int, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1) as answer:
                if answer.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"The server on port {port} did not answer within {timeout:.0f} s.")


def chromium_path() -> str | None:
    """Debian's Chromium (or `CHROMIUM_PATH`); None lets Playwright use its own browser where it has one."""
    configured = os.environ.get("CHROMIUM_PATH")
    if configured:
        return configured
    return shutil.which("chromium") or shutil.which("chromium-browser")


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@contextlib.contextmanager
def private_server(url: str | None, log: Callable[[str], None],
                   timeout: float = 120) -> Iterator[tuple[str, int | None, str | None]]:
    """(address, pid, lab home) of the server a benchmark measures: the given `url` (its pid and home unknown), or
    a fresh one on a free port with a private lab home, stopped and removed afterwards."""
    if url:
        yield url.rstrip("/"), None, None
        return
    with tempfile.TemporaryDirectory(prefix="convnet-lab-bench-") as home:
        port = free_port()
        log(f"starting a server on port {port}...")
        process = start_server(port, env={"CONVNET_LAB_HOME": home})
        try:
            wait_until_healthy(port, timeout=timeout)
            yield f"http://127.0.0.1:{port}", process.pid, home
        finally:
            stop_server(process)
