"""The multi-device path (MirroredStrategy), exercised on the CPU split into two logical devices."""
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import PROJECT_ROOT

SCRIPT = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    sys.path.insert(0, {root!r} + "/tests")
    from webapp import device
    device.split_cpu_for_testing(2)
    from conftest import synthetic_digits
    from webapp.config import TrainConfig
    from webapp.datasets import Dataset
    from webapp.training import run_training
    strategy = device.mirrored_strategy("CPU")
    print("replicas", strategy.num_replicas_in_sync)
    x, y = synthetic_digits(400)
    record, results = run_training(TrainConfig(models=("dnn", "cnn"), epochs=1, batch_size=32),
                                   data=Dataset(x, y, x[:50], y[:50]), device_type="CPU")
    print("trained", [r.name for r in results], min(r.test_accuracy for r in results))
""")


@pytest.mark.slow
def test_training_runs_data_parallel_over_two_logical_devices():
    result = subprocess.run([sys.executable, "-c", SCRIPT.format(root=str(PROJECT_ROOT))], capture_output=True,
                            text=True, timeout=300, cwd=PROJECT_ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "replicas 2" in result.stdout
    assert "trained ['dnn', 'cnn']" in result.stdout


def test_home_page_device_line_needs_no_tensorflow():
    code = ("import sys; from webapp.device import describe_quickly; describe_quickly(); "
            "print('tensorflow' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=60)
    assert result.stdout.strip() == "False"
