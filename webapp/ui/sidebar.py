"""The sidebar every page shares: where training runs and what data the lab found."""
from __future__ import annotations

import streamlit as st

from webapp.data import find_mnist
from webapp.device import describe_quickly


@st.cache_data(ttl=300, show_spinner=False)
def device_line() -> str:
    """`nvidia-smi -L` once every five minutes at most, shared by the sidebar and Home."""
    return describe_quickly()


def shared_sidebar() -> None:
    with st.sidebar:
        st.caption(f"**Device:** {device_line()}")
        found = find_mnist()
        st.caption(f"**Data:** {'MNIST found' if found else 'MNIST missing (see Home)'}")
