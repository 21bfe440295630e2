"""Display names of the networks, importable without Keras: views of `webapp.network_catalog`, kept for old imports."""
from webapp.network_catalog import (ARCHITECTURE_LABELS, HIDDEN_ACTIVATIONS, MODEL_LABELS, PUBLISHED_PARAMS,
                                    SHORT_NAMES, short_name)

__all__ = ["ARCHITECTURE_LABELS", "HIDDEN_ACTIVATIONS", "MODEL_LABELS", "PUBLISHED_PARAMS", "SHORT_NAMES", "short_name"]
