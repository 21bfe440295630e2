"""Per-layer tables of parameters, multiply-adds and memory, and the totals a learner reasons with.

A network's table is computed once (Keras builds its graph but never fills its weights) and cached;
memory for a batch size, an optimizer and a number format is then plain arithmetic on the table.
"""
from __future__ import annotations

import math
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Sequence

from webapp.architectures import SPEC_NETWORKS, Design, build_design, builder
from webapp.formulas import format_bytes, format_shape
from webapp.network_catalog import ARCHITECTURE_LABELS

DTYPE_BYTES = {"float32": 4, "float16": 2}
# Numbers an optimizer keeps per trainable weight (its slot variables in Keras): plain SGD none, SGD with
# momentum a velocity, RMSprop and Adagrad a running sum of squared gradients, Adam and its kin both moments.
OPTIMIZER_SLOTS = {"sgd": 0, "momentum": 1, "rmsprop": 1, "adagrad": 1, "adam": 2, "adamw": 2, "nadam": 2}
KERNEL_NAMES = ("kernel", "depthwise_kernel", "pointwise_kernel")


@dataclass(frozen=True)
class LayerRow:
    """One layer's line; sizes are per image (memory multiplies them by the batch)."""

    name: str
    kind: str  # the Keras class, e.g. Conv2D
    output_shape: tuple[int, ...]  # one image's output, without the batch axis
    activation_elements: int  # numbers in that output
    params: int
    trainable_params: int
    multiply_adds: int
    formula: str = ""  # how `params` is counted, e.g. "(3x3x3+1)x64"
    inputs: tuple[str, ...] = ()  # the rows whose outputs this layer reads


@dataclass(frozen=True)
class NetworkTable:
    name: str
    title: str
    rows: tuple[LayerRow, ...]

    @property
    def total_params(self) -> int:
        return sum(row.params for row in self.rows)

    @property
    def trainable_params(self) -> int:
        return sum(row.trainable_params for row in self.rows)

    @property
    def non_trainable_params(self) -> int:
        return self.total_params - self.trainable_params

    @property
    def multiply_adds(self) -> int:
        return sum(row.multiply_adds for row in self.rows)

    @property
    def is_chain(self) -> bool:
        """Whether each layer reads only the one before it (no branches, no skip connections)."""
        return all(row.inputs == (before.name,) for before, row in zip(self.rows, self.rows[1:]))

    def heaviest(self) -> LayerRow:
        """The layer with the most parameters."""
        return max(self.rows, key=lambda row: row.params)

    def widest(self) -> LayerRow:
        """The layer with the largest output."""
        return max(self.rows, key=lambda row: row.activation_elements)

    def share_by_kind(self, measure: Callable[[LayerRow], int]) -> dict[str, float]:
        """Each layer type's share of a total (parameters, activations...), largest first."""
        totals = Counter[str]()
        for row in self.rows:
            totals[row.kind] += measure(row)
        whole = sum(totals.values()) or 1
        return {kind: amount / whole for kind, amount in totals.most_common()}


@dataclass(frozen=True)
class MemorySettings:
    batch_size: int = 1
    optimizer: str = "adam"
    dtype: str = "float32"

    def __post_init__(self) -> None:
        if not 1 <= self.batch_size <= 65_536:
            raise ValueError("The batch size must be between 1 and 65,536.")
        if self.optimizer not in OPTIMIZER_SLOTS:
            raise ValueError(f"Unknown optimizer {self.optimizer}; choose from {', '.join(OPTIMIZER_SLOTS)}.")
        if self.dtype not in DTYPE_BYTES:
            raise ValueError(f"Unknown number format {self.dtype}; choose from {', '.join(DTYPE_BYTES)}.")


@dataclass(frozen=True)
class MemoryReport:
    """Bytes for a whole batch: per layer, at the inference peak, and what training keeps."""

    settings: MemorySettings
    activation_bytes: tuple[int, ...]  # one per row
    inference_bytes: int  # the most activation memory alive at once during a forward pass
    inference_alive: tuple[str, ...]  # the rows whose outputs are alive at that moment
    activations_bytes: int  # every output, kept for backpropagation
    weights_bytes: int
    gradients_bytes: int
    optimizer_bytes: int

    @property
    def training_bytes(self) -> int:
        return self.activations_bytes + self.weights_bytes + self.gradients_bytes + self.optimizer_bytes


def peak_alive(rows: Sequence[LayerRow], sizes: Sequence[int]) -> tuple[int, tuple[str, ...]]:
    """The largest total size of outputs alive at once when the rows run in order, and which ones.

    An output lives from the layer that makes it to its last reader. In a chain that is the largest pair of
    consecutive outputs; a skip connection keeps its source alive across the whole branch.
    """
    last_reader = {source: index for index, row in enumerate(rows) for source in row.inputs}
    alive: dict[str, int] = {}
    peak = 0
    peak_alive_names: tuple[str, ...] = ()
    for index, (row, size) in enumerate(zip(rows, sizes)):
        alive[row.name] = size
        if sum(alive.values()) > peak:
            peak, peak_alive_names = sum(alive.values()), tuple(alive)
        for source in row.inputs:
            if last_reader[source] == index:
                alive.pop(source, None)
    return peak, peak_alive_names


def memory_report(table: NetworkTable, settings: MemorySettings) -> MemoryReport:
    """Inference keeps only what the next layers still read; training keeps every output for the backward
    pass, plus the weights, one gradient per trainable weight and the optimizer's slots."""
    number = DTYPE_BYTES[settings.dtype]
    sizes = tuple(row.activation_elements * settings.batch_size * number for row in table.rows)
    peak, alive = peak_alive(table.rows, sizes)
    trainable = table.trainable_params * number
    return MemoryReport(settings=settings, activation_bytes=sizes, inference_bytes=peak, inference_alive=alive,
                        activations_bytes=sum(sizes), weights_bytes=table.total_params * number,
                        gradients_bytes=trainable, optimizer_bytes=OPTIMIZER_SLOTS[settings.optimizer] * trainable)


# -- reading a Keras model ----------------------------------------------------------------------------
def _times(shape: Sequence[int]) -> str:
    return "x".join(str(size) for size in shape) or "1"


def parameter_formula(weights: Sequence[Any]) -> str:
    """How a layer's parameters add up: "(3x3x3+1)x64" for a kernel with its bias, "4x64" for a batch norm."""
    shapes = [tuple(int(size) for size in weight.shape) for weight in weights]
    if [weight.name for weight in weights] == ["kernel", "bias"] and len(shapes[0]) > 1 and shapes[1] == shapes[0][-1:]:
        return f"({_times(shapes[0][:-1])}+1)x{shapes[0][-1]}"
    return " + ".join(f"{count}x{_times(shape)}" if count > 1 else _times(shape)
                      for shape, count in Counter(shapes).items())


def multiply_adds(layer: Any, output_shape: Sequence[int]) -> int:
    """Multiply-adds for one image: at every output position each kernel weight is used once.

    So a conv gives out_h*out_w*(k_h*k_w*in_c/groups*out_c), a dense layer in*out, a depthwise conv
    out_h*out_w*k_h*k_w*in_c; layers without kernels (pooling, norms, additions) count none.
    """
    kernels = [weight for weight in layer.weights if weight.name in KERNEL_NAMES]
    positions = math.prod(output_shape[:-1])
    return positions * sum(math.prod(weight.shape) for weight in kernels)


def _size(weights: Sequence[Any]) -> int:
    return sum(math.prod(weight.shape) for weight in weights)


def _row(name: str, kind: str, outputs: Sequence[Any], layer: Any = None, inputs: tuple[str, ...] = ()) -> LayerRow:
    shape = tuple(int(size) for size in outputs[0].shape[1:])
    elements = sum(math.prod(int(size) for size in output.shape[1:]) for output in outputs)
    if layer is None:
        return LayerRow(name, kind, shape, elements, 0, 0, 0)
    return LayerRow(name=name, kind=kind, output_shape=shape, activation_elements=elements,
                    params=_size(layer.weights), trainable_params=_size(layer.trainable_weights),
                    multiply_adds=multiply_adds(layer, shape), formula=parameter_formula(layer.weights),
                    inputs=inputs)


def table_from_model(model: Any, name: str, title: str) -> NetworkTable:
    """One row per layer in the order Keras runs them, each knowing which layers it reads."""
    import keras

    rows: list[LayerRow] = []
    producer: dict[int, str] = {}  # id of an output tensor -> the row that makes it

    def add(row: LayerRow, outputs: Sequence[Any]) -> None:
        rows.append(row)
        producer.update({id(output): row.name for output in outputs})

    listed_inputs = {id(layer.output) for layer in model.layers if isinstance(layer, keras.layers.InputLayer)}
    for tensor in model.inputs:  # a Sequential model's input has no InputLayer among its layers
        if id(tensor) not in listed_inputs:
            add(_row(tensor.name, "InputLayer", [tensor]), [tensor])
    for layer in model.layers:
        outputs = keras.tree.flatten(layer.output)
        if isinstance(layer, keras.layers.InputLayer):
            add(_row(layer.name, "InputLayer", outputs), outputs)
            continue
        sources = tuple(dict.fromkeys(producer[id(tensor)] for tensor in keras.tree.flatten(layer.input)))
        add(_row(layer.name, type(layer).__name__, outputs, layer, sources), outputs)
    return NetworkTable(name=name, title=title, rows=tuple(rows))


def count_layers(build: Callable[[], Any], name: str, title: str) -> NetworkTable:
    """The table of the model `build()` makes, without ever filling its weights.

    Inside a StatelessScope that leaves variables uninitialised, Keras still works out every shape, so
    VGG16 costs milliseconds instead of 550 MB of random numbers. Keras remembers those uninitialised
    variables in per-thread state, so the work runs in a short-lived thread that takes them with it
    (and starts from the default float32 policy and fresh layer names).
    """
    def count() -> NetworkTable:
        import keras

        with keras.StatelessScope(initialize_variables=False):
            model = build()
        return table_from_model(model, name, title)

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(count).result()


@lru_cache(maxsize=None)
def network_table(name: str) -> NetworkTable:
    """The table of a listed network (`dnn` ... `mobilenetv2`), computed once per process."""
    return count_layers(builder(name), name, ARCHITECTURE_LABELS[name])


@lru_cache(maxsize=64)
def design_table(design: Design) -> NetworkTable:
    """The table of a network from the designer."""
    return count_layers(lambda: build_design(design), "design", design.pattern())


def annotated_spec_code(table: NetworkTable) -> str | None:
    """Keras code for a network kept as data (None for the others), each layer's line followed by the shape and
    parameters the table counted for it, so the code and its numbers read side by side."""
    spec = SPEC_NETWORKS.get(table.name)
    if spec is None:
        return None
    rows = {row.name: row for row in table.rows}
    lines = ["model = keras.Sequential([", f"    keras.Input(shape={spec.input_shape}),"]
    for layer in spec.layers:
        row = rows[layer.name]
        params = f", {row.formula} = {row.params:,} parameters" if row.params else ""
        lines.append(f"    {layer.keras_call()},  # {_times(row.output_shape)}{params}")
    lines.append(f"])  # {table.total_params:,} parameters in all")
    return "\n".join(lines)


# -- reporting ----------------------------------------------------------------------------------------
def where_weights_and_memory(table: NetworkTable, dtype: str = "float32") -> str:
    """Two sentences in Markdown: the layer type that holds the weights, the one whose outputs fill the memory,
    and the largest single layer of each, named with its own type (Inception's largest layer is a Dense one
    while Conv2D layers hold most of its weights)."""
    heaviest, widest = table.heaviest(), table.widest()
    weight_kind, weight_share = next(iter(table.share_by_kind(lambda row: row.params).items()))
    memory_kind, memory_share = next(iter(table.share_by_kind(lambda row: row.activation_elements).items()))
    per_image = DTYPE_BYTES[dtype] * widest.activation_elements
    return (
        f"**Where the weights are:** {weight_kind} layers hold {weight_share:.0%} of the parameters. The largest "
        f"single layer is the {heaviest.kind} layer `{heaviest.name}`: {heaviest.params:,} = {heaviest.formula} "
        f"({heaviest.params / max(table.total_params, 1):.1%} of all).  \n"
        f"**Where the memory is:** {memory_kind} outputs take {memory_share:.0%} of the activation memory. The "
        f"largest single output is that of the {widest.kind} layer `{widest.name}` "
        f"({format_shape(widest.output_shape)} numbers): {format_bytes(per_image)} per image, and the layer "
        f"holds {widest.params:,} parameters.")


def format_count(count: float) -> str:
    """Large counts the way papers quote them: 15,470,264,320 -> "15.5 G"."""
    for unit, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count:,.0f}"


def summary_record(table: NetworkTable, report: MemoryReport) -> dict[str, Any]:
    """Everything the CLI prints with --json: totals, memory and one entry per layer."""
    settings = report.settings
    return {
        "network": table.name, "title": table.title, "batch_size": settings.batch_size,
        "optimizer": settings.optimizer, "dtype": settings.dtype,
        "total_params": table.total_params, "trainable_params": table.trainable_params,
        "non_trainable_params": table.non_trainable_params, "multiply_adds": table.multiply_adds,
        "inference_bytes": report.inference_bytes, "inference_alive": list(report.inference_alive),
        "training_bytes": report.training_bytes, "activations_bytes": report.activations_bytes,
        "weights_bytes": report.weights_bytes, "gradients_bytes": report.gradients_bytes,
        "optimizer_bytes": report.optimizer_bytes,
        "layers": [{"name": row.name, "type": row.kind, "output_shape": [None, *row.output_shape],
                    "params": row.params, "multiply_adds": row.multiply_adds, "activation_bytes": size,
                    "inputs": list(row.inputs)}
                   for row, size in zip(table.rows, report.activation_bytes)],
    }


def format_report(table: NetworkTable, report: MemoryReport) -> str:
    """The table and totals as plain text for a terminal, in the spirit of Keras's `model.summary()`."""
    settings = report.settings
    header = f"{'layer':28} {'type':22} {'output shape':18} {'params':>13} {'multiply-adds':>15} {'activations':>19}"
    lines = [f"{table.title}: {table.total_params:,} parameters ({table.trainable_params:,} trainable), "
             f"{format_count(table.multiply_adds)} multiply-adds per image", header, "-" * len(header)]
    for row, size in zip(table.rows, report.activation_bytes):
        shape = "x".join(str(part) for part in row.output_shape)
        lines.append(f"{row.name[:28]:28} {row.kind[:22]:22} {shape:18} {row.params:>13,} "
                     f"{row.multiply_adds:>15,} {format_bytes(size):>19}")
    lines += [
        "-" * len(header),
        f"Batch of {settings.batch_size}, {settings.dtype}:",
        f"  inference {format_bytes(report.inference_bytes)} "
        f"(outputs alive at the peak: {' + '.join(report.inference_alive)})",
        f"  training  {format_bytes(report.training_bytes)} = activations {format_bytes(report.activations_bytes)} "
        f"+ weights {format_bytes(report.weights_bytes)} + gradients {format_bytes(report.gradients_bytes)} "
        f"+ {settings.optimizer} state {format_bytes(report.optimizer_bytes)}",
    ]
    return "\n".join(lines)
