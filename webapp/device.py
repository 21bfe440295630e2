"""Everything that depends on the backend's view of the hardware lives here, and only here.

`describe_quickly()` is for the Home page: it asks `nvidia-smi`, never TensorFlow, so it costs milliseconds.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from typing import Any, ContextManager


def gpu_names_from_driver() -> list[str]:
    """GPU names as the NVIDIA driver lists them (`nvidia-smi -L`), or [] without a driver."""
    tool = shutil.which("nvidia-smi")
    if not tool:
        return []
    try:
        listing = subprocess.run([tool, "-L"], capture_output=True, text=True, timeout=5, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.split(":", 1)[1].split("(UUID")[0].strip() for line in listing.splitlines() if line.startswith("GPU")]


def describe_quickly() -> str:
    """One line for the Home page: the GPUs the driver sees, or the CPU cores."""
    gpus = gpu_names_from_driver()
    if gpus:
        return f"GPU: {', '.join(gpus)}"
    return f"CPU ({os.cpu_count() or 1} cores), no GPU found"


def _backend() -> str:
    import keras

    return keras.backend.backend()


def accelerators() -> list[str]:
    """The accelerators the Keras backend itself will use (its own names)."""
    if _backend() == "tensorflow":
        import tensorflow as tf

        return [gpu.name for gpu in tf.config.list_logical_devices("GPU")]
    if _backend() == "jax":
        import jax

        return [str(device) for device in jax.devices() if device.platform != "cpu"]
    return []


def describe() -> str:
    """What training will run on, as recorded with each run."""
    found = accelerators()
    backend = _backend()
    if found:
        return f"{len(found)} GPU ({backend}): {', '.join(gpu_names_from_driver() or found)}"
    return f"CPU, {os.cpu_count() or 1} cores ({backend})"


def cpu_has_native_bfloat16(cpuinfo: str | None = None) -> bool:
    """True on x86 CPUs with AVX512-BF16 or AMX (bfloat16 matrix units), read from /proc/cpuinfo."""
    if cpuinfo is None:
        try:
            with open("/proc/cpuinfo", encoding="utf-8") as file:
                cpuinfo = file.read(200_000)
        except OSError:
            return False
    flags = set(cpuinfo.split())
    return bool(flags & {"avx512_bf16", "amx_bf16"})


def gpu_has_native_bfloat16() -> bool:
    """True for NVIDIA GPUs of compute capability 8.0 or newer (Ampere, Hopper...)."""
    if _backend() == "tensorflow":
        import tensorflow as tf

        details = [tf.config.experimental.get_device_details(gpu) for gpu in tf.config.list_physical_devices("GPU")]
        return bool(details) and all(detail.get("compute_capability", (0, 0)) >= (8, 0) for detail in details)
    return bool(accelerators())  # JAX picks bfloat16 kernels where the device has them


def resolve_precision(requested: str) -> str:
    """The Keras dtype policy for a run: "auto" means bfloat16 compute (float32 weights) where the
    hardware runs it natively, which trains faster at the same accuracy, and plain float32 elsewhere."""
    if requested != "auto":
        return requested
    native = gpu_has_native_bfloat16() if accelerators() else cpu_has_native_bfloat16()
    return "mixed_bfloat16" if native else "float32"


def resident_device() -> str | None:
    """Where a job places its training set once, to slice its batches there: TensorFlow's first GPU, else the host
    ("/CPU:0"); None on other backends, whose jobs go through `fit` (see `training.ResidentRows`)."""
    if _backend() != "tensorflow":
        return None
    found = accelerators()
    return found[0] if found else "/CPU:0"


def use_xla() -> bool:
    """Whether training steps are XLA-compiled: on a GPU, where fusing the small kernels of these networks pays back
    the compile time; not on a CPU, where the CNN's step was measured 3-4x slower compiled (2-core EPYC: 72 vs 34
    ms per float32 batch of 256, 104 vs 23 ms in bfloat16) and its first batch 2-4x longer."""
    return bool(accelerators())


def mirrored_strategy(device_type: str = "GPU") -> Any | None:
    """A `tf.distribute.MirroredStrategy` over every logical device of that type, when there are two or more."""
    if _backend() != "tensorflow":
        return None
    import tensorflow as tf

    devices = [device.name for device in tf.config.list_logical_devices(device_type)]
    return tf.distribute.MirroredStrategy(devices) if len(devices) > 1 else None


def training_scope(device_type: str = "GPU") -> ContextManager[Any]:
    """The scope to build and compile models in: data-parallel over several GPUs, plain otherwise."""
    strategy = mirrored_strategy(device_type)
    return strategy.scope() if strategy is not None else contextlib.nullcontext()


def share_gpus() -> None:
    """Let several training processes share each GPU: TensorFlow otherwise takes a GPU's whole memory when it
    starts, and a second job on it would fail. Memory then grows as a job needs it (and is kept for the next job
    of the same process). Must run before TensorFlow initialises its devices; later it changes nothing."""
    if _backend() != "tensorflow":
        return
    import tensorflow as tf

    for gpu in tf.config.list_physical_devices("GPU"):
        with contextlib.suppress(RuntimeError, ValueError):
            tf.config.experimental.set_memory_growth(gpu, True)


def split_cpu_for_testing(count: int = 2) -> None:
    """Expose the CPU as `count` logical devices, so the multi-device path can be tested without GPUs.

    Must run before TensorFlow initialises its devices.
    """
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * count)


def import_backend_quietly() -> None:
    """Import Keras (and so TensorFlow) with native stderr muted: its C++ start-up lines are noise
    for a command-line user, and no environment variable silences them all."""
    import sys

    if "keras" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import keras  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
