"""The sidebar every page shares: where training runs and what data the lab found."""
from __future__ import annotations

import streamlit as st

from webapp import datasets
from webapp.device import describe_quickly


@st.cache_data(ttl=300, show_spinner=False)
def device_line() -> str:
    """`nvidia-smi -L` once every five minutes at most, shared by the sidebar and Home."""
    return describe_quickly()


def shared_sidebar() -> None:
    with st.sidebar:
        st.caption(f"**Device:** {device_line()}")
        st.caption("**Data:** " + "; ".join(data_line(info) for info in datasets.with_files()))


def data_line(info: datasets.DatasetInfo) -> str:
    """`MNIST handwritten digits found`, or `... missing (see Home)`: whether the file is on disk, unread."""
    return f"{info.label} found" if datasets.find(info.name) else f"{info.label} missing (see Home)"
