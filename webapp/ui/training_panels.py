"""The Train page's panels: the live job, its results, and the runs store browser."""
from __future__ import annotations

from typing import Any, Callable

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from webapp import datasets, evaluation, housekeeping
from webapp.codegen import reproduce_script
from webapp.datasets import Dataset, DatasetInfo
from webapp.curves import METRICS, X_AXES, chart_rows, plotted_summary
from webapp.errors import describe_error
from webapp.history import progress
from webapp.config import LEGACY_DEFAULTS, TrainConfig
from webapp.job import Job, JobStatus
from webapp.jobs import QueueFullError
from webapp.network_catalog import short_name
from webapp.ownership import NotOwnerError
from webapp.presets import comparison_rows, matching_preset, reference_points
from webapp.run_record import RunRecord
from webapp.store import RunInfo, history_csv
from webapp.ui import cached, identity, state
from webapp.ui.charts import confusion_chart, race_chart

POLL_SECONDS = 1.0


def chart_axes(key: str) -> tuple[str, str]:
    """Radio buttons for the chart's x axis and metric."""
    left, right = st.columns(2)
    x = left.radio("X axis", list(X_AXES), format_func=lambda axis: X_AXES[axis], horizontal=True, key=f"{key}_x",
                   help="Epochs compare learning per image seen; compute seconds compare learning per second of "
                        "each model's own training time.")
    metric = right.radio("Show", list(METRICS), format_func=lambda name: METRICS[name], horizontal=True,
                         key=f"{key}_metric",
                         help="Accuracy: share of images classified correctly. Loss: the cross-entropy the optimizer "
                              "minimises.")
    return x, metric


def draw_curves(histories: dict[str, dict[str, Any]], key: str, epochs: float | None = None,
                kinds: dict[str, str] | None = None, configs: dict[str, dict[str, Any]] | None = None) -> None:
    """The race chart with its axis choices; `epochs` fixes the epoch axis to the whole run; `kinds` maps each
    label to its model kind (dnn, cnn, ...), which gives it the same colour, dash and marker as on every page.
    `configs` (label -> the run's TrainConfig as a dict) adds what a tutorial reported with the same settings."""
    x, metric = chart_axes(key)
    references = reference_marks(kinds or {}, configs or {})
    names = {label: series_name(label, kind) for label, kind in (kinds or {}).items()}
    rows = chart_rows({names.get(label, label): history for label, history in histories.items()}, x=x,
                      metric=metric, references={names.get(label, label): marks for label, marks in references.items()})
    if not rows:
        st.info("The first batches are on their way: the curves appear in a second or two.")
        return
    st.altair_chart(race_chart(rows, x=x, metric=metric, x_max=epochs if x == "epoch" else None,
                               kinds={names[label]: kind for label, kind in (kinds or {}).items()} or None),
                    width="stretch")
    st.caption(curves_caption(histories, x, configs or {}, references))


def reference_marks(kinds: dict[str, str], configs: dict[str, dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """For each chart label whose run used a settings preset's values: the numbers that preset's source reported."""
    marks = {}
    for label, config in configs.items():
        named = matching_preset(config, kinds.get(label))
        if named and kinds.get(label) in named.reference_train_accuracy:
            marks[label] = reference_points(named, kinds[label])
    return marks


def curves_caption(histories: dict[str, dict[str, Any]], x: str, configs: dict[str, dict[str, Any]],
                   references: dict[str, list[dict[str, Any]]]) -> str:
    """What each line and marker is, in words, and why a run without a held-out part has no validation curve."""
    parts = ["Thin lines: training batches (smoothed)."]
    if any(config.get("validation", True) for config in configs.values()) or not configs:
        parts.append("Thick lines with filled markers: validation on held-out training images.")
    if not all(config.get("validation", True) for config in configs.values()):
        parts.append("No validation curve where a run held no images out (as seed 003 did, training on all of "
                     "MNIST's 60,000): nothing was kept aside to validate on, so only the test set (or a collection's "
                     "held-out share) judges it, at the end.")
    if any(history.get("epochs") for history in histories.values()):
        parts.append("Hollow markers: each epoch's training accuracy as Keras' fit log reports it (the mean over "
                     "that epoch's batches).")
    if any(history.get("test") for history in histories.values()):
        parts.append("Diamonds: the final test accuracy on the run's whole test set (for your own classes, the "
                     "held-out share of each class).")
    smoothings = sorted({config.get("label_smoothing", 0.0) for config in configs.values()} - {0.0})
    if smoothings:
        parts.append(f"With label smoothing ({', '.join(map(str, smoothings))}) the training loss is measured against "
                     "the smoothed targets, so it levels off well above 0 (about 0.5 at 0.1) however well the "
                     "network reads the images; validation and test losses are plain cross-entropy on the labels.")
    if references and x == "epoch":
        sources = sorted({point["label"].split(":")[0] for points in references.values() for point in points
                          if point["label"]})
        parts.append(f"Crosses: the training accuracy {', '.join(sources)} reported at each epoch's end, with the same "
                     "settings (the last one labelled).")
    if x == "seconds":
        parts.append("Compute seconds start after each model's first batch, which also traces and compiles its "
                     "training step: a one-off cost, left out.")
    return " ".join(parts) + f" Plotted: {plotted_summary(histories)}."


def submit_job(config: TrainConfig | None, problem: str | None, param: str = state.JOB_PARAM,
               followups: tuple[TrainConfig, ...] = (), shown_in: DeltaGenerator | None = None) -> None:
    """Queue the form's job (and `followups`, trained after it in the same job) and follow it in the URL, or say in
    one sentence why not. The new job is drawn in `shown_in` (the place the page keeps for its job, above the
    form) in this same run; without it the page reruns to show it first, which costs the learner a second run."""
    if problem or config is None:
        st.error(problem or "These settings cannot train.")
        return
    try:
        job = cached.queue().submit(config, identity.visitor_key(), followups)
    except QueueFullError as busy:
        st.warning(str(busy))
        return
    except NotOwnerError as refused:  # a collection opened by its link: only its owner trains on it
        st.error(str(refused))
        return
    except ValueError as misconfigured:  # a server setting that is not a number: the teacher's to fix
        st.error(str(misconfigured))
        return
    state.follow_job(job.job_id, param)
    if shown_in is None:
        st.rerun()
    with shown_in:
        show_job(job)


def followed_job() -> Job | None:
    """The job named in the URL (a reload reconnects to it), or None, with a sentence if it is gone. The page
    shows it first (`show_job`), folds its form away and fills the form with the job's settings."""
    job_id = state.current_job_id()
    job = cached.queue().get(job_id)
    if job_id and job is None and housekeeping.interrupted_job(job_id):
        st.warning("The server restarted while this job was training, so it was interrupted before it could save; "
                   "train it again.")
    elif job_id and job is None:
        st.info("That training job is no longer on this server (it may have restarted); its saved runs are listed "
                "below.")
    return job


def show_job(job: Job | None, describe_stage: Callable[[Job], str] | None = None,
             outcome: Callable[[list[RunInfo]], None] | None = None) -> None:
    """The followed job: live while it runs, its outcome when it ends. `describe_stage` says which of a
    multi-config job's stages is training ("Cell 2 of 4: ..."); `outcome` draws the finished job's runs
    (default: `results`)."""
    if job is None:
        return
    if job.finished:
        job_outcome(job, outcome or results)
    else:
        live_job(job, describe_stage)


def form_area(job: Job | None) -> Any:
    """Where the training form goes: the page itself, or, below a job being shown, a folded expander, so the
    job's chart is what the learner sees first."""
    if job is None:
        return st.container()
    return st.expander("Train another run (the settings of the run above are filled in)", expanded=False,
                       icon=":material/tune:")


def live_job(job: Job, describe_stage: Callable[[Job], str] | None = None) -> None:
    """Redrawn every second by a fragment while the job is queued or running; a full rerun when it ends."""
    if job.finished:
        return
    st.fragment(run_every=POLL_SECONDS)(_live_job_body)(job, describe_stage)


def entry_label(name: str) -> str:
    """How charts and metrics name a race entry: a network's short name (DNN, CNN), or a transfer recipe's label."""
    from webapp.transfer import RECIPES

    return RECIPES[name].label if name in RECIPES else short_name(name)


def series_name(label: str, kind: str) -> str:
    """A chart's name for a series: a transfer recipe's short name ("New head only": its label does not fit a
    legend entry or an end label), else the label itself."""
    from webapp.transfer import RECIPES

    return RECIPES[kind].short if kind in RECIPES else label


def run_label(info: RunInfo) -> str:
    """How charts and metrics name a saved run's model: its network, or the recipe of a transfer run."""
    return entry_label(info.record.recipe or info.model_name)


def _live_job_body(job: Job, describe_stage: Callable[[Job], str] | None = None) -> None:
    queue = cached.queue()
    if job.finished:
        st.rerun()  # draw the results with the whole page
    if job.status == JobStatus.QUEUED:
        wait = queue.wait_estimate(job)
        when = f" It should start in about {_duration(wait)}." if wait is not None else ""
        training = len(queue.running())  # several at once where CONVNET_LAB_MAX_JOBS allows
        others = "another learner's job is" if training <= 1 else f"{training} other learners' jobs are"
        st.info(f"Queued, position {queue.position(job)}: {others} training. "
                f"Yours starts when the jobs ahead of it end.{when}",
                icon=":material/hourglass_top:")
    owner = identity.visitor_key()
    if owner != job.owner:
        st.caption("You are watching a job started in another browser: only that browser can stop it.")
    elif st.button("Stop", icon=":material/stop:", key=f"stop_{job.job_id}",
                   help="Stop within one batch; what was trained so far is evaluated and saved, marked stopped."):
        queue.stop(job, owner)
        st.toast("Stopping after the current batch...")
    if describe_stage and job.status == JobStatus.RUNNING:
        st.markdown(describe_stage(job))
    if job.record is None:
        if job.status == JobStatus.RUNNING:
            st.caption("Preparing the data and building the models...")
        return
    snapshot = job.record.snapshot()
    fraction, eta = progress(snapshot)
    eta_text = f", about {_duration(eta)} left" if eta is not None and fraction < 1 else ""
    stopping = " (stopping)" if job.stop_event.is_set() else ""
    st.progress(min(1.0, fraction), text=f"Training{stopping}: {fraction:.0%}{eta_text}")
    record_curves(job, snapshot, key="live")


def record_curves(job: Job, snapshot: dict[str, Any], key: str) -> None:
    """The curves of a job's live record (or of the last one saved before the server was interrupted)."""
    draw_curves({entry_label(name): curves for name, curves in snapshot["curves"].items()}, key=key,
                epochs=snapshot["total_steps"] / snapshot["steps_per_epoch"],
                kinds={entry_label(name): name for name in snapshot["curves"]},
                configs={entry_label(name): job.current_config.to_dict() for name in snapshot["curves"]})


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def job_outcome(job: Job, outcome: Callable[[list[RunInfo]], None] | None = None) -> None:
    """What became of a finished job: its error, or its results (drawn by `outcome`, default `results`)."""
    if job.status == JobStatus.FAILED:
        st.error(job.error or "Training failed.")
        return
    if job.status == JobStatus.INTERRUPTED:
        interrupted(job)
        return
    if job.status == JobStatus.STOPPED and not job.runs:
        st.warning("The job was taken off the queue before it started.")
        return
    if job.status == JobStatus.STOPPED:
        st.warning("Stopped early: the models below are saved as they were, marked stopped.")
    (outcome or results)(job.runs)


def interrupted(job: Job) -> None:
    """A job the server's restart interrupted: why it has no saved models, the curves it had, and (for its own
    browser) a button that queues the same settings again."""
    st.warning("The server restarted while this job was training, so it was interrupted before it could save its "
               "models. The curves below are where it had got to.", icon=":material/restart_alt:")
    owner = identity.visitor_key()
    if owner != job.owner:
        st.caption("Only the browser that started this job can start it again.")
    elif st.button("Start again", icon=":material/replay:", key=f"again_{job.job_id}",
                   help="Queue this job's settings again, as a new job that trains from the start."):
        try:
            again = cached.queue().start_again(job, owner)
        except QueueFullError as busy:
            st.warning(str(busy))
        else:
            state.follow_job(again.job_id)
            st.rerun()
    if job.record is not None:
        record_curves(job, job.record.snapshot(), key="interrupted")


def results(runs: list[RunInfo]) -> None:
    """Test scores side by side, then each model's confusion matrix and misclassified images, all on the test
    set of the dataset the runs were trained on (a race trains every model on one dataset)."""
    if not runs:
        return
    dataset = datasets.get(runs[0].record.dataset)
    st.subheader(f"Results on the {dataset.test_size:,} test {dataset.item}s of {dataset.label}")
    if dataset.reference_accuracies:
        st.caption(reference_line(dataset))
    for column, info in zip(st.columns(len(runs)), runs):
        column.metric(f"{run_label(info)} test accuracy", f"{info.record.test_accuracy:.2%}",
                      help=f"{info.record.params:,} parameters, trained on {info.record.device}.")
        warm_up = info.record.warmup_seconds
        warm_up_text = f" (+{warm_up:.1f} s warm-up)" if warm_up is not None else ""
        smoothing = info.record.train_config.get("label_smoothing", 0.0)
        loss_note = (f" (trained with label smoothing {smoothing}: its surest answers stop short of 100%, so this "
                     "plain cross-entropy stays higher than an unsmoothed run's)") if smoothing else ""
        column.caption(f"Test loss {info.record.test_loss:.4f}{loss_note} · {info.record.compute_seconds:.1f} s of "
                       f"compute{warm_up_text} · saved as {info.run_id}")
        if info.record.augmentation:
            column.caption(f"Trained on augmented images: {info.record.augmentation}")
    loaded = {info.run_id: cached.store().load_history(info.run_id) for info in runs}
    histories = {info.model_name: loaded[info.run_id] for info in runs}
    draw_curves({run_label(info): loaded[info.run_id] for info in runs}, key="final",
                kinds={run_label(info): info.record.recipe or info.model_name for info in runs},
                configs={run_label(info): info.record.train_config for info in runs})
    reported_beside_measured(runs, histories)
    test_set = cached.dataset(dataset.name)
    tabs = st.tabs([f"{run_label(info)} mistakes" for info in runs])
    for tab, info in zip(tabs, runs):
        with tab:
            mistakes(info, test_set)


def reference_line(dataset: DatasetInfo) -> str:
    """The dataset's published test accuracies in one line, so a run's score has something to be judged by."""
    points = " · ".join(f"{who}: {accuracy:.2%}" for who, accuracy in dataset.reference_accuracies)
    return f"Published on the same test set, for comparison: {points}."


def reported_beside_measured(runs: list[RunInfo], histories: dict[str, dict[str, Any]]) -> None:
    """For runs trained with a settings preset's values: each epoch's training accuracy its source reported, next
    to the lab's own (Keras' epoch log, the number the source's log shows too)."""
    named = matching_preset(runs[0].record.train_config, runs[0].model_name) if runs else None
    if named is None or not named.reference_train_accuracy:
        return
    measured = {name: history for name, history in histories.items() if name in named.reference_train_accuracy}
    st.markdown(f"**{named.label}: training accuracy at each epoch's end, as {named.source} reported it and as the "
                "lab measured it**")
    st.dataframe(comparison_rows(named, measured), hide_index=True, width="stretch")
    st.caption(f"{named.description} Both numbers are Keras' own epoch log: the mean accuracy over the epoch's "
               "batches while the weights were still changing, so they run a little below what the finished model "
               "scores on the same images. The lab drops the last, partial batch of each epoch (468 full batches "
               "of 128, where the tutorial's log counts 469).")


NO_FILTER = "all (no filter)"  # the mistakes filters' first choice: it reads as the way back to every mistake
SHOWN_MISTAKES = 40  # the gallery's pictures at most: beyond that a page of thumbnails only slows the browser


def mistakes(info: RunInfo, test_set: Dataset) -> None:
    """The run's confusion matrix and a gallery of its mistakes, named with its dataset's classes."""
    x_test, y_test = test_set.x_test, test_set.y_test
    names, item = test_set.info.class_names, test_set.info.item
    # a digit or a garment names its class; a learner's "sample" does not, so its axes and filters say "class"
    kind = "class" if item == "sample" else item
    predictions = cached.store().load_predictions(info.run_id)
    if predictions is None or len(predictions) != len(y_test):
        st.info("This run has no saved test predictions.")
        return
    matrix = evaluation.confusion_matrix(y_test, predictions, len(names))
    left, right = st.columns([1, 1])
    left.altair_chart(confusion_chart(matrix, f"{run_label(info)}: true vs predicted", names, kind),
                      width="stretch")
    worst = evaluation.most_confused(matrix)
    if worst:
        left.caption("Most confused: " + "; ".join(f"{names[t]} read as {names[p]} ({n}x)" for t, p, n in worst) + ".")
    any_label = [None, *range(len(names))]
    label = lambda value: NO_FILTER if value is None else names[value]  # noqa: E731
    pick_true, pick_pred = right.columns(2)
    true_label = pick_true.selectbox(f"True {kind}", any_label, format_func=label, key=f"true_{info.run_id}",
                                     help=f"Show only mistakes on this {kind}; '{NO_FILTER}' shows them all again.")
    predicted_label = pick_pred.selectbox("Predicted as", any_label, format_func=label, key=f"pred_{info.run_id}",
                                          help=f"Show only mistakes where the model answered this {kind}; "
                                               f"'{NO_FILTER}' shows them all again.")
    wrong = evaluation.misclassified(y_test, predictions, true_label, predicted_label)
    right.caption(mistakes_count(len(wrong), item, SHOWN_MISTAKES))
    if len(wrong):
        shown = wrong[:SHOWN_MISTAKES]
        right.image([x_test[index] for index in shown], width=56,
                    caption=[mistake_caption(names[y_test[index]], names[predictions[index]]) for index in shown])


def mistakes_count(count: int, item: str, shown: int) -> str:
    """How many mistakes match and how many are shown: a collection's few held-out samples often leave none or
    one, where "0 misclassified test samples match; the first 40 are shown" read as a contradiction."""
    if count == 0:
        return f"No misclassified test {item} matches."
    matches = f"1 misclassified test {item} matches" if count == 1 else f"{count} misclassified test {item}s match"
    return f"{matches}; the first {shown} are shown." if count > shown else f"{matches}; all shown."


def mistake_caption(true_name: str, predicted_name: str) -> str:
    """'5→9' for digits; 'Shirt → Coat' for longer names, so a narrow caption wraps between words, not in one."""
    if len(true_name) == 1 and len(predicted_name) == 1:
        return f"{true_name}→{predicted_name}"
    return f"{true_name} → {predicted_name}"


def runs_browser() -> None:
    """Every saved run: overlay their curves, download, show the code that reproduces one, delete."""
    listing = cached.visible_runs()
    for warning in listing.warnings:
        st.warning(warning, icon=":material/folder_off:")
    if not listing.runs:
        st.info("No saved runs yet: train one above.")
        return
    by_id = {info.run_id: info for info in listing.runs}
    st.dataframe([_run_row(info) for info in listing.runs], hide_index=True, width="stretch")
    st.caption("'epochs': passes over the training images actually made (a stopped run shows how far it got, "
               "of how many planned). 'trained on' and 'held out': the images chosen, split 11 to 1; the held-out "
               "ones validate during training. 'recipe': optimizer, learning rate (cosine: decayed to 0 over the "
               "run; warm-up+cosine: climbing from 0 first), batch size and label smoothing. Listed: the shipped "
               "runs, those made with the command line, and this browser's own; another browser's runs are seen "
               "through their job's link.")
    chosen = st.multiselect("Overlay runs", list(by_id), format_func=lambda run_id: by_id[run_id].label,
                            help="Draw the curves of several saved runs on one chart.", key="overlay_runs")
    if chosen:
        draw_curves({_short(by_id[run_id]): cached.store().load_history(run_id) for run_id in chosen}, key="overlay",
                    kinds={_short(by_id[run_id]): by_id[run_id].model_name for run_id in chosen},
                    configs={_short(by_id[run_id]): by_id[run_id].record.train_config for run_id in chosen})
    selected = st.selectbox("Run", list(by_id), format_func=lambda run_id: by_id[run_id].label, key="selected_run",
                            help="Download a run, see the code that reproduces it, or delete it.")
    run_actions(by_id[selected])


def _short(info: RunInfo) -> str:
    """A legend name: the model, the run's last characters, and whether it trained on augmented images."""
    name = f"{short_name(info.model_name)} {'default' if info.is_default else info.run_id[-4:]}"
    return name + (" (augmented)" if info.record.augmentation else "")


def recipe(train: dict[str, Any]) -> str:
    """How a run was trained, in one line: optimizer, learning rate and its schedule, batch size, label smoothing
    (a run stored before a setting existed trained as its `LEGACY_DEFAULTS` say)."""
    if not train:
        return ""
    train = {**LEGACY_DEFAULTS, **train}
    schedule = {"cosine": " cosine", "warmup-cosine": " warm-up+cosine"}.get(train["schedule"], "")
    smoothing = f", smoothing {train['label_smoothing']}" if train["label_smoothing"] else ""
    rate = f"{train.get('optimizer')} {train.get('learning_rate')}{schedule}"
    return f"{rate}, batch {train.get('batch_size')}{smoothing}"


def _run_row(info: RunInfo) -> dict[str, Any]:
    record = info.record
    return {"run": info.run_id, "model": short_name(info.model_name), "status": record.status,
            "test accuracy": record.test_accuracy, "epochs": epochs_text(record),
            "augmentation": record.augmentation or "",
            "trained on": record.train_images, "held out": record.validation_images,
            "recipe": recipe(record.train_config), "created": record.created, "device": record.device}


def epochs_text(record: RunRecord) -> str:
    """Epochs the run made: '3' for a finished run, '1.7 of 3' for one stopped on the way."""
    planned = record.train_config.get("epochs")
    done = epochs_trained(record)
    if done is None or planned is None:
        return "" if planned is None else str(planned)
    if record.status == JobStatus.STOPPED and done < planned:
        return f"{done:.2f} of {planned}" if done < 0.1 else f"{done:.1f} of {planned}"
    return f"{done:g}" if done == int(done) else f"{done:.1f}"


def epochs_trained(record: RunRecord) -> float | None:
    """Epochs actually trained, as saved with the run; for runs saved before that was recorded, from their
    batches and the batches an epoch has."""
    if record.epochs_trained is not None:
        return float(record.epochs_trained)
    batch_size = record.train_config.get("batch_size")
    images, steps = record.train_images, record.steps
    if not (batch_size and images and steps is not None) or images < batch_size:
        return None
    return steps / (images // batch_size)


def run_actions(info: RunInfo) -> None:
    store = cached.store()
    columns = st.columns(3)
    # The bytes are read only when the button is pressed, not on every rerun of the page.
    columns[0].download_button("Download model (.keras)", lambda: store.model_bytes(info.run_id),
                               f"{info.run_id}.keras", mime="application/octet-stream",
                               help="The trained Keras model, loadable with keras.saving.load_model.")
    columns[1].download_button("Download history (CSV)", lambda: history_csv(store.load_history(info.run_id)),
                               f"{info.run_id}-history.csv", mime="text/csv",
                               help="One row per batch, with validation scores.")
    if not info.is_default and not info.record.deletable_by(identity.visitor_key()):
        columns[2].caption("Only the browser that trained a run deletes it; a run made with the command line is "
                           "removed from the server's runs folder.")
    elif not info.is_default and columns[2].button("Delete run", icon=":material/delete:",
                                                   key=f"delete_{info.run_id}",
                                                   help="Remove this run from the store for good."):
        try:
            store.delete(info.run_id)
        except OSError as error:  # a read-only disk, say: one sentence, the run stays listed
            st.error(describe_error(error, "Deleting the run"))
        else:
            st.rerun()
    if info.record.train_images:
        held_out = info.record.validation_images or 0
        st.caption(f"{info.run_id}: {info.record.train_images + held_out:,} images chosen, "
                   f"{info.record.train_images:,} trained on, {held_out:,} held out to validate.")
    tuned = info.record.fine_tuning
    if tuned:
        st.caption(f"This run fine-tuned {tuned['base_run']} on the collection '{tuned['collection']}' "
                   "(Draw & Predict page, where the collection can be downloaded).")
        return
    if info.record.recipe:
        st.caption(f"A transfer run: recipe '{info.record.recipe}' from {info.record.source_run}, made on the "
                   "Transfer page (or with `python -m webapp transfer`).")
        return
    with st.expander("Show code: a Keras script that reproduces this run"):
        st.code(reproduce_script(info.model_name, info.record.train_config), language="python")
