"""CNN Stages: convolution, ReLU and pooling on your own photo, with the numbers behind each stage."""
import streamlit as st

from webapp.ui.navigation import ensure_app_navigation
from webapp.ui.seed_figures import preset_tab, show_pooling_example, show_seed_figures
from webapp.ui.stages import photo_stages, show_layer_calculator, show_worked_examples

ensure_app_navigation()

st.title("CNN Stages")
st.write("Push a photo through the three stages of a convnet layer: convolution, ReLU and pooling. Try the edge "
         "kernels and notice where the maps turn blue (negative) and how ReLU wipes those parts out; then set stride 2 "
         "with VALID padding and read how TensorFlow rounds when the shape formula gives no whole number.")

photo_tab, examples_tab, calculator_tab, seeds_tab = st.tabs(
    ["Your photo, stage by stage", "Worked examples", "Layer calculator", "Seed figures"], default=preset_tab())
with photo_tab:
    photo_stages()
with examples_tab:
    show_worked_examples()
    show_pooling_example()
with calculator_tab:
    show_layer_calculator()
with seeds_tab:
    show_seed_figures()
