"""Names and one-line descriptions of the networks, importable without Keras (for labels and menus)."""
MODEL_LABELS = {"dnn": "DNN (dense)", "cnn": "CNN (convolutional)", "lenet": "LeNet-5"}
DESCRIPTIONS = {
    "dnn": "Dense network: every pixel wired to 128 neurons (no notion of neighbourhood).",
    "cnn": "Convolutional network: 3x3 filters shared across the image, then pooling.",
    "lenet": "LeNet-5: LeCun's 1998 digit reader, tanh and average pooling.",
}
