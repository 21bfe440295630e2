"""Architectures: parameters, multiply-adds and memory of classic CNNs layer by layer, and the formulas behind them."""
import streamlit as st

from webapp.summary import memory_report
from webapp.ui.architecture_panels import (DESIGN, design_controls, load_table, memory_controls, network_picker,
                                           show_layers, show_memory, show_totals, where_weights_and_memory_are)
from webapp.ui.calculators import calculators
from webapp.ui.concepts import concept_tab, show_concepts, show_spec_code
from webapp.ui.navigation import ensure_app_navigation

ensure_app_navigation()

st.title("Architectures")
st.write("Pick a network and read it layer by layer: parameters, multiply-adds and the memory of each output. "
         "Notice that VGG16's weights sit in its dense layers while its memory goes to the first convolutions, "
         "then change the batch size or switch to float16 and watch which totals move. Or design your own.")

network_tab, calculator_tab, concepts_tab = st.tabs(["Layer by layer", "Calculators", "Concepts"], default=concept_tab())
with network_tab:
    choice = network_picker()
    design, problem = design_controls() if choice == DESIGN else (None, None)
    settings = memory_controls()
    if problem:
        st.error(problem)
    else:
        table = load_table(choice, design)
        report = memory_report(table, settings)
        show_totals(table, report)
        where_weights_and_memory_are(table, report)
        show_layers(table, report)
        show_spec_code(table)
        st.subheader("Memory, term by term")
        show_memory(table, report)
with calculator_tab:
    calculators()
with concepts_tab:
    show_concepts()
