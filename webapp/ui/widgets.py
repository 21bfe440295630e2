"""Controls that return config objects: widgets in, a TrainConfig out, no work done here."""
from __future__ import annotations

from typing import Any

import streamlit as st

from webapp import datasets
from webapp.config import ACTIVATIONS, MODEL_NAMES, OPTIMIZERS, PRECISIONS, SCHEDULES, TrainConfig
from webapp.network_catalog import MODEL_LABELS
from webapp.presets import preset_config
from webapp.ui.state import AUGMENT_PIPELINE_KEY, preset, settings_preset

SUBSET_STEPS = [1_000, 3_000, 6_000, 12_000, 30_000]  # then the whole training set
EPOCH_CHOICES = list(range(1, 21))
BATCH_CHOICES = [16, 32, 64, 128, 256, 512]
RATE_CHOICES = [0.0001, 0.0003, 0.001, 0.002, 0.003, 0.01, 0.03, 0.1]
DROPOUT_CHOICES = [round(step * 0.05, 2) for step in range(17)]  # the slider's 0 to 0.8 in steps of 0.05
SMOOTHING_CHOICES = [0.0, 0.05, 0.1, 0.2, 0.3]
SCHEDULE_LABELS = {"warmup-cosine": "Warm up, then cosine decay", "cosine": "Cosine decay", "constant": "Constant"}


AUGMENTATION_CHOICES = {
    "none": "None: the images as they are",
    "seed": "Tutorial preset: rotate up to 30 degrees, blur",
    "digits": "Digits preset: small turns, shifts and zooms, elastic, dropout",
    "page": "The pipeline built on the Augment page",
    "file": "A pipeline file (YAML or JSON)",
    "job": "The pipeline of the run shown above",
}


def _choice_for(pipeline: dict[str, Any] | None, from_page: dict[str, Any] | None) -> str:
    """The picker's choice that gives this pipeline back: none, a preset, the Augment page's, or the job's own."""
    if pipeline is None:
        return "none"
    from webapp.augment import pipeline_to_dict, preset_pipeline

    for name in ("seed", "digits"):
        if pipeline_to_dict(preset_pipeline(name)) == pipeline:
            return name
    return "page" if pipeline == from_page else "job"


def augmentation_picker(initial: TrainConfig | None = None) -> tuple[dict[str, Any] | None, str | None]:
    """Which Albumentations pipeline augments the training images (validation and test never are):
    (the pipeline in Albumentations' serialised form or None, a problem sentence or None).

    `initial` (the config of the job shown on the page) picks the choice that gives its pipeline back."""
    from_page = st.session_state.get(AUGMENT_PIPELINE_KEY)
    from_job = initial.pipeline if initial is not None else None
    job_choice = _choice_for(from_job, from_page) if initial is not None else None
    choices = [name for name in AUGMENTATION_CHOICES
               if (name != "page" or from_page) and (name != "job" or job_choice == "job")]
    left, right = st.columns([1, 2])
    choice = left.selectbox(
        "Augmentation", choices, format_func=lambda name: AUGMENTATION_CHOICES[name],
        index=choices.index(job_choice or preset("augment", choices, "page" if from_page else "none")),
        help="Applied on the fly to the training images only, differently in every epoch. Build your own on the "
             "Augment page. Compare a run with and without it in 'Saved runs' below.")
    if choice == "none":
        return None, None
    from webapp.augment import (DIGIT_SHAPE, PipelineError, describe_pipeline, pipeline_to_dict, preset_pipeline,
                                read_pipeline_file, sized_for)

    try:
        if choice == "page":
            pipeline = from_page
        elif choice == "job":
            pipeline = from_job
        elif choice == "file":
            upload = right.file_uploader("Pipeline file", type=["yaml", "yml", "json"],
                                         help="A pipeline exported from the Augment page or saved with A.save.")
            if upload is None:
                return None, "Upload a pipeline file, or choose another augmentation."
            # sized for the digits now: holes in pixels larger than a digit get their sentence here, not mid-run
            pipeline = sized_for(read_pipeline_file(upload.getvalue()), DIGIT_SHAPE)
        else:
            pipeline = pipeline_to_dict(preset_pipeline(choice))
        right.caption(f"Training images pass through: {describe_pipeline(pipeline)}")
    except PipelineError as problem:
        return None, str(problem)
    return pipeline, None


def subset_choices(dataset: datasets.DatasetInfo) -> list[int]:
    """The training-set sizes offered for a dataset: round steps below its size, then all of it."""
    return [size for size in SUBSET_STEPS if size < dataset.train_size * 0.9] + [dataset.train_size]


def dataset_picker(initial: TrainConfig | None = None) -> str:
    """Which catalog dataset the networks learn (outside the form, so the form's sizes follow the choice):
    the followed job's, else the URL's `?dataset=`, else MNIST."""
    names = list(datasets.CATALOG)
    start = initial.dataset if initial is not None and initial.dataset in names else preset(
        "dataset", names, datasets.DEFAULT_DATASET)
    return st.selectbox(
        "Dataset", names, index=names.index(start), format_func=lambda name: datasets.get(name).label,
        help="What the networks learn to tell apart. The MNIST halves (digits 0-4, digits 5-9) are for transfer "
             "learning: train on one half, then reuse what was learnt on the other.")


def train_controls(key: str = "train", pipeline: dict[str, Any] | None = None,
                   initial: TrainConfig | None = None,
                   dataset: str = datasets.DEFAULT_DATASET) -> tuple[TrainConfig | None, str | None, bool]:
    """The training form: (config or None, problem sentence or None, submitted).

    The form starts from `initial` (the job shown on the page, so a reopened job link shows its settings),
    else from the URL's presets: single values (`?epochs=2`) over a named settings preset (`?preset=tutorial`)
    over the lab's defaults."""
    named = settings_preset()
    lab = preset_config(named) if named else TrainConfig()
    defaults = initial or lab
    data = datasets.get(dataset)
    sizes = subset_choices(data)

    def start(name: str, allowed: list[Any], job_value: Any, lab_value: Any) -> Any:
        """The job's value where the form offers it, else the URL's preset, else the lab's default."""
        offered = all(item in allowed for item in job_value) if isinstance(job_value, list) else job_value in allowed
        return job_value if initial is not None and offered else preset(name, allowed, lab_value)

    with st.form(key=f"{key}_form", border=True):
        left, middle, right = st.columns(3)
        models = left.multiselect(
            "Models", MODEL_NAMES, default=start("models", list(MODEL_NAMES), list(defaults.models), list(lab.models)),
            format_func=lambda name: MODEL_LABELS[name],
            help="Pick two or more to race them: they see the same batches in the same order.")
        subset = left.select_slider(
            "Training images", sizes, format_func=lambda size: f"{size:,}",
            value=start("images", sizes, defaults.subset or data.train_size, data.train_size),
            help=f"How many of the {data.train_size:,} training {data.item}s of {data.label} to use (1/12 of them "
                 "is held out for validation). Fewer images train faster on a CPU but generalise less.")
        epochs = middle.slider("Epochs", 1, 20, start("epochs", EPOCH_CHOICES, defaults.epochs, lab.epochs),
                               help="Passes over the training images.")
        batch_size = middle.select_slider(
            "Batch size", BATCH_CHOICES, value=start("batch", BATCH_CHOICES, defaults.batch_size, lab.batch_size),
            help="Images per weight update. Larger batches use the hardware better but update less often.")
        optimizer = middle.selectbox(
            "Optimizer", OPTIMIZERS,
            index=OPTIMIZERS.index(start("optimizer", list(OPTIMIZERS), defaults.optimizer, lab.optimizer)),
            help="adam adapts a step size per weight; rmsprop is the original tutorial's choice; sgd is the plain "
                 "baseline.")
        schedule = middle.selectbox(
            "Learning-rate schedule", SCHEDULES, format_func=SCHEDULE_LABELS.__getitem__,
            index=SCHEDULES.index(start("schedule", list(SCHEDULES), defaults.schedule, lab.schedule)),
            help="How the step size changes over the run. Warm up: it climbs from 0 over the first 15% of the "
                 "batches, since big steps on random weights overshoot; cosine decay: it then falls to 0, so the "
                 "last batches settle into a minimum instead of bouncing around it. Constant: the tutorial's way.")
        learning_rate = right.select_slider(
            "Learning rate", RATE_CHOICES, value=start("lr", RATE_CHOICES, defaults.learning_rate, lab.learning_rate),
            help="Step size of each update (the peak, with a schedule). Too high and the loss jumps about; too low "
                 "and learning crawls.")
        label_smoothing = right.select_slider(
            "Label smoothing", SMOOTHING_CHOICES,
            value=start("smoothing", SMOOTHING_CHOICES, defaults.label_smoothing, lab.label_smoothing),
            help="The training targets give this share of the probability to the other classes, so the network "
                 "is not pushed to be 100% sure of every training image. The training loss then cannot fall below "
                 "the targets' own entropy (about 0.5 at 0.1); validation and test losses stay plain.")
        dropout = right.select_slider(
            "Dropout", DROPOUT_CHOICES, value=start("dropout", DROPOUT_CHOICES, round(min(defaults.dropout, 0.8), 2),
                                                    lab.dropout),
            help="Fraction of hidden dense units switched off at random in each training step (at test time "
                 "all work, see ?concept=dropout).")
        activation = right.selectbox(
            "Hidden units", ACTIVATIONS,
            index=ACTIVATIONS.index(start("activation", list(ACTIVATIONS), defaults.activation, lab.activation)),
            help="The activation of the DNN's and CNN's hidden layers: relu is the tutorial's; sigmoid and tanh "
                 "show why relu won (see ?concept=relu). LeNet-5 keeps its own tanh.")
        batch_norm = right.toggle("Batch normalization", defaults.batch_norm,
                                  help="Normalise each layer's outputs per batch before the activation.")
        seed = right.number_input("Seed", 0, 2**31 - 1, int(defaults.seed),
                                  help="Same seed, same data order and starting weights.")
        validation = left.toggle(
            "Hold out validation images", start("validation", [True, False], defaults.validation, lab.validation),
            help="On: 1/12 of the chosen images is kept aside and validates during training (the validation "
                 "curve). Off: every image trains, as seed tutorial 003 did; only the test set judges, at the end.")
        precision = left.selectbox(
            "Precision", PRECISIONS, index=PRECISIONS.index(defaults.precision),
            help="auto computes in bfloat16 (weights stay float32) where the processor or GPU does it natively, "
                 "which trains faster at the same accuracy; float32 everywhere else.")
        submitted = st.form_submit_button("Start training", type="primary", icon=":material/play_arrow:",
                                          help="Queue the job; it starts as soon as the machine is free.")
    try:
        config = TrainConfig(models=tuple(models), epochs=epochs, batch_size=batch_size,
                             subset=0 if subset == data.train_size else subset, seed=int(seed), optimizer=optimizer,
                             learning_rate=learning_rate, schedule=schedule, label_smoothing=label_smoothing,
                             dropout=dropout, batch_norm=batch_norm,
                             precision=precision, pipeline=pipeline, activation=activation, validation=validation,
                             dataset=dataset)
    except ValueError as problem:
        return None, str(problem), submitted
    return config, None, submitted
