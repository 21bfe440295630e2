"""Architectures: parameters, multiply-adds and memory of classic CNNs layer by layer, and the formulas behind them."""
import streamlit as st

from webapp.ui.architecture_panels import network_panel
from webapp.ui.calculators import calculators
from webapp.ui.concepts import concept_tab, show_concepts
from webapp.ui.navigation import ensure_app_navigation

ensure_app_navigation()

st.title("Architectures")
st.write("Pick a network and read it layer by layer: parameters, multiply-adds and the memory of each output. "
         "Notice that VGG16's weights sit in its dense layers while its memory goes to the first convolutions, "
         "then change the batch size or switch to float16 and watch which totals move. Or design your own.")

network_tab, calculator_tab, concepts_tab = st.tabs(["Layer by layer", "Calculators", "Concepts"],
                                                    default=concept_tab())
with network_tab:
    network_panel()
with calculator_tab:
    calculators()
with concepts_tab:
    show_concepts()
