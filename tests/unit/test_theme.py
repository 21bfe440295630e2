"""Text a chart draws itself takes the theme's ink, so it reads on a dark page as on a light one."""
import pandas as pd
import pytest

from webapp.ui import theme
from webapp.ui.charts import layer_panel


@pytest.mark.parametrize("dark, expected", [(False, theme.LIGHT_INK), (True, theme.DARK_INK)])
def test_chart_text_follows_the_theme(monkeypatch, dark, expected):
    monkeypatch.setattr(theme, "is_dark", lambda: dark)
    frame = pd.DataFrame({"Layer": ["a", "b"], "Type": ["Dense", "Dense"], "Output shape": ["1", "1"],
                          "Parameters": [10, 20]})
    spec = layer_panel(frame, "Parameters", "Parameters per layer", False, ",.0f").to_dict()
    assert spec["config"]["text"]["color"] == expected


def test_a_kept_layer_chart_is_kept_per_theme(monkeypatch):
    """Architectures keeps its chart specs (st.cache_data): a spec made on a light page must not be reused on a
    dark one, where its bar label would be dark grey on black."""
    from webapp.ui.architecture_panels import layer_panel_spec

    frame = pd.DataFrame({"Layer": ["a", "b"], "Type": ["Dense", "Dense"], "Output shape": ["1", "1"],
                          "Parameters": [10, 20]})
    colours = []
    for dark in (False, True):
        monkeypatch.setattr(theme, "is_dark", lambda dark=dark: dark)
        spec = layer_panel_spec(frame, "Parameters", "Parameters per layer", False, ",.0f", None, dark)
        colours.append(spec["config"]["text"]["color"])
    assert colours == [theme.LIGHT_INK, theme.DARK_INK]
