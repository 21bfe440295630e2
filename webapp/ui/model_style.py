"""One look per model kind on every chart: the DNN is always the same colour, dash and marker, on every page.

Keyed by the network's kind (`dnn`, `cnn`, `lenet`), not by the order series happen to arrive in, so the
Train page's race and the Draw page's robustness chart can never swap colours. A second series of the same
kind (two saved DNN runs overlaid) keeps the kind's colour but takes its own dash and marker, so the two still
read apart without colour; kinds without a style of their own take the next style of a fallback cycle.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import altair as alt

from webapp.network_catalog import SHORT_NAMES


@dataclass(frozen=True)
class ModelStyle:
    color: str
    dash: tuple[int, ...]  # Vega's strokeDash: (1, 0) is a solid line
    shape: str  # Vega's point shape


KIND_STYLES = {
    "dnn": ModelStyle("#1f77b4", (1, 0), "circle"),
    "cnn": ModelStyle("#d62728", (8, 4), "square"),
    "lenet": ModelStyle("#2ca02c", (2, 3), "triangle-up"),
}
FALLBACK_STYLES = [
    ModelStyle("#9467bd", (12, 3, 2, 3), "diamond"),
    ModelStyle("#ff7f0e", (4, 4), "cross"),
    ModelStyle("#8c564b", (1, 6), "triangle-down"),
    ModelStyle("#17becf", (6, 2, 1, 2), "triangle-right"),
]


def kind_of(label: str) -> str | None:
    """The model kind a chart label names ('CNN', 'LeNet-5 3f2a (augmented)'), or None for an unknown one."""
    for kind, short in sorted(SHORT_NAMES.items(), key=lambda item: -len(item[1])):
        if label == short or label.startswith(short + " "):
            return kind
    return None


def series_styles(labels: list[str], kinds: dict[str, str] | None = None) -> dict[str, ModelStyle]:
    """A style for each series label, in order; `kinds` maps a label to its model kind (else read from the label)."""
    kinds = kinds or {}
    styles: dict[str, ModelStyle] = {}
    taken: set[str] = set()
    spare = 0
    for label in labels:
        kind = kinds.get(label) or kind_of(label)
        own = KIND_STYLES.get(kind or "")
        if own is not None and kind is not None and kind not in taken:
            styles[label] = own
            taken.add(kind)
            continue
        fallback = FALLBACK_STYLES[spare % len(FALLBACK_STYLES)]
        spare += 1
        styles[label] = ModelStyle(own.color, fallback.dash, fallback.shape) if own else fallback
    return styles


def style_scales(styles: dict[str, ModelStyle]) -> dict[str, alt.Scale]:
    """Altair scales (colour, strokeDash, shape) that give each series label its style."""
    domain = list(styles)
    return {
        "color": alt.Scale(domain=domain, range=[styles[label].color for label in domain]),
        "strokeDash": alt.Scale(domain=domain, range=[list(styles[label].dash) for label in domain]),
        "shape": alt.Scale(domain=domain, range=[styles[label].shape for label in domain]),
    }


def model_encodings(styles: dict[str, ModelStyle], field: str = "model", title: str = "Model",
                    legend: Any = alt.Undefined) -> dict[str, Any]:
    """Colour, dash and marker channels for the series in `field`, all from the one style table."""
    scales = style_scales(styles)
    return {
        "color": alt.Color(f"{field}:N", title=title, scale=scales["color"], legend=legend),
        "strokeDash": alt.StrokeDash(f"{field}:N", title=title, scale=scales["strokeDash"], legend=legend),
        "shape": alt.Shape(f"{field}:N", title=title, scale=scales["shape"], legend=legend),
    }
