"""Home: what the lab offers, what this machine has, and how to start. Imports no TensorFlow."""
import streamlit as st

from webapp import datasets, executors, job_store
from webapp.formulas import format_bytes
from webapp.network_catalog import short_name
from webapp.store import RunStore
from webapp.ui.navigation import PAGES, ensure_app_navigation
from webapp.ui.sidebar import device_line

ensure_app_navigation()

st.title("Welcome to ConvNet Lab")
st.write("Train a dense network and a convolutional network on handwritten digits, watch them race, "
         "and look inside to see why the convnet wins. Start with **Train & Compare**; notice how the CNN "
         "pulls ahead after only a fraction of an epoch.")

st.subheader("What you can do")
for entry in PAGES[1:]:  # a link's label stays on one line and is cut at the page's edge: the blurb goes below
    st.page_link(entry.script, label=f"**{entry.title}**", icon=entry.icon, help=f"Open {entry.title}.")
    st.caption(entry.blurb)

st.subheader("This machine")
device, data, models = st.columns(3)
found_device = device_line()
device.metric("Device", "GPU" if found_device.startswith("GPU") else "CPU", help=found_device)
device.caption(found_device)
for info in datasets.with_files():
    found = datasets.find(info.name)
    height, width, channels = info.image_shape
    data.metric(info.label, "found" if found else "missing",
                help=f"{info.train_size:,} training and {info.test_size:,} test {info.item}s, {height}x{width} "
                     f"{'grey' if channels == 1 else 'colour'}, {info.num_classes} classes.")
    # the file's name and size, not its place on the server (a visitor has no use for the server's paths)
    data.caption(f"{found.name}, {format_bytes(found.stat().st_size)}" if found else
                 f"Put {info.file} in the lab's data folder.")
defaults = [info for info in RunStore().list().runs if info.is_default]
models.metric("Default models", len(defaults), help="Shipped, pre-trained models the other pages use.")
shipped = [short_name(info.model_name) + ("" if info.record.dataset == datasets.DEFAULT_DATASET else
                                         f" ({info.record.dataset})") + f" {info.record.test_accuracy or 0:.2%}"
           for info in defaults]  # MNIST's keep their plain names; other datasets' say which they learnt
models.caption(", ".join(shipped) or "none found")
training, waiting = job_store.activity()
device.metric("Training jobs", f"{training} running, {waiting} waiting",
              help="How busy the lab is: jobs of every visitor, no names. The server trains as many jobs at once as "
                   "its teacher allows (CONVNET_LAB_MAX_JOBS: one on a CPU); the others wait their turn, first come "
                   "first served.")
if job_problem := job_store.problem():
    st.warning(job_problem, icon=":material/database:")
for setting_problem in executors.setting_problems():  # a bad CONVNET_LAB_MAX_JOBS, an unreachable Ray cluster
    st.warning(setting_problem, icon=":material/settings:")

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
