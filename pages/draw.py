"""Draw & Predict: draw a digit (or upload a photo of one) and see the dense net and the convnet read it."""
import streamlit as st

from webapp.ui.canvas import clear_canvas, drawing_canvas
from webapp.ui.navigation import ensure_app_navigation
from webapp.ui.own_digits import collection_panel, collection_picker, label_buttons
from webapp.ui.predictions import loaded_models, model_pickers, photo_upload, show_reading

ensure_app_navigation()

st.title("Draw & Predict")
st.write("Draw a digit in the box (or upload a photo of one) and watch both models read it as you lift the mouse. "
         "Try a small digit in a corner, a thick one, a slanted one: the picture is prepared the way MNIST was "
         "made (20x20 box, centred by its centre of mass), so notice where the dense net still stumbles.")

chosen = model_pickers()
if not chosen:
    st.error("No models found: train one on the Train page first.")
    st.stop()
models = loaded_models(chosen)

draw_tab, upload_tab = st.tabs(["Draw", "Upload a photo"])
with draw_tab:
    left, right = st.columns([1, 2])
    with left:
        width = st.slider("Brush width", 6, 40, 18, help="Thicker strokes look more like MNIST's pen strokes.")
        drawing = drawing_canvas("digit", width)
        if st.button("Clear", icon=":material/delete_sweep:", help="Empty the canvas and start again."):
            clear_canvas("digit")
            st.rerun()
    with right:
        prepared = show_reading(drawing, models, chosen,
                                "Draw a digit on the canvas: the predictions appear here on mouse-up.", key="drawn")
    with left:
        collection = collection_picker()
        label_buttons(collection, prepared, drawing, "digit")
    st.subheader("Your own digits")
    collection_panel(collection, chosen)

with upload_tab:
    photo, prompt = photo_upload()
    show_reading(photo, models, chosen, prompt, key="photo")
