"""The Transfer page's panels: the source, target, size and recipe controls, a diagram of what each recipe does
with the source's layers, seed 004's 2x2 grid filled with what the learner measured, and a finished job's
curves and mistakes (the Train page's, from webapp.ui.training_panels)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import altair as alt
import pandas as pd
import streamlit as st

from webapp import datasets, transfer, transfer_grid
from webapp.config import TrainConfig
from webapp.job import Job
from webapp.store import RunInfo
from webapp.transfer import CELLS, RECIPES, TARGETS, Cell
from webapp.ui import cached, identity, state
from webapp.ui.theme import is_dark, themed
from webapp.ui.training_panels import results, run_actions

JOBS_KEY = "transfer_jobs"  # the transfer jobs this session submitted or followed (their runs fill the grid)
EPOCH_CHOICES = (1, 10)
BATCH_SIZES = (16, 32, 64, 128, 256)
ROLE_COLOURS = {"frozen": "#4c78a8", "retrained": "#f58518", "random": "#b279a2", "new": "#54a24b", "cut": "#9d9d9d"}
BOX_HEIGHT = 34  # pixels per layer in the recipes' diagram: two lines of 11-pixel words
ROLE_WORDS = {"frozen": "frozen", "retrained": "retrained", "random": "random init", "new": "new", "cut": "cut"}

INTRO = (
    "Reuse a CNN trained on handwritten digits 0-4 (the **source**) for a new task (the **target**) in seed 004's "
    "four ways, raced on the same batches. The seed's advice depends on two things: how many images the target "
    "has (small or large) and how much they look like the source's (digits 5-9: similar; clothes: different).\n\n"
    "Start with the small, similar cell (about a minute on a CPU): does keeping the frozen network and training "
    "only a new head win, as the seed says? Then try Fashion-MNIST, or a large target, and notice which recipe "
    "wins there, and how many seconds each one needs."
)


@dataclass(frozen=True)
class Choice:
    """The page's settings: where to transfer to, how many images, which recipes, how long."""

    target: str
    large: bool
    small_images: int
    recipes: tuple[str, ...]
    epochs: int
    batch_size: int

    def config(self, source: RunInfo) -> TrainConfig:
        return transfer_grid.cell_config(source, self.target, self.large, self.recipes, **self.sizes)

    def all_cells(self, source: RunInfo) -> list[TrainConfig]:
        return transfer_grid.grid_configs(source, self.recipes, **self.sizes)

    @property
    def sizes(self) -> dict[str, int]:
        return {"small_images": self.small_images, "epochs": self.epochs, "batch_size": self.batch_size}


def remember(job: Job | None) -> None:
    """Keep the followed job's id in this session, so its cells stay in the grid when another job is followed."""
    jobs = st.session_state.setdefault(JOBS_KEY, [])
    if job is not None and job.job_id not in jobs:
        jobs.append(job.job_id)


def source_picker(initial: TrainConfig | None) -> RunInfo | None:
    """The source run: the shipped CNN on digits 0-4, or any saved CNN trained on 28x28 grey images."""
    listing = cached.visible_runs()
    choices = {info.run_id: info for info in transfer_grid.sources(listing.runs)}
    if not choices:
        st.error("No saved CNN to start from: train a CNN on the Train page first.")
        return None
    names = list(choices)
    start = initial.source_run if initial is not None and initial.source_run in choices else names[0]
    picked = st.selectbox(
        "Source network", names, index=names.index(start), key="transfer_source",
        format_func=lambda run_id: choices[run_id].label,
        help="The trained CNN whose layers the recipes reuse. The shipped one is seed 004's 3-conv/3-dense network "
             "trained on MNIST digits 0-4; any saved run of a network with convolutions, trained on 28x28 grey "
             "images, can be the source too (dense networks are not listed: they have no convolutions to reuse).")
    return choices[picked]


def settings(initial: TrainConfig | None) -> Choice:
    """Target, size, recipes, epochs and batch size, started from the followed job's settings if there is one."""
    start_target = transfer_grid.target_of(initial.dataset) if initial is not None else None
    left, middle, right = st.columns(3)
    target = left.radio(
        "Target", list(TARGETS), format_func=lambda name: TARGETS[name].label, key="transfer_target",
        index=list(TARGETS).index(start_target or transfer_grid.target_for(similar=True)),
        help="What the reused network learns next. Digits 5-9 look like the source's digits (strokes, loops); "
             "Fashion-MNIST's clothes do not, so less of what the source learnt carries over.")
    data = datasets.get(TARGETS[target].dataset)
    large = middle.radio(
        "Target size", [False, True], key="transfer_large", horizontal=True,
        index=int(initial is not None and initial.subset == 0),
        format_func=lambda big: f"Large (all {data.train_size:,})" if big else "Small",
        help="Small: a few hundred to two thousand images, as many of each class. Large: every training image "
             "of the target. The seed's advice changes with the size: few images overfit a big network easily.")
    small_images = middle.slider(
        "Small target: training images", transfer.SMALL_RANGE[0], transfer.SMALL_RANGE[1], step=100,
        value=initial.subset if initial is not None and initial.subset else transfer.DEFAULT_SMALL_IMAGES,
        key="transfer_images", disabled=large,
        help=f"How many of the {data.train_size:,} training {data.item}s a small target has, the same number of "
             "each class (1/12 of them held out for validation).")
    recipes = st.multiselect(
        "Recipes", list(RECIPES), format_func=lambda name: RECIPES[name].label, key="transfer_recipes",
        default=list(initial.recipes) if initial is not None else list(RECIPES),
        help="Which ways of reusing the source race each other; they all see the same batches in the same order. "
             "The diagram below shows what each keeps, freezes, cuts and adds.")
    epochs = right.slider(
        "Epochs", *EPOCH_CHOICES, value=initial.epochs if initial is not None else transfer.DEFAULT_EPOCHS,
        key="transfer_epochs",
        help="Passes over the target's training images. Two are enough to see which recipe leads; a large target "
             "takes minutes per epoch on a CPU.")
    batch_size = right.select_slider(
        "Batch size", BATCH_SIZES, key="transfer_batch",
        value=initial.batch_size if initial is not None and initial.batch_size in BATCH_SIZES
        else transfer.DEFAULT_BATCH_SIZE,
        help="Images per training step. Small targets need small batches: with 100 images, batches of 128 "
             "would not fill even one step.")
    return Choice(target, large, small_images, tuple(recipes), epochs, batch_size)


def start_buttons(source: RunInfo | None, choice: Choice, busy: bool) -> tuple[TrainConfig | None,
                                                                               tuple[TrainConfig, ...], str | None]:
    """"Train this cell" and "Run all four cells": the job's first config, its followups, and the sentence that
    says why these settings cannot train (shown at once; the button it concerns waits until it is fixed)."""
    if source is None:
        return None, (), "Choose a source network first."
    cell, cell_problem = _attempt(lambda: [choice.config(source)])
    grid, grid_problem = _attempt(lambda: choice.all_cells(source))
    problem = cell_problem or grid_problem
    if problem:
        st.error(problem)
    first: TrainConfig | None = None
    rest: tuple[TrainConfig, ...] = ()
    one, four = st.columns(2)
    if one.button("Train this cell", type="primary", icon=":material/play_arrow:", key="transfer_one",
                  disabled=bool(cell_problem or busy), width="stretch",
                  help="Race the chosen recipes on the chosen target and size; its grid cell below fills when it "
                       "ends.") and cell:
        first = cell[0]
    if four.button("Run all four cells", icon=":material/grid_view:", key="transfer_four",
                   disabled=bool(grid_problem or busy), width="stretch",
                   help="One job that trains the four cells one after another (small similar, small different, "
                        "large similar, large different) with these recipes, epochs and small size; the large "
                        "ones take minutes on a CPU.") and grid:
        first, rest = grid[0], tuple(grid[1:])
    if busy:
        st.caption("The job below is still training: wait for it (or stop it) before starting another.")
    return first, rest, problem


def _attempt(make: Callable[[], list[TrainConfig]]) -> tuple[list[TrainConfig], str | None]:
    """The configs `make` builds, or none and the sentence that says why they cannot train."""
    try:
        return make(), None
    except ValueError as error:
        return [], str(error)


# -- the recipes' diagram --------------------------------------------------------------------------------------
def _layer_name(name: str) -> str:
    """'conv_1' -> 'conv 1', 'new_probabilities' -> 'new output': short enough for a box."""
    return name.replace("probabilities", "output").replace("scale_to_unit", "scale").replace("_", " ")


def recipe_rows(source: RunInfo, recipes: tuple[str, ...], classes: int) -> tuple[list[dict], list[dict]]:
    """The diagram's boxes (recipe, layer, role, weights) and one summary row per recipe."""
    signature = source.path.stat().st_mtime
    boxes, summary = [], []
    for recipe in recipes:
        roles, trainable, frozen = cached.recipe_layers(source.run_id, signature, recipe, classes)
        label = RECIPES[recipe].label
        for role in roles:
            weights = f"{role.params:,}" if role.params else ""
            boxes.append({"recipe": label, "short": RECIPES[recipe].short, "layer": _layer_name(role.name),
                          "kind": role.kind,
                          "role": ROLE_WORDS[role.role],
                          "weights": role.params, "text": f"{ROLE_WORDS[role.role]}\n{weights}".strip()})
        cut = sum(role.params for role in roles if role.role == "cut")
        summary.append({"Recipe": label, "Trainable weights": f"{trainable:,}", "Frozen weights": f"{frozen:,}",
                        "Cut from the source": f"{cut:,}", "What it does": RECIPES[recipe].what})
    return boxes, summary


def layer_order(boxes: list[dict]) -> list[str]:
    """The source's layers in order, then the new ones in the order a recipe stacks them (a recipe's cut layers
    are gone: what it adds comes after what it keeps), the new output last."""
    names = list(dict.fromkeys(box["layer"] for box in boxes))
    added = sorted((name for name in names if name.startswith("new ")), key=lambda name: name == "new output")
    return [name for name in names if not name.startswith("new ")] + added


def recipe_chart(boxes: list[dict]) -> alt.LayerChart:
    """One column of layer boxes per recipe, the layers top to bottom in network order, each box naming its role
    in words (colour only repeats it). Columns, not rows: on a phone a row of a dozen boxes left each too narrow
    for its words, while four columns of a quarter of the width hold "random init" and "18,496"."""
    frame = pd.DataFrame(boxes)
    order = layer_order(boxes)
    # A recipe's name one word a line (a column is a quarter of a phone's width); Vega draws the lines under the
    # first, so they are lifted by as many lines, clear of the boxes.
    lines = max(len(str(short).split()) for short in frame["short"])
    x = alt.X("short:N", sort=list(dict.fromkeys(frame["short"])), title=None,
              axis=alt.Axis(orient="top", labelAngle=0, labelExpr="split(datum.label, ' ')", labelLimit=200,
                            labelFontWeight="bold", labelPadding=4 + 13 * (lines - 1)))
    y = alt.Y("layer:N", sort=order, title=None, axis=alt.Axis(labelLimit=120))
    roles = [ROLE_WORDS[role] for role in ROLE_COLOURS]
    colours = list(ROLE_COLOURS.values())
    tooltip = [alt.Tooltip("recipe:N"), alt.Tooltip("layer:N"), alt.Tooltip("kind:N", title="Keras layer"),
               alt.Tooltip("role:N"), alt.Tooltip("weights:Q", format=",")]
    base = alt.Chart(frame).encode(x=x, y=y)
    rects = base.mark_rect(cornerRadius=4, opacity=0.45, stroke="#888", strokeWidth=1).encode(
        color=alt.Color("role:N", scale=alt.Scale(domain=roles, range=colours),
                        # The boxes' pale fill and grey outline on a legend's small square left only a grey
                        # outline (frozen looked like cut): the key's squares are larger, solid and unoutlined
                        legend=alt.Legend(orient="bottom", columns=3, title="Role (also written in each box)",
                                          symbolType="square", symbolSize=180, symbolOpacity=0.8,
                                          symbolStrokeWidth=0)),
        tooltip=tooltip)
    text = base.mark_text(fontSize=11, lineBreak="\n").encode(text="text:N", tooltip=tooltip)
    # Streamlit fits the recipes' names above and the legend below into the height too
    height = BOX_HEIGHT * len(order) + 150
    return themed(alt.LayerChart(layer=[rects, text]).properties(height=height))


@st.cache_data(show_spinner=False, max_entries=32)
def recipe_spec(boxes: list[dict], dark: bool) -> dict:
    """`recipe_chart`'s Vega-Lite spec, kept per diagram and theme (`dark` keys the cache: its words take the
    theme's ink). Building the Altair chart and checking it against the schema took ~250 ms on every switch of
    target; tests/unit/test_transfer.py checks the same chart against the schema once."""
    return recipe_chart(boxes).to_dict(validate=False)


def recipe_diagrams(source: RunInfo | None, choice: Choice) -> None:
    """What each chosen recipe keeps, freezes, cuts and adds, with its trainable and frozen weights."""
    if source is None or not choice.recipes:
        return
    classes = datasets.get(TARGETS[choice.target].dataset).num_classes
    with st.expander("What each recipe does with the source's layers", expanded=True, icon=":material/account_tree:"):
        boxes, summary = recipe_rows(source, choice.recipes, classes)
        st.vega_lite_chart(recipe_spec(boxes, is_dark()), width="stretch")
        st.caption(f"One column per recipe. Boxes top to bottom: the source network's layers, then the layers a "
                   f"recipe adds for the target's {classes} classes. Frozen: kept and never changed; retrained: kept, "
                   "then trained further (at a tenth of the new layer's rate); random init: the same layer started "
                   "afresh; cut: dropped; new: added and trained. The number in a box is its weights.")
        # The sentences go in a list under the numbers: as a fifth column they were cut off on a phone
        table = pd.DataFrame(summary).set_index("Recipe")
        st.table(table.drop(columns="What it does"))  # a table, not a grid: long recipe names wrap
        st.markdown("\n".join(f"- **{label}**{also_called(name)}: {RECIPES[name].what}"
                               for name, label in zip(choice.recipes, table.index)))


def also_called(recipe: str) -> str:
    """' (New head only)': the short name the diagram's columns and the race chart give a recipe, where it
    differs from its label."""
    short, label = RECIPES[recipe].short, RECIPES[recipe].label
    return "" if short == label else f" ({short})"


# -- the running job, the grid, the finished job ----------------------------------------------------------------
def stage_text(job: Job) -> str:
    """Which cell the job trains now: 'Cell 2 of 4: Small target, different data (1,000 images of ...)'."""
    config = job.current_config
    cell = transfer_grid.cell_of(config)
    what = f"{cell.title if cell else 'Transfer'} ({transfer_grid.describe_config(config)})"
    if len(job.configs) > 1:
        return f"**Cell {job.stage + 1} of {len(job.configs)}**: {what}."
    return f"**{what}**."


def measured(job: Job | None) -> dict[Cell, transfer_grid.CellResult]:
    """The grid's results: the saved runs of this session's transfer jobs and of every job this browser has on
    the queue (so a reload finds them again), and of the job in the URL."""
    ids = list(st.session_state.get(JOBS_KEY, []))
    ids += [mine.job_id for mine in cached.queue().jobs_of(identity.visitor_key()) if mine.config.is_transfer]
    if job is not None or state.current_job_id():
        ids.append(job.job_id if job is not None else state.current_job_id() or "")
    return transfer_grid.grid(cached.visible_runs().runs, ids)


def grid_panel(results_by_cell: dict[Cell, transfer_grid.CellResult]) -> None:
    """Seed 004's 2x2 grid: rows small and large, columns similar and different; each measured cell with its
    recipes' test accuracy and seconds, the winner, the seed's advice and whether they agree."""
    st.subheader("Seed 004's four cases, measured")
    st.caption("Rows: the target's size. Columns: how much the target looks like the source's digits 0-4. "
               "Each cell shows the latest race you ran there; run all four to fill the grid in one job.")
    for large in (False, True):
        columns = st.columns(2)
        for column, similar in zip(columns, (True, False)):
            cell = next(cell for cell in CELLS if cell.large == large and cell.similar == similar)
            with column.container(border=True):
                cell_panel(cell, results_by_cell.get(cell))


def cell_panel(cell: Cell, result: transfer_grid.CellResult | None) -> None:
    target = TARGETS[transfer_grid.target_for(cell.similar)]
    st.markdown(f"**{cell.title}** · {target.label}")
    advice = " or ".join(RECIPES[name].label for name in cell.recommended)
    st.caption(f"The seed advises: {advice}. {cell.reason}")
    if result is None:
        st.caption("Not measured yet: choose this target and size above and train this cell, or run all four cells.")
        return
    st.markdown(cell_table(result))
    verdict = result.verdict
    (st.success if verdict.startswith("Agrees") else st.info)(verdict)
    reason = transfer.why_it_may_differ(result.cell, result.winner)
    if reason:
        st.caption(reason)
    stopped = " Stopped early: the scores are of partly trained models." if result.stopped else ""
    st.caption(f"{transfer_grid.describe_config(result.config)}, from {result.config.source_run}; job "
               f"{result.job_id}.{stopped}")


def cell_table(result: transfer_grid.CellResult) -> str:
    """A markdown table: each recipe's test accuracy and compute seconds, the winner and the seed's advice named."""
    accuracies, seconds, winner = result.accuracies, result.seconds, result.winner
    lines = ["| Recipe | Test accuracy | Compute seconds | |", "|---|---:|---:|---|"]
    for name in accuracies:
        notes = [word for word, applies in (("winner", name == winner),
                                            ("seed's advice", name in result.cell.recommended)) if applies]
        label = f"**{RECIPES[name].label}**" if name == winner else RECIPES[name].label
        lines.append(f"| {label} | {accuracies[name]:.1%} | {seconds[name]:.1f} | {', '.join(notes)} |")
    return "\n".join(lines)


def job_details(runs: list[RunInfo]) -> None:
    """A finished job's runs: the curves, scores and mistakes of one of its cells, and each run's downloads."""
    if not runs:
        return
    by_cell: dict[str, list[RunInfo]] = {}
    for info in runs:
        config = TrainConfig.from_dict(info.record.train_config)
        cell = transfer_grid.cell_of(config)
        by_cell.setdefault(cell.title if cell else info.record.dataset, []).append(info)
    st.divider()
    names = list(by_cell)
    shown = names[0]
    if len(names) > 1:
        shown = st.radio("Details of", names, index=len(names) - 1, horizontal=True, key="transfer_details",
                         help="The job ran several cells: pick the one whose curves, scores and mistakes to show.")
    results(by_cell[shown])
    st.subheader("Download the runs")
    chosen = {info.run_id: info for info in by_cell[shown]}
    picked = st.selectbox("Run", list(chosen), format_func=lambda run_id: chosen[run_id].label, key="transfer_run",
                          help="Every recipe's trained network is saved as a run: download its model or its "
                               "curves. The Train page's Saved runs lists them too.")
    run_actions(chosen[picked])
