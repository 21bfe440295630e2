"""The lab's pages, listed once: app.py builds the navigation from it and Home links to each."""
from __future__ import annotations

from dataclasses import dataclass


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
]
