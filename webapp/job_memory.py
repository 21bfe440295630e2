"""How much device memory a training job needs, and whether the GPU has room for one more.

On a GPU several jobs may train at once (`CONVNET_LAB_MAX_JOBS`): the queue admits the next one only while
its estimate fits the memory the device has free. The estimate adds, per job:

- the resident dataset: its training images (or the subset) and test images, as float32 numbers;
- per model of the race: weights, one gradient per trainable weight, the optimizer's slots (Adam keeps two
  moments, so weights x3 before gradients) and every layer's output for a whole batch, kept for the backward
  pass (`webapp.summary.memory_report`, which the Architectures page shows);
- the training process's own share of the device before any tensor: the CUDA context and cuDNN's workspace.

It is an estimate in float32 (mixed precision needs less), good enough to keep jobs from running the device
out of memory, not a promise. Free memory is read from `nvidia-smi`, so the server never loads TensorFlow
to ask. Networks are counted once per process (`summary.network_table`, cached).
"""
from __future__ import annotations

import math
import shutil
import subprocess
from dataclasses import dataclass
from typing import Callable, Iterable

from webapp import datasets
from webapp.config import TrainConfig
from webapp.summary import MemorySettings, NetworkTable, memory_report, network_table

MIB = 1024 * 1024
PROCESS_OVERHEAD_BYTES = 600 * MIB  # one CUDA context with cuBLAS/cuDNN loaded, measured on recent drivers
FLOAT_BYTES = 4


@dataclass(frozen=True)
class JobMemory:
    """A job's estimated device memory, in bytes, by part."""

    dataset: int
    models: int
    process: int = PROCESS_OVERHEAD_BYTES

    @property
    def total(self) -> int:
        return self.dataset + self.models + self.process


def dataset_bytes(config: TrainConfig) -> int:
    """The training images the job uses and the test images, as float32."""
    info = datasets.get(config.dataset)
    images = (config.subset or info.train_size) + info.test_size
    return images * math.prod(info.image_shape) * FLOAT_BYTES


def models_bytes(config: TrainConfig, table_of: Callable[[str], NetworkTable] = network_table) -> int:
    """What training keeps per model of the race, summed: a transfer race's recipes are each counted as the
    source network (a frozen recipe needs less: no gradients or slots for its frozen layers)."""
    networks = [config.models[0]] * len(config.recipes) if config.is_transfer else list(config.models)
    optimizer = config.optimizer if config.optimizer in ("adam", "rmsprop", "sgd") else "adam"
    settings = MemorySettings(batch_size=config.batch_size, optimizer=optimizer, dtype="float32")
    return sum(memory_report(table_of(name), settings).training_bytes for name in networks)


def job_memory(configs: Iterable[TrainConfig],
               table_of: Callable[[str], NetworkTable] = network_table) -> JobMemory:
    """The estimate for a job: its largest stage (the stages of a job train one after another)."""
    stages = [JobMemory(dataset=dataset_bytes(config), models=models_bytes(config, table_of)) for config in configs]
    return max(stages, key=lambda stage: stage.total)


def fits(needed: int, running: Iterable[int], free: int, held_by_lab: int) -> bool:
    """Whether a job needing `needed` bytes fits beside the running jobs' estimates.

    `free` is what the device has free now; `held_by_lab` what the lab's own training processes hold now
    (TensorFlow keeps memory between jobs). The room is the memory the lab could use at all (free + its own)
    less what each running job is expected to need."""
    return needed <= free + held_by_lab - sum(running)


# -- reading the device ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class DeviceMemory:
    free: int  # bytes free on the fullest GPU
    held: dict[int, int]  # bytes used on the GPUs, per process id


def parse_free(output: str) -> int | None:
    """`nvidia-smi --query-gpu=memory.free --format=csv,noheader,nounits`: MiB per GPU, one a line; the least
    free (a job may use every GPU through the mirrored strategy), in bytes."""
    values = [int(line.strip()) for line in output.splitlines() if line.strip().isdigit()]
    return min(values) * MIB if values else None


def parse_processes(output: str) -> dict[int, int]:
    """`nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader,nounits`: bytes per process."""
    held: dict[int, int] = {}
    for line in output.splitlines():
        pid, _, used = line.partition(",")
        if pid.strip().isdigit() and used.strip().isdigit():
            held[int(pid)] = held.get(int(pid), 0) + int(used) * MIB
    return held


def read_device_memory() -> DeviceMemory | None:
    """The GPUs' free memory and each process's use, from the driver; None without one (a CPU machine)."""
    tool = shutil.which("nvidia-smi")
    if not tool:
        return None

    def ask(query: str) -> str:
        return subprocess.run([tool, query, "--format=csv,noheader,nounits"], capture_output=True, text=True,
                              timeout=10, check=False).stdout

    try:
        free = parse_free(ask("--query-gpu=memory.free"))
        held = parse_processes(ask("--query-compute-apps=pid,used_memory"))
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    return DeviceMemory(free=free, held=held) if free is not None else None
