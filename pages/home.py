"""Home: what the lab offers, what this machine has, and how to start. Imports no TensorFlow."""
import streamlit as st

from webapp.data import find_mnist
from webapp.network_catalog import short_name
from webapp.paths import MNIST_PATH
from webapp.store import RunStore
from webapp.ui.navigation import PAGES, ensure_app_navigation
from webapp.ui.sidebar import device_line

ensure_app_navigation()

st.title("Welcome to ConvNet Lab")
st.write("Train a dense network and a convolutional network on handwritten digits, watch them race, "
         "and look inside to see why the convnet wins. Start with **Train & Compare**; notice how the CNN "
         "pulls ahead after only a fraction of an epoch.")

st.subheader("What you can do")
for entry in PAGES[1:]:
    st.page_link(entry.script, label=f"**{entry.title}**: {entry.blurb}", icon=entry.icon, help=f"Open {entry.title}.")

st.subheader("This machine")
device, data, models = st.columns(3)
found_device = device_line()
device.metric("Device", "GPU" if found_device.startswith("GPU") else "CPU", help=found_device)
device.caption(found_device)
found = find_mnist()
data.metric("MNIST", "found" if found else "missing", help="60,000 training and 10,000 test digits, 28x28 grey.")
data.caption(str(found) if found else f"Put mnist.npz at {MNIST_PATH}.")
defaults = [info for info in RunStore().list().runs if info.is_default]
models.metric("Default models", len(defaults), help="Shipped, pre-trained models the other pages use.")
models.caption(", ".join(f"{short_name(info.model_name)} {info.record.test_accuracy or 0:.2%}" for info in defaults)
               or "none found")

st.subheader("Quick start")
st.markdown(
    "1. Open **Train & Compare** and press **Start training**: DNN and CNN train on the same batches.\n"
    "2. Switch the chart's x axis to *compute seconds* to compare them per second of work, not per image.\n"
    "3. When training ends, open the mistakes tab and filter by a digit pair the model confuses.\n"
    "4. On **Draw & Predict**, draw a small digit in a corner, then shift it in the robustness explorer: "
    "watch the dense net lose it while the convnet holds on.\n"
    "5. On **CNN Stages**, push your own photo through a convolution, then **Augment** your digits and train "
    "with the pipeline to see whether it helps.\n\n"
    "Everything here is also a command: `python -m webapp --help`."
)
