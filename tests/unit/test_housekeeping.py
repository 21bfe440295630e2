"""Start-up clean-up: a stray training process of a dead server, its interrupted job, and old leftovers."""
import os
import subprocess
import sys
import time

from webapp import housekeeping


def dead_pid() -> int:
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    return finished.pid


def write_state(home, server_pid, child_pid, job=None, slot=0):
    home.mkdir(parents=True, exist_ok=True)
    housekeeping._write_json_atomically(housekeeping.state_path(home, slot), {
        "server_pid": server_pid, "server_started": housekeeping.process_start_time(server_pid),
        "pid": child_pid, "started": housekeeping.process_start_time(child_pid), "job": job})


def test_a_stray_of_a_dead_server_is_killed_and_its_job_marked_interrupted(lab_home):
    stray = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        write_state(lab_home, dead_pid(), stray.pid, {"job_id": "job-1234abcd", "owner": "someone",
                                                      "config": {"models": ["dnn"]}})
        assert housekeeping.reap_stray_training(lab_home) == ["job-1234abcd"]
        assert stray.wait(timeout=10) == -9
        record = housekeeping.interrupted_job("job-1234abcd", lab_home)
        assert record["status"] == "interrupted" and record["config"] == {"models": ["dnn"]}
        assert not housekeeping.state_path(lab_home).exists()
    finally:
        stray.kill()


def test_the_strays_of_every_slot_are_killed_and_their_jobs_marked_interrupted(lab_home):
    """With CONVNET_LAB_MAX_JOBS above one, each slot's training process has its own record."""
    strays = [subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"]) for _ in range(2)]
    try:
        server = dead_pid()
        for slot, stray in enumerate(strays):
            write_state(lab_home, server, stray.pid, {"job_id": f"job-000{slot}abcd"}, slot=slot)
        assert housekeeping.state_path(lab_home, 1).name == "training-process-1.json"
        assert sorted(housekeeping.reap_stray_training(lab_home)) == ["job-0000abcd", "job-0001abcd"]
        assert [stray.wait(timeout=10) for stray in strays] == [-9, -9]
        assert not list(lab_home.glob("training-process*.json"))
    finally:
        for stray in strays:
            stray.kill()


def test_the_process_of_a_live_server_is_left_alone(lab_home):
    server = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        write_state(lab_home, server.pid, child.pid, {"job_id": "job-0000aaaa"})
        assert housekeeping.reap_stray_training(lab_home) == []
        assert child.poll() is None and housekeeping.state_path(lab_home).exists()
    finally:
        server.kill()
        child.kill()


def test_a_recycled_pid_is_not_killed(lab_home):
    """The record names the child by pid and start time: another process with that pid is not touched."""
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        write_state(lab_home, dead_pid(), bystander.pid)
        state = housekeeping._read_state(housekeeping.state_path(lab_home))
        housekeeping._write_json_atomically(housekeeping.state_path(lab_home),
                                            {**state, "started": state["started"] - 1})
        housekeeping.reap_stray_training(lab_home)
        assert bystander.poll() is None
    finally:
        bystander.kill()


def test_old_temporary_and_deleting_folders_are_removed_young_ones_kept(lab_home):
    runs = lab_home / "runs"
    samples = lab_home / "collections" / "mine" / "3"
    for folder in (runs / ".tmp-run-1", runs / ".deleting-run-2", runs / ".tmp-young", runs / "kept-run"):
        folder.mkdir(parents=True)
    samples.mkdir(parents=True)
    (samples / ".tmp-abc.png").write_bytes(b"x")
    old = time.time() - 3600
    for path in (runs / ".tmp-run-1", runs / ".deleting-run-2", runs / "kept-run", samples / ".tmp-abc.png"):
        os.utime(path, (old, old))
    removed = housekeeping.on_server_start(lab_home)["removed"]
    assert sorted(removed) == [".deleting-run-2", ".tmp-abc.png", ".tmp-run-1"]
    assert sorted(path.name for path in runs.iterdir()) == [".tmp-young", "kept-run"]
