"""A job's device-memory estimate on known networks, and reading the driver's answers."""
from webapp.config import TrainConfig
from webapp.job_memory import (MIB, PROCESS_OVERHEAD_BYTES, dataset_bytes, fits, job_memory, models_bytes,
                               parse_free, parse_processes)
from webapp.summary import network_table

LENET_PARAMS = 61_706  # LeNet-5 as LeCun et al. (1998) count it: the textbook figure
DNN_PARAMS = 784 * 128 + 128 + 128 * 10 + 10


def test_known_networks_have_their_textbook_parameter_counts():
    assert network_table("lenet").total_params == LENET_PARAMS
    assert network_table("dnn").total_params == DNN_PARAMS


def test_a_race_counts_weights_gradients_adams_two_moments_and_a_batch_of_outputs_per_model():
    config = TrainConfig(models=("dnn", "lenet"), batch_size=32, subset=1000, optimizer="adam")
    outputs = {name: sum(row.activation_elements for row in network_table(name).rows) for name in ("dnn", "lenet")}
    expected = sum(4 * (params * (1 + 1 + 2) + outputs[name] * 32)
                   for name, params in (("dnn", DNN_PARAMS), ("lenet", LENET_PARAMS)))
    assert models_bytes(config) == expected


def test_sgd_keeps_no_slots_and_a_larger_batch_only_grows_the_outputs():
    adam = models_bytes(TrainConfig(models=("dnn",), batch_size=64, optimizer="adam"))
    sgd = models_bytes(TrainConfig(models=("dnn",), batch_size=64, optimizer="sgd"))
    assert adam - sgd == 2 * DNN_PARAMS * 4
    double = models_bytes(TrainConfig(models=("dnn",), batch_size=128, optimizer="sgd"))
    outputs = sum(row.activation_elements for row in network_table("dnn").rows)
    assert double - sgd == outputs * 64 * 4


def test_the_dataset_is_the_subset_and_the_test_images_and_a_job_is_its_largest_stage():
    small = TrainConfig(models=("dnn",), subset=1000)
    assert dataset_bytes(small) == (1000 + 10_000) * 28 * 28 * 4
    whole = TrainConfig(models=("dnn",))
    estimate = job_memory([small, whole])
    assert estimate == job_memory([whole]) and estimate.process == PROCESS_OVERHEAD_BYTES
    assert estimate.total == dataset_bytes(whole) + models_bytes(whole) + PROCESS_OVERHEAD_BYTES


def test_a_job_fits_in_the_free_memory_plus_the_labs_own_less_the_running_jobs_needs():
    assert fits(100, [], free=100, held_by_lab=0)
    assert not fits(101, [], free=100, held_by_lab=0)
    assert fits(100, [300], free=50, held_by_lab=350)
    assert not fits(100, [300, 1], free=50, held_by_lab=350)


def test_the_drivers_answers_are_read_in_bytes():
    assert parse_free("80000\n40000\n") == 40000 * MIB, "the fullest GPU decides"
    assert parse_free("") is None and parse_free("[N/A]\n") is None
    assert parse_processes("123, 500\n456, 20\n123, 4\nNo running processes found\n") == {123: 504 * MIB,
                                                                                         456: 20 * MIB}
