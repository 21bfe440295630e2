"""The lab's pages, listed once: app.py builds the navigation from it and Home links to each."""
from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import streamlit as st


@dataclass(frozen=True)
class PageEntry:
    script: str
    title: str
    icon: str
    url_path: str
    blurb: str


PAGES = [
    PageEntry("pages/home.py", "Home", ":material/home:", "home", "What the lab offers and how to start."),
    PageEntry("pages/train.py", "Train & Compare", ":material/monitoring:", "train",
              "Race a dense network against a convnet on MNIST and watch both accuracy curves grow live."),
    PageEntry("pages/draw.py", "Draw & Predict", ":material/draw:", "draw",
              "Draw a digit or upload a photo of one and see the dense net and the convnet read it."),
    PageEntry("pages/stages.py", "CNN Stages", ":material/layers:", "stages",
              "Convolution, ReLU and pooling on your own photo, with the shapes, parameters and memory behind them."),
    PageEntry("pages/augment.py", "Augment", ":material/auto_awesome_motion:", "augment",
              "Build an augmentation pipeline, see it on sixteen digits or photos at once, "
              "export it and train with it."),
    PageEntry("pages/transfer.py", "Transfer", ":material/swap_horiz:", "transfer",
              "Reuse a CNN trained on digits 0-4 for digits 5-9 or clothes in seed 004's four ways, race them live, "
              "and check the seed's advice for small and large, similar and different targets."),
    PageEntry("pages/classes.py", "Your classes", ":material/category:", "classes",
              "Teach a network classes of your own from drawings, photos or the camera: train it in the open, "
              "see where it fails, try it live and keep the model."),
    PageEntry("pages/architectures.py", "Architectures", ":material/account_tree:", "architectures",
              "Classic CNNs layer by layer: where the parameters are, where the memory goes, "
              "and the formulas behind them."),
]

# The browser-tab icon, served by the lab itself. Pages get no `st.Page(icon=...)`: Streamlit turns a page's
# Material icon into the tab icon by fetching an SVG from a public font host, which an offline classroom cannot
# reach. (Material icons elsewhere, as on Home's links, are drawn from the font bundled with Streamlit.)
FAVICON = Path(__file__).parent / "assets" / "favicon.png"

_running = threading.local()


HOME_AT_ROOT = "start"  # the default page's own url_path: unused (Streamlit serves it at `/`), but unique


def app_navigation() -> st.Page:
    """`st.navigation` over every page; Home is the default, at `/`, and `/home` leads there too."""
    return st.navigation(navigation_pages())


def navigation_pages() -> list[st.Page]:
    """Every page, Home the default, and the hidden `/home` alias (the same list wherever the lab declares its
    navigation, so a fresh server's first visitor at `/home` finds it too)."""
    pages = [st.Page(entry.script, title=entry.title, default=entry.url_path == "home",
                     url_path=HOME_AT_ROOT if entry.url_path == "home" else entry.url_path)
             for entry in PAGES]
    home, entry = next((page, entry) for page, entry in zip(pages, PAGES) if entry.url_path == "home")
    return [*pages, home_alias(home, entry.title)]


def home_alias(home: st.Page, title: str) -> st.Page:
    """A hidden page at `/home` that only switches to Home at `/`: Streamlit serves the default page at the root
    alone and answered `/home` (the name PAGES gives it, and what a learner may type) with "Page not found".
    The title comes from PAGES, not from `home`: outside a Streamlit runtime (a spawned child re-running app.py)
    a Page has no title to read."""
    return st.Page(lambda: st.switch_page(home), title=title, url_path="home", visibility="hidden")


@contextlib.contextmanager
def inside_app() -> Iterator[None]:
    """Marks page scripts run by app.py's navigation (see `ensure_app_navigation`)."""
    _running.inside_app = True
    try:
        yield
    finally:
        _running.inside_app = False


@st.cache_resource(show_spinner=False)
def server_started() -> dict[str, list[str]]:
    """Once per server process, before the first page: end a training process a crashed server left, mark
    its job interrupted, and remove old half-written folders (webapp.housekeeping, a light import); then check
    the job database, so a file that is not the lab's is moved aside and logged at start (webapp.job_store)."""
    from webapp import housekeeping, job_store

    cleaned = housekeeping.on_server_start()
    job_store.problem()
    return cleaned


def page_frame(remember: bool = True) -> None:
    """What every page shares: page config and the sidebar; first, Streamlit's clean-up after this run is
    kept to this visitor's thread (webapp/ui/sessions.py). `remember=False` leaves the visitor's cookie to
    the next run: a run about to be cut short by a rerun may never deliver the script that writes it."""
    from webapp.ui.identity import remember_visitor
    from webapp.ui.sessions import keep_sessions_apart
    from webapp.ui.sidebar import shared_sidebar

    keep_sessions_apart()
    st.set_page_config(page_title="ConvNet Lab", page_icon=str(FAVICON), layout="wide")
    server_started()
    shared_sidebar()
    if remember:
        with st.sidebar:
            remember_visitor()


def ensure_app_navigation() -> None:
    """Called first by every page. When a fresh server's very first visitor opens a page's URL (and on
    every run in AppTest), Streamlit runs that `pages/` script on its own, its behaviour from before
    `st.navigation`. Then draw the shared frame here and declare the navigation, which makes Streamlit go
    through app.py from now on. A browser session then reruns at once, so that its widgets belong to
    app.py's pages from the first click on. (AppTest, which has no browser and so no request headers,
    runs every page this way and keeps going.)"""
    if getattr(_running, "inside_app", False):
        return
    browser = bool(st.context.headers)
    page_frame(remember=not browser)  # a browser reruns at once, through app.py, whose frame remembers it
    st.navigation(navigation_pages(), position="hidden")
    if browser:
        st.rerun()
