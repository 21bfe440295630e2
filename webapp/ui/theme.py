"""Colours that read in the light and the dark theme alike.

The lab follows the browser's theme (no forced base in .streamlit/config.toml). Streamlit styles its own
widgets and chart axes for either theme, but text that a chart draws itself (a bar's value, a label at the end of
a curve) defaults to black, which vanishes on a dark page. `ink()` is the theme's text colour for such marks, and
`themed(chart)` gives every text mark without a colour of its own that ink.
"""
from __future__ import annotations

from typing import TypeVar

import altair as alt
import streamlit as st

Chart = TypeVar("Chart", bound=alt.TopLevelMixin)

LIGHT_INK = "#31333f"  # Streamlit's own text colours in the light and the dark theme
DARK_INK = "#fafafa"
LIGHT_MUTED = "#6b6d76"
DARK_MUTED = "#a3a8b4"


def is_dark() -> bool:
    """Whether this browser shows the dark theme (light when Streamlit cannot tell, as in AppTest)."""
    try:
        return getattr(st.context.theme, "type", None) == "dark"
    except Exception:  # no browser behind this run
        return False


def ink() -> str:
    return DARK_INK if is_dark() else LIGHT_INK


def muted_ink() -> str:
    """For reference marks (a rule, its label) that should read but not shout."""
    return DARK_MUTED if is_dark() else LIGHT_MUTED


def themed(chart: Chart) -> Chart:
    """The chart with text marks in the theme's ink unless they set a colour themselves."""
    return chart.configure_text(color=ink())
