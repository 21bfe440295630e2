"""Draw & Predict: draw a digit (or upload a photo of one) and see the dense net and the convnet read it."""
import streamlit as st

from webapp.ui.canvas import clear_canvas, clearing_buttons, drawing_canvas
from webapp.ui.navigation import ensure_app_navigation
from webapp.ui.own_digits import collection_panel, collection_picker, label_buttons, save_tapped_digit
from webapp.ui.predictions import loaded_models, model_pickers, photo_upload, show_reading
from webapp.ui.mnist_images import TEST_IMAGES_TAB, forget_test_image, show_test_images, tab_from_link

ensure_app_navigation()

st.title("Draw & Predict")
st.write("Draw a digit in the box (or upload a photo of one) and watch both models read it as you lift your pen, "
         "finger or mouse. Try a small digit in a corner, a thick one, a slanted one: the picture is prepared the "
         "way MNIST was made (20x20 box, centred by its centre of mass), so notice where the dense net still stumbles.")

chosen = model_pickers()
if not chosen:
    st.error("No models found: train one on the Train page first.")
    st.stop()
models = loaded_models(chosen)

# only the open tab's MNIST panel runs (on_change="rerun"); a `?test_image=N` link opens that tab
draw_tab, upload_tab, test_tab = st.tabs(["Draw", "Upload a photo", TEST_IMAGES_TAB], default=tab_from_link(),
                                         key="draw_tabs", on_change="rerun")
with draw_tab:
    save_tapped_digit("digit")
    # on a phone the columns stack: canvas, the ten label buttons, then the predictions
    left, right = st.columns([1, 2], gap="medium")
    with left:
        canvas_slot, labels_slot = st.container(), st.container()
        with st.container(horizontal=True, vertical_alignment="bottom"):
            with clearing_buttons("digit", "tools", width="content"):
                st.button("Clear", icon=":material/delete_sweep:", on_click=clear_canvas, args=("digit",),
                          help="Empty the canvas and start again.")
            width = st.slider("Brush width", 6, 40, 18, help="Thicker strokes look more like MNIST's pen strokes.")
        with canvas_slot:
            drawing = drawing_canvas("digit", width)
    with right:
        prepared = show_reading(drawing, models, chosen, "Draw a digit on the canvas: the predictions appear "
                                "here as you lift your pen or finger.", key="drawn")
    st.subheader("Your own digits")
    collection = collection_picker()
    with labels_slot:
        label_buttons(collection, prepared, drawing, "digit")
    collection_panel(collection, chosen)

with upload_tab:
    photo, prompt = photo_upload()
    show_reading(photo, models, chosen, prompt, key="photo")

with test_tab:
    if test_tab.open:
        show_test_images(models, chosen)
    else:
        forget_test_image()
