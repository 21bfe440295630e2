"""Where the lab keeps its files: the shipped data and default models, and the user's runs."""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
MNIST_PATH = DATA_DIR / "mnist.npz"
SAMPLES_DIR = DATA_DIR / "samples"
DEFAULT_MODELS_DIR = PROJECT_ROOT / "models" / "defaults"
HOME_ENV = "CONVNET_LAB_HOME"


def lab_home() -> Path:
    """The user's writable area: `$CONVNET_LAB_HOME`, or `models/` in the project."""
    configured = os.environ.get(HOME_ENV)
    return Path(configured).expanduser() if configured else PROJECT_ROOT / "models"


def runs_dir() -> Path:
    """Where user runs are saved (gitignored when it is the project's own `models/runs`)."""
    return lab_home() / "runs"


def collections_dir() -> Path:
    """Where the learners' own digit collections are kept (gitignored in the project)."""
    return lab_home() / "collections"


def classes_dir() -> Path:
    """Where the learners' collections of their own classes are kept (gitignored in the project)."""
    return lab_home() / "classes"
