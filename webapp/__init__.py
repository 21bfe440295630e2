"""ConvNet Lab core: data, networks, training, runs store and the CLI, free of any UI code.

Importing this package is cheap: TensorFlow and Keras are imported only by the modules that need them.
"""
import os

# Albumentations asks the internet for updates at import unless told not to; TensorFlow is chatty on start.
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

__version__ = "0.1.0"
