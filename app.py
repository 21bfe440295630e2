"""ConvNet Lab: the entry script only sets up the page, the navigation and the shared sidebar."""
import streamlit as st

from webapp.ui.navigation import PAGES
from webapp.ui.sidebar import shared_sidebar

st.set_page_config(page_title="ConvNet Lab", page_icon=":material/neurology:", layout="wide")
navigation = st.navigation([
    st.Page(entry.script, title=entry.title, icon=entry.icon, url_path=entry.url_path, default=entry.url_path == "home")
    for entry in PAGES
])
shared_sidebar()
navigation.run()
